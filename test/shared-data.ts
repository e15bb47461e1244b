/**
 * The public data beside the project (`../shared`: Braze's samples and event types, the
 * EventBridge pattern corpus validated against the real service). It is read in place, never
 * copied into the repository.
 *
 * A fresh clone without `../shared` still passes `npm test`: the suites that read it are skipped,
 * and their title says why. Under CI (`.ci/run` exports `CURRENTS_BRIDGE_REQUIRE_SHARED=1`) the
 * data is always there, so a missing folder is a failure, not a quietly smaller test count.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** The `../shared` folder beside the repository. */
export const SHARED_DIR = fileURLToPath(new URL('../../shared/', import.meta.url));

/** Braze's sample events, one JSON file (an array of events) per event type. */
export const BRAZE_SAMPLES_DIR = `${SHARED_DIR}braze-currents/samples/`;

/** The EventBridge event-pattern corpus. */
export const EVENTBRIDGE_PATTERNS_DIR = `${SHARED_DIR}eventbridge-patterns/`;

/** The variable `.ci/run` sets: suites that read `../shared` must run, not skip. */
export const REQUIRE_SHARED_VARIABLE = 'CURRENTS_BRIDGE_REQUIRE_SHARED';

/** Whether the shared data must be present (under CI). */
export function sharedDataRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIRE_SHARED_VARIABLE] === '1';
}

/** How a suite that reads `../shared` is run, given which of its paths are missing. */
export type SharedSuiteMode =
  | { run: 'all' }
  | { run: 'skip'; reason: string }
  | { run: 'fail'; reason: string };

/**
 * Decides how a suite that reads `paths` runs.
 * @param paths absolute paths the suite reads
 * @param required whether a missing path is a failure (CI) or a reason to skip (a fresh clone)
 */
export function sharedSuiteMode(paths: readonly string[], required: boolean): SharedSuiteMode {
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length === 0) return { run: 'all' };
  const reason = `${missing.join(', ')} not found (the public data beside the project, ../shared)`;
  return required ? { run: 'fail', reason } : { run: 'skip', reason };
}

/**
 * `describe` for a suite that reads `../shared`: runs it when every path exists; otherwise skips it
 * with the reason in its title, or, when {@link sharedDataRequired}, replaces it with one failing
 * test that names what is missing.
 */
export function describeWithSharedData(title: string, paths: readonly string[], body: () => void): void {
  const mode = sharedSuiteMode(paths, sharedDataRequired());
  if (mode.run === 'all') {
    describe(title, body);
  } else if (mode.run === 'fail') {
    describe(title, () => {
      it('finds the shared data it reads', () => {
        throw new Error(`${mode.reason}; ${REQUIRE_SHARED_VARIABLE}=1 requires it`);
      });
    });
  } else {
    describe.skipIf(true)(`${title} — skipped: ${mode.reason}`, body);
  }
}
