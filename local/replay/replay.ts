/**
 * Publishes archived Braze events again, as the receiver first published them: `Source` (the
 * configured source), `DetailType` = `event_type`, `Detail` = the archived line verbatim, `Time` =
 * the Braze `time` — plus `Resources: ["replay:<name>"]`, the replay mark and nothing else there
 * (see lib/constructs/replay-archive.ts: the stack's archive rules leave an event out when its only
 * resource is a mark, which no connector URL can produce, so a replay is never archived twice). Goes through the receiver's publisher (chunks of at most 10 entries and
 * 1 MB, retries of throttled and failed entries with backoff); what is still refused is returned
 * with the reason, never dropped silently.
 *
 * The archive keeps only the Braze event (the `detail`): the original entry's `Resources` (the
 * connector URL's query parameters) are not in it and cannot be replayed.
 */

import { type BusEntry, entrySize, MAX_DETAIL_TYPE_LENGTH } from '#lambdas/shared/bus-entry';
import { brazeTime } from '#lambdas/shared/entries';
import {
  DEFAULT_BACKOFF,
  type PublishItem,
  type PutEventsPort,
  publishEntries,
  type RetryPolicy,
  realClock,
} from '#lambdas/shared/publisher';
import { replayMark } from '#lib/constructs/replay-archive';
import { type ArchiveStore, archiveLines, archiveObjects } from './archive-reader';

/** Entries handed to the publisher at once (its chunks of 10 go out in parallel). */
const GROUP_SIZE = 100;

export interface ReplayOptions {
  store: ArchiveStore;
  /** Partition hours to read, from `partitionHours(since, until)`. */
  hours: readonly Date[];
  /** Event types or families (`users.messages.email.*`); all when empty. */
  selectors: readonly string[];
  /** `Source` of the entries: the stack's `eventSource`. */
  source: string;
  /** Goes into the mark `replay:<name>`: 1 to 64 of `A-Z a-z 0-9 . _ -`. */
  replayName: string;
  /** Where to publish; none for a dry run (read and count only). */
  port?: PutEventsPort;
  /** At most this many entries per second, on average; unlimited when undefined. */
  rate?: number;
  /** How long one group of entries is retried before what still fails is reported; default 60 s. */
  retryWindowMs?: number;
  onProgress?: (progress: ReplayProgress) => void;
  clock?: Pick<RetryPolicy, 'now' | 'sleep' | 'random'>;
}

export interface ReplayProgress {
  objects: number;
  read: number;
  published: number;
  failed: number;
  /** The partition hour being read. */
  hour: Date;
}

/** An archived line that was not published, with where it is and why. */
export interface ReplayFailure {
  key: string;
  /** 1-based line number in the object. */
  line: number;
  errorCode: string;
  errorMessage: string;
  /** The archived line, so it can be published again by other means. */
  text: string;
}

export interface ReplaySummary {
  objects: number;
  /** Archived events read. */
  read: number;
  /** Published (0 in a dry run). */
  published: number;
  failed: ReplayFailure[];
  /** Events read, by event type. */
  byEventType: Record<string, number>;
  dryRun: boolean;
}

interface ReplayItem extends PublishItem {
  key: string;
  line: number;
  text: string;
}

/**
 * The entry for one archived line, or why there is none (a line that is not a Braze event).
 * `hour` stands in for `Time` when the event has no valid Braze `time` (the receiver then used its
 * receipt time, which the archive's partition hour approximates).
 */
export function replayEntry(
  text: string,
  hour: Date,
  source: string,
  replayName: string,
): BusEntry | { errorCode: string; errorMessage: string } {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { errorCode: 'UnreadableLine', errorMessage: 'the archived line is not JSON' };
  }
  const eventType = (event as { event_type?: unknown } | null)?.event_type;
  if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof eventType !== 'string') {
    return {
      errorCode: 'UnreadableLine',
      errorMessage: 'the archived line is not an event with an event_type',
    };
  }
  if (eventType.length === 0 || eventType.length > MAX_DETAIL_TYPE_LENGTH) {
    return {
      errorCode: 'UnreadableLine',
      errorMessage: `event_type must have 1 to ${MAX_DETAIL_TYPE_LENGTH} characters`,
    };
  }
  const time = brazeTime((event as { time?: unknown }).time);
  return {
    Source: source,
    DetailType: eventType,
    Detail: text,
    Time: time === undefined ? hour : new Date(time * 1000),
    // The mark alone: with any other item, the archive rules would take the replay for a live event.
    Resources: [replayMark(replayName)],
  };
}

/**
 * Reads the selected partitions and publishes (or, without a port, counts) every archived event.
 * @throws Error when `replayName` is not a replay name (see `replayMark`)
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  // A bad name is refused before anything is read, not once per archived line.
  replayMark(options.replayName);
  const clock = options.clock ?? realClock();
  const summary: ReplaySummary = {
    objects: 0,
    read: 0,
    published: 0,
    failed: [],
    byEventType: {},
    dryRun: options.port === undefined,
  };
  const groupSize = options.rate ? Math.max(1, Math.min(GROUP_SIZE, Math.floor(options.rate))) : GROUP_SIZE;
  const startedAt = clock.now();
  let sent = 0;
  let group: ReplayItem[] = [];
  let hour = options.hours[0] ?? new Date(0);
  const progress = () =>
    options.onProgress?.({
      objects: summary.objects,
      read: summary.read,
      published: summary.published,
      failed: summary.failed.length,
      hour,
    });

  const flush = async () => {
    const port = options.port;
    if (group.length === 0 || !port) return;
    if (options.rate) {
      const due = startedAt + (sent / options.rate) * 1000;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait);
    }
    const items = group;
    group = [];
    sent += items.length;
    const outcome = await publishEntries(items, port, {
      ...DEFAULT_BACKOFF,
      ...clock,
      deadline: clock.now() + (options.retryWindowMs ?? 60_000),
    });
    summary.published += outcome.published.length;
    for (const { item, errorCode, errorMessage } of outcome.rejected) {
      summary.failed.push({ key: item.key, line: item.line, errorCode, errorMessage, text: item.text });
    }
    for (const item of outcome.unsent) {
      summary.failed.push({
        key: item.key,
        line: item.line,
        errorCode: 'Unsent',
        errorMessage: `still failing after the retry window${outcome.lastError ? ` (${outcome.lastError})` : ''}`,
        text: item.text,
      });
    }
    progress();
  };

  for await (const object of archiveObjects(options.store, options.hours, options.selectors)) {
    hour = object.hour;
    summary.objects += 1;
    let lines: string[];
    try {
      lines = archiveLines(await options.store.read(object.key));
    } catch (error) {
      summary.failed.push({
        key: object.key,
        line: 0,
        errorCode: 'UnreadableObject',
        errorMessage: error instanceof Error ? error.message : String(error),
        text: '',
      });
      continue;
    }
    for (const [index, text] of lines.entries()) {
      summary.read += 1;
      const entry = replayEntry(text, object.hour, options.source, options.replayName);
      if (!('Source' in entry)) {
        summary.failed.push({ key: object.key, line: index + 1, ...entry, text });
        continue;
      }
      summary.byEventType[entry.DetailType] = (summary.byEventType[entry.DetailType] ?? 0) + 1;
      if (!options.port) continue;
      group.push({ entry, bytes: entrySize(entry), key: object.key, line: index + 1, text });
      if (group.length >= groupSize) await flush();
    }
    progress();
  }
  await flush();
  progress();
  return summary;
}
