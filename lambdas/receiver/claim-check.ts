/**
 * Claim check for events too large to travel as one entry (or larger than the configured
 * threshold): the event goes to S3 as it is, and a small pointer event with the same `DetailType`,
 * `id` and `time` is published, so rules still route it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eventTypePartitionValue } from '../shared/archive-partition';
import { entrySize } from '../shared/bus-entry';
import { CLAIM_CHECK_FIELD, type ClaimCheckDetail, S3_PREFIX } from '../shared/contract';
import type { PreparedEvent } from '../shared/entries';
import { utcDate } from '../shared/quarantine';

/** An `id` longer than this is not copied into the pointer, which must stay small. */
const MAX_POINTER_ID_LENGTH = 256;

/**
 * `claim-check/dt=YYYY-MM-DD/event_type=<value>/<id>-<digest>.json`: `<value>` is the archive's
 * partition encoding of the type (jq `@uri`, never a `/` or a `..` segment; at most 244 bytes,
 * longer types are quarantined before), `<id>` the Braze id when it is a plain UUID-like name, else
 * a new UUID, and `<digest>` the first 16 hex digits of the SHA-256 of the event's text. Two
 * different events never share a key, even with the same `id` (nothing is overwritten), while
 * Braze's retry of the same event writes the same object again.
 * @param detail the event's text, exactly as it is stored
 */
export function claimCheckKey(receivedAt: Date, eventType: string, id: unknown, detail: string): string {
  const usableId =
    typeof id === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(id) ? id : randomUUID();
  const digest = createHash('sha256').update(detail).digest('hex').slice(0, 16);
  return `${S3_PREFIX.claimCheck}dt=${utcDate(receivedAt)}/event_type=${eventTypePartitionValue(eventType)}/${usableId}-${digest}.json`;
}

export function pointerDetail(prepared: PreparedEvent, bucket: string, key: string): ClaimCheckDetail {
  const { id, time } = prepared.event;
  const keepId = (typeof id === 'string' && id.length <= MAX_POINTER_ID_LENGTH) || typeof id === 'number';
  // Key order as in a Braze event: event_type, id, time, then the pointer.
  return {
    event_type: prepared.eventType,
    ...(keepId ? { id } : {}),
    ...(typeof time === 'number' ? { time } : {}),
    [CLAIM_CHECK_FIELD]: { bucket, key, bytes: Buffer.byteLength(prepared.entry.Detail) },
  };
}

/** The same event, now as a pointer: same position, DetailType, Time and Resources. */
export function toPointer(prepared: PreparedEvent, bucket: string, key: string): PreparedEvent {
  const entry = { ...prepared.entry, Detail: JSON.stringify(pointerDetail(prepared, bucket, key)) };
  return { ...prepared, entry, bytes: entrySize(entry) };
}
