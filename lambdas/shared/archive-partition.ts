/**
 * How an `event_type` becomes the `event_type=<value>` partition of the archive's S3 keys
 * (`events/event_type=<value>/dt=YYYY-MM-DD/hour=HH/…`).
 *
 * `event_type` is text from the request: it must never add `/` segments, `..` or control bytes to
 * a key or a local path. The archive's Firehose stream builds the value with jq 1.6's `@uri`
 * (Firehose's inline parsing runs jq 1.6 only:
 * https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html),
 * which percent-encodes every UTF-8 byte except the unreserved characters
 * `A–Z a–z 0–9 - _ . ! ~ * ' ( )` as `%XX` (upper-case hex). Every Braze event type
 * (`users.messages.email.Send`, …) is made of unreserved characters only, so its partition value
 * is the type itself. The Athena table, the local query tool and the replay tool select partitions
 * with this one encoding; the local Firehose stand-in implements `@uri` on its own.
 */

const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]$/;

/**
 * The partition value for one `event_type`: jq 1.6 `@uri` of its UTF-8 bytes.
 * @param eventType any string (lone surrogates are encoded as U+FFFD's bytes, as UTF-8 encoding does)
 * @returns a string of unreserved characters and `%XX` escapes, never containing `/`
 */
export function eventTypePartitionValue(eventType: string): string {
  let out = '';
  for (const char of eventType) {
    if (UNRESERVED.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * The `event_type` a partition value stands for (the inverse of {@link eventTypePartitionValue}).
 * @throws URIError when `value` holds a malformed escape or bytes that are not UTF-8
 */
export function eventTypeFromPartitionValue(value: string): string {
  return decodeURIComponent(value);
}
