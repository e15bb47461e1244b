/**
 * Waiting on what a test can observe (a counter, a file, a log line) instead of a fixed sleep:
 * a loaded CI machine can be arbitrarily slow, so the bound is generous and only a failure waits it out.
 */

/**
 * Polls `probe` every 50 ms until it returns true.
 * @param description what is awaited, named in the error
 * @param timeoutMs how long to wait before failing (default 50 s: inside vitest's 60 s test timeout,
 *   so a slow run ends with this message, not a bare timeout)
 * @throws Error `timed out waiting for <description>` after `timeoutMs`
 */
export async function until(
  probe: () => boolean | Promise<boolean>,
  description: string,
  timeoutMs = 50_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
