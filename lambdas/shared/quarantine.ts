/**
 * What cannot be published as it is goes to the archive bucket under `quarantine/`, one JSON object
 * per body or event, with enough context to replay it by hand:
 * `quarantine/dt=YYYY-MM-DD/<batchId>/<reason>-<index>.json`.
 */
import { S3_PREFIX } from './contract';

/** Writes one object to the archive bucket. Throws when the write fails. */
export interface ObjectStorePort {
  readonly bucket: string;
  putObject(key: string, body: string, contentType?: string): Promise<void>;
}

export type QuarantineReason =
  /** The request body could not be read as a Currents envelope (answered 400). */
  | 'invalid-body'
  /** An element of `events` that is not an object with a string `event_type`. */
  | 'invalid-event'
  /** EventBridge refused the entry with a code that retrying will not change. */
  | 'rejected-entry'
  /** A spillover message the redrive could not read. */
  | 'invalid-spillover-message';

export interface QuarantineRecord {
  reason: QuarantineReason;
  batchId: string;
  /** ISO time the receiver (or redrive) got it. */
  receivedAt: string;
  /** The connector URL's query string, as received (`app_group=brand-a`), or `''`. */
  query: string;
  /** Position in `events` (or in the spillover message), or 0 for a whole body. */
  index: number;
  /** The event as parsed, for `invalid-event`. */
  event?: unknown;
  /** The body as text (after base64 and gzip decoding) for `invalid-body` and spillover messages. */
  body?: string;
  /** The body as base64, when it could not be decoded to text. */
  bodyBase64?: string;
  /** The entry EventBridge refused, for `rejected-entry`. */
  entry?: unknown;
  /** Why it is here, in a few words. */
  error?: string;
}

/** UTC date as `YYYY-MM-DD`: the partition of quarantine and claim-check keys. */
export function utcDate(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** Keeps key segments to characters S3 and Athena partitions take without escaping. */
export function safeKeySegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_';
}

export function quarantineKey(
  receivedAt: Date,
  batchId: string,
  reason: QuarantineReason,
  index: number,
): string {
  return `${S3_PREFIX.quarantine}dt=${utcDate(receivedAt)}/${safeKeySegment(batchId)}/${reason}-${index}.json`;
}

export async function quarantine(store: ObjectStorePort, record: QuarantineRecord): Promise<string> {
  const key = quarantineKey(new Date(record.receivedAt), record.batchId, record.reason, record.index);
  await store.putObject(key, JSON.stringify(record), 'application/json');
  return key;
}
