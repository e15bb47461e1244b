/**
 * The EventBridge entry as the functions build it, and its size as EventBridge counts it. Kept free
 * of AWS SDK imports so the pure modules and the local stand-ins can share it.
 */
import { PUT_EVENTS_LIMITS } from './aws-limits';

/** A PutEvents entry without `EventBusName`; the publisher adds the bus. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  Resources?: string[];
}

/** EventBridge counts a set `Time` as 14 bytes, whatever the timestamp. */
export const TIME_FIELD_BYTES = PUT_EVENTS_LIMITS.timeFieldBytes;

/**
 * Entry size by EventBridge's published rule: 14 bytes for `Time`, plus the UTF-8 bytes of `Source`,
 * `DetailType`, `Detail` and each of `Resources`.
 */
export function entrySize(entry: BusEntry): number {
  let bytes =
    TIME_FIELD_BYTES +
    Buffer.byteLength(entry.Source) +
    Buffer.byteLength(entry.DetailType) +
    Buffer.byteLength(entry.Detail);
  for (const resource of entry.Resources ?? []) bytes += Buffer.byteLength(resource);
  return bytes;
}

/** A `DetailType` EventBridge accepts: 1 to 128 characters. */
export const MAX_DETAIL_TYPE_LENGTH = PUT_EVENTS_LIMITS.maxDetailTypeLength;
