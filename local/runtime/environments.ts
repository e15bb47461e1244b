/**
 * Lambda runs one invocation at a time per execution environment and starts another environment
 * (a cold start) when requests overlap. Module state — the logger's appended keys such as the
 * batch id, the metrics buffer, caches — is therefore never shared between concurrent requests.
 * Locally, each environment is its own instance of the handler module, so concurrent requests see
 * exactly that isolation, and a warm environment is reused as in AWS.
 */
import type { Context } from 'aws-lambda';

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface LambdaEnvironments<E, R> {
  invoke(event: E, context: Context): Promise<R>;
  /** Environments started so far (cold starts). */
  readonly started: number;
}

/**
 * `load(n)` must return a fresh handler instance for environment number `n`; `warm` are
 * environments already started (loaded up front, so a broken configuration fails at start).
 */
export function lambdaEnvironments<E, R>(
  load: (n: number) => Promise<Handler<E, R>>,
  warm: readonly Handler<E, R>[] = [],
): LambdaEnvironments<E, R> {
  const idle: Handler<E, R>[] = [...warm];
  let started = warm.length;
  return {
    async invoke(event, context) {
      const handler = idle.pop() ?? (await load(++started));
      try {
        return await handler(event, context);
      } finally {
        idle.push(handler);
      }
    },
    get started() {
      return started;
    },
  };
}
