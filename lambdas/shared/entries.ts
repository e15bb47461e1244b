/**
 * Braze events to EventBridge entries, per the event contract (docs/receiver.md, "The EventBridge event"):
 * `Source` configured, `DetailType` = `event_type`, `Detail` = the event verbatim, `Time` = the
 * Braze `time` when valid. Events that cannot be entries are returned for the quarantine, never
 * dropped. Shared: the receiver publishes with it, and `npm run pattern` shows a rule the very
 * entries the receiver would publish.
 */
import { eventTypePartitionValue } from './archive-partition';
import { FILE_NAME_MAX_BYTES, PUT_EVENTS_LIMITS } from './aws-limits';
import { type BusEntry, MAX_DETAIL_TYPE_LENGTH, TIME_FIELD_BYTES } from './bus-entry';
import { RESOURCE_KEY_VALUE_SEPARATOR } from './contract';
import { integerOutOfRange, type ValueShape, valueShape } from './event-slices';
import type { PublishItem } from './publisher';

export interface EntryContext {
  source: string;
  /** One `key=value` per query parameter of the connector URL; empty when there is none. */
  resources: readonly string[];
  receivedAt: Date;
}

export interface PreparedEvent extends PublishItem {
  /** Position in the request's `events`. */
  index: number;
  eventType: string;
  event: Record<string, unknown>;
  /** The Braze `time` in epoch seconds, when it is valid. */
  brazeTime: number | undefined;
}

export interface InvalidEvent {
  index: number;
  event: unknown;
  /** The element's source text, when the scanner had it (kept verbatim in the quarantine). */
  text?: string;
  error: string;
}

/**
 * The deepest `Detail` the receiver publishes. PutEvents processes JSON nested up to 1,000 levels;
 * EventBridge puts `Detail` one level down in the event it routes, so one level is kept spare.
 */
export const MAX_DETAIL_DEPTH = PUT_EVENTS_LIMITS.maxDetailDepth - 1;

/**
 * The longest archive partition value (`@uri` of `event_type`, in bytes): `event_type=<value>`
 * must fit a file name of local mode's archive (255 bytes) and keeps the S3 key (at most 1,024
 * bytes) far from its limit. Every Braze event type is far shorter; longer ones are quarantined.
 */
export const MAX_PARTITION_VALUE_BYTES = FILE_NAME_MAX_BYTES - 'event_type='.length;

const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** Bytes of the archive partition value of an event type (see `archive-partition.ts`). */
function partitionValueBytes(eventType: string): number {
  // The common case: a Braze type is its own partition value.
  return UNRESERVED_ONLY.test(eventType) ? eventType.length : eventTypePartitionValue(eventType).length;
}

/**
 * Why the query parameters cannot be the entries' `Resources` (each at most 2,048 characters), or
 * undefined. Such a batch cannot be published at all: every event is quarantined with this reason.
 */
export function resourcesProblem(resources: readonly string[]): string | undefined {
  const tooLong = resources.find((resource) => resource.length > PUT_EVENTS_LIMITS.maxResourceLength);
  return tooLong === undefined
    ? undefined
    : `a connector URL query parameter is longer than ${PUT_EVENTS_LIMITS.maxResourceLength} characters (EventBridge's Resources limit): ${tooLong.slice(0, 40)}…`;
}

/** Why a Detail text breaks a PutEvents limit on its content, or undefined. */
function detailProblem(text: string, shape: ValueShape): string | undefined {
  if (shape.depth > MAX_DETAIL_DEPTH) {
    return `event nested ${shape.depth} levels deep; EventBridge takes at most ${MAX_DETAIL_DEPTH} here`;
  }
  if (shape.longDigitRun) {
    const literal = integerOutOfRange(text, PUT_EVENTS_LIMITS.minInteger, PUT_EVENTS_LIMITS.maxInteger);
    if (literal !== undefined) {
      return `integer ${literal.slice(0, 40)} outside EventBridge's signed 64-bit range`;
    }
  }
  return undefined;
}

