/**
 * How long the simulator waits before resending a batch, the way Braze does: exponential backoff
 * with full jitter (so many senders retrying at once spread out), and the server's `Retry-After`
 * honoured but capped, so a server asking for an hour cannot stall a local run.
 */

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** Upper bound of any computed backoff delay. */
  maxDelayMs: number;
  /** Upper bound applied to a server's `Retry-After`. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^retry)). */
export function backoffDelayMs(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP-date. Returns undefined when absent or
 * unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The wait before retry number `retry` (0-based), preferring the server's word when it gave one. */
export function retryDelayMs(
  retry: number,
  retryAfterHeader: string | null | undefined,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const asked = parseRetryAfterMs(retryAfterHeader);
  if (asked !== undefined) return Math.min(asked, policy.maxRetryAfterMs);
  return backoffDelayMs(retry, policy, random);
}
