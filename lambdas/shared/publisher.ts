/**
 * Publishes entries to EventBridge the way the receiver's contract (docs/receiver.md) promises: every chunk at once, then only the
 * entries that failed with a retryable code again, with jittered exponential backoff, until a
 * deadline. What is still unsent at the deadline is returned for the caller to spill over; entries
 * EventBridge refuses for good are returned for quarantine. No AWS here: the call goes through
 * {@link PutEventsPort}.
 */
import type { BusEntry } from './bus-entry';
import { chunkForPutEvents, type Sized } from './chunking';
import { RETRYABLE_ENTRY_ERRORS } from './contract';
import { timeLeft, withDeadline } from './deadline';

/** The outcome of one entry of a PutEvents call, aligned with the request's entries. */
export interface PutEventsEntryOutcome {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/**
 * PutEvents on the bus the adapter was built for. Throws when the whole call fails. `budgetMs` is
 * what is left of the publishing budget: an adapter should not let one call outlast it by much.
 */
export interface PutEventsPort {
  putEvents(
    entries: readonly BusEntry[],
    budgetMs?: number,
    signal?: AbortSignal,
  ): Promise<PutEventsEntryOutcome[]>;
}

export interface PublishItem extends Sized {
  entry: BusEntry;
}

export interface RejectedItem<T> {
  item: T;
  errorCode: string;
  errorMessage: string;
}

export interface PublishOutcome<T> {
  published: T[];
  /**
   * Refused with a code that will not change on retry (e.g. `MalformedDetail`), or the one entry
   * that made EventBridge refuse a whole call as invalid: quarantine these.
   */
  rejected: RejectedItem<T>[];
  /** Still failing when the budget ran out, or the whole call failed for good: spill these over. */
  unsent: T[];
  /** Rounds of PutEvents calls made, the first included. */
  rounds: number;
  /** The last error code or message seen for the unsent entries, for the log. */
  lastError?: string;
}

export interface RetryPolicy {
  /** Epoch ms after which no new round is started. */
  deadline: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const DEFAULT_BACKOFF = { baseDelayMs: 50, maxDelayMs: 2_000 } as const;

/**
 * The first round is always attempted, with at least this long per call even when the budget is
 * spent (the callers keep a larger reserve behind the budget); later rounds only within it.
 */
export const FIRST_ROUND_MIN_BUDGET_MS = 1_000;

/** Budgets below this get an AbortSignal (the SDK client's own request timeout is 3 s). */
const PUT_EVENTS_SIGNAL_BELOW_MS = 3_000;

export function realClock(): Pick<RetryPolicy, 'now' | 'sleep' | 'random'> {
  return {
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  };
}

/** "Full jitter" backoff (AWS Architecture Blog): spreads retries of concurrent senders apart. */
export function backoffDelay(
  round: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, round - 1));
  return Math.floor(policy.random() * ceiling);
}

const RETRYABLE_CALL_ERRORS = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

/** Whether a whole-call failure is worth another try: throttling, 5xx, or no answer at all. */
export function isRetryableCallError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const candidate = error as {
    name?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (candidate.$retryable) return true;
  if (typeof candidate.name === 'string' && RETRYABLE_CALL_ERRORS.has(candidate.name)) return true;
  const status = candidate.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status === 429 || status >= 500;
}

/**
 * Whole-call errors that say the request itself is invalid (PutEvents' `ValidationException` and
 * kin, HTTP 413): the same entries fail the same way every time, so the publisher splits the chunk
 * until it has the entry at fault. Throttling, 5xx, access and missing-resource errors are not in
 * here: they are retried or spilled over.
 */
const INVALID_REQUEST_ERRORS = new Set([
  'ValidationException',
  'InvalidParameterValueException',
  'InvalidParameterException',
  'InvalidArgument',
  'SerializationException',
  'RequestEntityTooLargeException',
  'RequestEntityTooLarge',
]);

/** Whether a whole-call failure means the request was refused as invalid (see above). */
export function isInvalidRequestError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof candidate.name === 'string' && INVALID_REQUEST_ERRORS.has(candidate.name)) return true;
  return candidate.$metadata?.httpStatusCode === 413;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