/** Year 9999: beyond it a `Date` is no timestamp any service will take. */
const LATEST_EPOCH_SECONDS = 253_402_300_799;

/** The Braze `time` (epoch seconds) as a Date, or undefined when it is not a usable timestamp. */
export function brazeTime(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= LATEST_EPOCH_SECONDS
    ? value
    : undefined;
}

/**
 * `app_group=brand-a&x=1` → `['app_group=brand-a', 'x=1']`, percent-decoding included; `flag` →
 * `['flag=']`. Every item holds {@link RESOURCE_KEY_VALUE_SEPARATOR}, whatever the query string: the
 * archive rules rely on it to never take a live event for a replay (the replay mark holds none).
 */
export function resourcesFromQuery(rawQueryString: string | undefined): string[] {
  if (!rawQueryString) return [];
  return [...new URLSearchParams(rawQueryString)].map(
    ([key, value]) => `${key}${RESOURCE_KEY_VALUE_SEPARATOR}${value}`,
  );
}

function invalidReason(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'event is not an object';
  const eventType = (event as { event_type?: unknown }).event_type;
  if (typeof eventType !== 'string') return 'event has no string event_type';
  // EventBridge refuses an empty or longer DetailType for every entry of the request.
  if (eventType.length === 0 || eventType.length > MAX_DETAIL_TYPE_LENGTH) {
    return `event_type must have 1 to ${MAX_DETAIL_TYPE_LENGTH} characters`;
  }
  if (partitionValueBytes(eventType) > MAX_PARTITION_VALUE_BYTES) {
    return `event_type too long for the archive partition once percent-encoded (at most ${MAX_PARTITION_VALUE_BYTES} bytes)`;
  }
  return undefined;
}

/**
 * `texts`, when given, holds the source text of each event: it becomes `Detail` as it is (the
 * event verbatim, byte for byte), and `shapes` its nesting and digit runs. Without them, `Detail`
 * is `JSON.stringify` of the parsed event and its shape is scanned here. Every event that would
 * break a PutEvents limit (`DetailType`, `Detail` depth and integers, `Resources`) or the archive's
 * partition limit is returned in `invalid` with the reason, never sent.
 */
export function prepareEvents(
  events: readonly unknown[],
  context: EntryContext,
  texts?: readonly string[],
  shapes?: readonly ValueShape[],
): { prepared: PreparedEvent[]; invalid: InvalidEvent[] } {
  const prepared: PreparedEvent[] = [];
  const invalid: InvalidEvent[] = [];
  const batchProblem = resourcesProblem(context.resources);
  const resources = context.resources.length > 0 ? [...context.resources] : undefined;
  let fixedBytes = TIME_FIELD_BYTES + Buffer.byteLength(context.source);
  for (const resource of context.resources) fixedBytes += Buffer.byteLength(resource);
  const receivedAt = context.receivedAt;

  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const text = texts?.[index];
    const reason = batchProblem ?? invalidReason(event);
    if (reason !== undefined) {
      invalid.push({ index, event, text, error: reason });
      continue;
    }
    const record = event as Record<string, unknown> & { event_type: string };
    const eventType = record.event_type;
    let detail: string;
    try {
      detail = text ?? JSON.stringify(record);
    } catch {
      invalid.push({ index, event, error: 'event cannot be serialized as JSON' });
      continue;
    }
    const problem = detailProblem(detail, shapes?.[index] ?? valueShape(detail));
    if (problem !== undefined) {
      invalid.push({ index, event, text: detail, error: problem });
      continue;
    }
    const time = brazeTime(record.time);
    const entry: BusEntry = {
      Source: context.source,
      DetailType: eventType,
      Detail: detail,
      Time: time === undefined ? receivedAt : new Date(time * 1000),
    };
    if (resources) entry.Resources = resources;
    prepared.push({
      index,
      eventType,
      event: record,
      brazeTime: time,
      entry,
      bytes: fixedBytes + Buffer.byteLength(eventType) + Buffer.byteLength(detail),
    });
  }
  return { prepared, invalid };
}
