/**
 * The largest request body the receiver can promise to see, derived from Lambda's synchronous
 * request limit and how API Gateway (HTTP API, payload format 2.0) wraps a body in the event.
 *
 * The invocation payload is the whole event JSON. A text body travels as a JSON string: in a body
 * that is valid JSON, only `"` and `\` (inside strings) and the whitespace characters tab, line
 * feed and carriage return (outside strings) need escaping, each as two characters, so the body
 * grows at most 2×. A body API Gateway base64-encodes grows 4/3×. Everything else in the event
 * (headers, request line, `requestContext`) gets {@link EVENT_RESERVE_BYTES}.
 *
 * Assumptions, documented in docs/limits.md: API Gateway keeps non-ASCII characters as UTF-8
 * (does not write them as `\uXXXX`); a text body that is NOT valid JSON may hold raw control
 * characters, each escaped to 6 bytes, so such a body near the cap can make an event Lambda
 * refuses — API Gateway then answers for us (see docs/limits.md); Braze sends JSON.
 */
import { LAMBDA_LIMITS } from './aws-limits';

/**
 * Room for the event around the body: the request line and header values (at most 10,240 bytes
 * together in an HTTP API) can appear twice in the event (`rawPath`/`requestContext.http.path`,
 * `rawQueryString`/`queryStringParameters`) and, escaped as `\u00XX`, grow 6×: 122,880 bytes; plus
 * header names, `requestContext` and the event's own keys. 256 KiB is twice that.
 */
export const EVENT_RESERVE_BYTES = 256 * 1024;

/** How much a valid-JSON text body can grow when API Gateway writes it into the event. */
export const TEXT_BODY_GROWTH = 2;

/**
 * 3,014,656 bytes (2.875 MiB): any valid-JSON body of at most this many bytes, text or base64,
 * makes a payload-2.0 event under Lambda's 6,291,456-byte synchronous request limit.
 */
export const MAX_BODY_CAP_BYTES = Math.floor(
  (LAMBDA_LIMITS.maxSyncRequestPayloadBytes - EVENT_RESERVE_BYTES) / TEXT_BODY_GROWTH,
);

/**
 * 3,014,656 bytes: the most a gzip body may inflate to (`MAX_DECOMPRESSED_BYTES` at most), the
 * same as {@link MAX_BODY_CAP_BYTES}.
 *
 * A gzip body brings the work of its inflated text: parsing it, checking every event, sending every
 * byte to EventBridge (PutEvents calls of at most 10 entries and 1 MB, all at once, retried within
 * the publish budget), and, while EventBridge throttles or fails, sending every byte again to the
 * spillover queue (SendMessageBatch calls of at most 1 MiB; escaping `Detail` as a JSON string at
 * most doubles it) in the 2 s the receiver keeps for that. All of it has to end before the function
 * timeout, and within the function's memory, on every retry of the same request: otherwise the
 * request is a poison batch. A 177 KB gzip body inflating to 100 MB (1,000 events of 100 KB) did
 * not: it worked until its deadline and answered 503, every time.
 *
 * The receiver's timeout and memory are set, and its worst cases measured, for the most a plain
 * body can bring, which Lambda's invocation limit already bounds to {@link MAX_BODY_CAP_BYTES}.
 * Inflated, a gzip body may bring no more: no bandwidth figure AWS does not publish enters the
 * cap, and no body is accepted gzipped that would be refused plain.
 *
 * Nothing Braze sends is lost by it: a Braze request holds at most 100 events, each at most 900 KB
 * (Currents drops larger events), and Braze answers a 413 by splitting the batch and resending it,
 * down to one event per request — far under this cap.
 */
export const MAX_DECOMPRESSED_CAP_BYTES = MAX_BODY_CAP_BYTES;
