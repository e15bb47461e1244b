/**
 * Deadlines for AWS calls, derived from the time the Lambda has left. A call that has not
 * answered by its deadline is abandoned (its `AbortSignal` fires, so an SDK call stops too) and
 * the caller gets a {@link DeadlineError}, in time to answer 503 (receiver) or return the message
 * to the queue (redrive) instead of running into the function timeout.
 */

/**
 * Kept back from the Lambda's remaining time for the writes that keep data when publishing fails
 * (the receiver's spillover and quarantine, the redrive's quarantine): publishing stops starting
 * new rounds this long before the function timeout.
 */
export const WRITE_RESERVE_MS = 2_000;

/**
 * Kept back from the Lambda's remaining time for answering: every AWS call of an invocation ends
 * (answers or is abandoned) this long before the function timeout, so the function answers (the
 * receiver 503 with Retry-After, the redrive its batch item failures) instead of timing out, which
 * API Gateway would turn into a 500 and SQS into a whole batch returned.
 */
export const ANSWER_RESERVE_MS = 500;

/** Thrown when a call outlives its deadline. Named like the SDK's own timeout, so it counts as retryable. */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
}

/**
 * Runs `call` with at most `ms` milliseconds to answer.
 * @param ms time allowed; 0 or less fails at once without calling
 * @param call gets an AbortSignal that fires at the deadline (pass it to `client.send`), unless
 *   `abortable` is false: then the abandoned request is left to the client's own request timeout
 *   (an AbortController per call is a measurable share of the receiver's CPU on the hot path)
 * @param what names the call in the error message
 * @throws DeadlineError at the deadline, or whatever `call` throws before it
 */
export async function withDeadline<T>(
  ms: number,
  call: (signal: AbortSignal | undefined) => Promise<T>,
  what: string,
  abortable = true,
): Promise<T> {
  if (!(ms > 0)) throw new DeadlineError(`${what}: no time left before the deadline`);
  if (ms === Number.POSITIVE_INFINITY) return call(undefined);
  const controller = abortable ? new AbortController() : undefined;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
      reject(new DeadlineError(`${what}: no answer within ${Math.round(ms)} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(controller?.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds from `now` to `deadline` (epoch ms), never negative. */
export function timeLeft(deadline: number, now: number): number {
  return Math.max(0, deadline - now);
}