type ChunkResult<T> =
  | { kind: 'answered'; items: T[]; outcomes: PutEventsEntryOutcome[] }
  | { kind: 'failed'; items: T[]; retryable: boolean; error: string }
  /** The single entry that made EventBridge refuse its call as invalid. */
  | { kind: 'refused'; item: T; errorCode: string; errorMessage: string };

/**
 * One PutEvents call for `items`, with a deadline from the policy. A call refused as invalid is
 * split in two and both halves sent (recursively: at most 2n−1 calls for n entries), so only the
 * entry at fault is refused and its neighbours are published.
 */
async function sendChunk<T extends PublishItem>(
  port: PutEventsPort,
  items: T[],
  policy: Pick<RetryPolicy, 'deadline' | 'now'>,
  minBudgetMs: number,
): Promise<ChunkResult<T>[]> {
  const budgetMs = Math.max(minBudgetMs, timeLeft(policy.deadline, policy.now()));
  try {
    const entries = items.map((item) => item.entry);
    // The SDK adapter ends a request after 3 s itself; a signal is only worth its cost below that.
    const outcomes = await withDeadline(
      budgetMs,
      (signal) => port.putEvents(entries, budgetMs, signal),
      'PutEvents',
      budgetMs < PUT_EVENTS_SIGNAL_BELOW_MS,
    );
    return [{ kind: 'answered', items, outcomes }];
  } catch (error) {
    if (isInvalidRequestError(error)) {
      const [only] = items;
      if (items.length === 1 && only) {
        const { name, message } = error as Error;
        return [{ kind: 'refused', item: only, errorCode: name, errorMessage: message ?? '' }];
      }
      const middle = Math.ceil(items.length / 2);
      const halves = await Promise.all([
        sendChunk(port, items.slice(0, middle), policy, minBudgetMs),
        sendChunk(port, items.slice(middle), policy, minBudgetMs),
      ]);
      return halves.flat();
    }
    return [{ kind: 'failed', items, retryable: isRetryableCallError(error), error: describeError(error) }];
  }
}

export async function publishEntries<T extends PublishItem>(
  items: readonly T[],
  port: PutEventsPort,
  policy: RetryPolicy,
): Promise<PublishOutcome<T>> {
  const outcome: PublishOutcome<T> = { published: [], rejected: [], unsent: [], rounds: 0 };
  let pending: readonly T[] = items;
  while (pending.length > 0) {
    outcome.rounds++;
    const results = (
      await Promise.all(
        chunkForPutEvents(pending).map((chunk) =>
          sendChunk(port, chunk, policy, outcome.rounds === 1 ? FIRST_ROUND_MIN_BUDGET_MS : 0),
        ),
      )
    ).flat();
    const retry: T[] = [];
    for (const result of results) {
      if (result.kind === 'refused') {
        outcome.rejected.push({
          item: result.item,
          errorCode: result.errorCode,
          errorMessage: result.errorMessage,
        });
        continue;
      }
      if (result.kind === 'failed') {
        outcome.lastError = result.error;
        (result.retryable ? retry : outcome.unsent).push(...result.items);
        continue;
      }
      result.items.forEach((item, index) => {
        const entryOutcome = result.outcomes[index];
        // A missing outcome is not a success: treat it as EventBridge's transient failure.
        const errorCode = entryOutcome ? entryOutcome.ErrorCode : 'InternalFailure';
        if (!errorCode) {
          outcome.published.push(item);
        } else if (RETRYABLE_ENTRY_ERRORS.includes(errorCode)) {
          outcome.lastError = errorCode;
          retry.push(item);
        } else {
          outcome.rejected.push({ item, errorCode, errorMessage: entryOutcome?.ErrorMessage ?? '' });
        }
      });
    }
    if (retry.length === 0) break;
    const delay = backoffDelay(outcome.rounds, policy);
    if (policy.now() + delay >= policy.deadline) {
      outcome.unsent.push(...retry);
      break;
    }
    await policy.sleep(delay);
    pending = retry;
  }
  return outcome;
}
