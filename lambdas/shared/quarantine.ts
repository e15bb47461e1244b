/**
 * What cannot be published as it is goes to the archive bucket under `quarantine/`: ONE JSON
 * object per batch and reason, holding every item kept for that reason, with enough context to
 * replay them by hand:
 * `quarantine/dt=YYYY-MM-DD/<batchId>/<reason>.json` (the redrive adds `-<messageId>`).
 * One object per batch bounds the S3 writes a request can cause to a handful, whatever it holds.
 */
import { S3_LIMITS } from './aws-limits';
import { S3_PREFIX } from './contract';

/** Writes one object to the archive bucket. Throws when the write fails. */
export interface ObjectStorePort {
  readonly bucket: string;
  putObject(key: string, body: string, contentType?: string, signal?: AbortSignal): Promise<void>;
}

export type QuarantineReason =
  /** The request body could not be read as a Currents envelope (answered 400). */
  | 'invalid-body'
  /** Elements of `events` that cannot be EventBridge entries (see `entries.ts` for the checks). */
  | 'invalid-event'
  /** EventBridge refused the entry with a code that retrying will not change. */
  | 'rejected-entry'
  /** A spillover message the redrive could not read. */
  | 'invalid-spillover-message';

/** One kept thing: an element of `events`, an entry, or a whole body. */
export interface QuarantineItem {
  /** Position in `events` (or in the spillover message), or 0 for a whole body. */
  index: number;
  /** Why it is here, in a few words. */
  error: string;
  /**
   * The element's source text as it stood in the body, embedded verbatim (it is JSON): no
   * re-serialization, so nothing is altered and no nesting depth can break the write.
   */
  eventText?: string;
  /** The element as parsed, when no source text is at hand. */
  event?: unknown;
  /** The entry EventBridge refused, for `rejected-entry`. */
  entry?: unknown;
  /** The body as text (after base64 and gzip decoding), for `invalid-body` and spillover messages. */
  body?: string;
  /** The body as base64, when it could not be decoded to text. */
  bodyBase64?: string;
}

export interface QuarantineBatch {
  reason: QuarantineReason;
  batchId: string;
  /** ISO time the receiver (or redrive) got it. */
  receivedAt: string;
  /** The connector URL's query string, as received (`app_group=brand-a`), or `''`. */
  query: string;
  items: QuarantineItem[];
}

/** UTC date as `YYYY-MM-DD`: the partition of quarantine and claim-check keys. */
export function utcDate(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/**
 * Keeps a key segment to characters S3, Athena and file systems take as they are: anything but
 * `A–Z a–z 0–9 . _ -` becomes `_`, a segment of dots only (`.`, `..`) becomes `_`, and it is cut
 * to 200 characters. Lossy: use it only where the segment need not be read back.
 */
export function safeKeySegment(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return safe === '' || /^\.+$/.test(safe) ? '_' : safe;
}

export function quarantineKey(
  receivedAt: Date,
  batchId: string,
  reason: QuarantineReason,
  part?: string,
): string {
  const suffix = part === undefined ? '' : `-${safeKeySegment(part)}`;
  const key = `${S3_PREFIX.quarantine}dt=${utcDate(receivedAt)}/${safeKeySegment(batchId)}/${reason}${suffix}.json`;
  // Every segment above is bounded (200 characters at most), so this holds by construction.
  if (Buffer.byteLength(key) > S3_LIMITS.maxKeyBytes) throw new Error('quarantine key too long');
  return key;
}

function itemJson(item: QuarantineItem): string {
  const { eventText, ...rest } = item;
  const json = JSON.stringify(rest);
  // `eventText` is JSON already (a slice of a body JSON.parse accepted): embed it as it is.
  return eventText === undefined ? json : `${json.slice(0, -1)},"event":${eventText}}`;
}

/** The object's text: the batch context, then `items`, each item's event embedded verbatim. */
export function quarantineBody(batch: QuarantineBatch): string {
  const { items, ...context } = batch;
  return `${JSON.stringify(context).slice(0, -1)},"items":[${items.map(itemJson).join(',')}]}`;
}

/**
 * Writes the batch's items for one reason as one object.
 * @returns the key written
 * @throws whatever the store throws (the caller answers 503, so Braze retries)
 */
export async function quarantine(
  store: ObjectStorePort,
  batch: QuarantineBatch,
  options: { part?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const key = quarantineKey(new Date(batch.receivedAt), batch.batchId, batch.reason, options.part);
  await store.putObject(key, quarantineBody(batch), 'application/json', options.signal);
  return key;
}
