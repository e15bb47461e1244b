/**
 * Braze events to EventBridge entries, per the event contract in DESIGN.md: `Source` configured,
 * `DetailType` = `event_type`, `Detail` = the event verbatim, `Time` = the Braze `time` when valid.
 * Events that cannot be entries are returned for the quarantine, never dropped.
 */
import { type BusEntry, MAX_DETAIL_TYPE_LENGTH, TIME_FIELD_BYTES } from '../shared/bus-entry';
import type { PublishItem } from '../shared/publisher';

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
  error: string;
}

/** Year 9999: beyond it a `Date` is no timestamp any service will take. */
const LATEST_EPOCH_SECONDS = 253_402_300_799;

/** The Braze `time` (epoch seconds) as a Date, or undefined when it is not a usable timestamp. */
export function brazeTime(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= LATEST_EPOCH_SECONDS
    ? value
    : undefined;
}

/** `app_group=brand-a&x=1` → `['app_group=brand-a', 'x=1']`, percent-decoding included. */
export function resourcesFromQuery(rawQueryString: string | undefined): string[] {
  if (!rawQueryString) return [];
  return [...new URLSearchParams(rawQueryString)].map(([key, value]) => `${key}=${value}`);
}

function invalidReason(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'event is not an object';
  const eventType = (event as { event_type?: unknown }).event_type;
  if (typeof eventType !== 'string') return 'event has no string event_type';
  // EventBridge refuses an empty or longer DetailType for every entry of the request.
  if (eventType.length === 0 || eventType.length > MAX_DETAIL_TYPE_LENGTH) {
    return `event_type must have 1 to ${MAX_DETAIL_TYPE_LENGTH} characters`;
  }
  return undefined;
}

/**
 * `texts`, when given, holds the source text of each event: it becomes `Detail` as it is (the
 * event verbatim, byte for byte). Without it, `Detail` is `JSON.stringify` of the parsed event.
 */
export function prepareEvents(
  events: readonly unknown[],
  context: EntryContext,
  texts?: readonly string[],
): { prepared: PreparedEvent[]; invalid: InvalidEvent[] } {
  const prepared: PreparedEvent[] = [];
  const invalid: InvalidEvent[] = [];
  const resources = context.resources.length > 0 ? [...context.resources] : undefined;
  let fixedBytes = TIME_FIELD_BYTES + Buffer.byteLength(context.source);
  for (const resource of context.resources) fixedBytes += Buffer.byteLength(resource);
  const receivedAt = context.receivedAt;

  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const reason = invalidReason(event);
    if (reason !== undefined) {
      invalid.push({ index, event, error: reason });
      continue;
    }
    const record = event as Record<string, unknown> & { event_type: string };
    const eventType = record.event_type;
    const detail = texts?.[index] ?? JSON.stringify(record);
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
