/**
 * From what API Gateway hands over to the body text: base64 (API Gateway encodes bodies it does not
 * take for text), then gzip when `Content-Encoding` says so, with a cap before and after
 * decompression so a large body or a gzip bomb is answered 413 instead of exhausting memory or
 * the function's time (the decompressed cap is derived in `../shared/body-cap.ts`).
 */
import { gunzipSync } from 'node:zlib';

export interface DecodeLimits {
  maxBodyBytes: number;
  maxDecompressedBytes: number;
}

export interface RawBody {
  body?: string | undefined;
  isBase64Encoded?: boolean | undefined;
  headers?: Readonly<Record<string, string | undefined>> | undefined;
}

export type DecodeResult =
  | { ok: true; text: string }
  | { ok: false; status: 413; message: string }
  /** `raw` is what was received, base64-decoded, for the quarantine. */
  | { ok: false; status: 400; message: string; raw: Buffer };

export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  wanted: string,
): string | undefined {
  for (const name in headers) {
    if (name.toLowerCase() === wanted) return headers[name];
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeBody(request: RawBody, limits: DecodeLimits): DecodeResult {
  const body = request.body ?? '';
  const encoding = (headerValue(request.headers, 'content-encoding') ?? '').trim().toLowerCase();
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
  if (!request.isBase64Encoded && !gzipped) {
    // The common case: API Gateway passed text; no copy, no decode.
    // A UTF-16 unit is at most 3 UTF-8 bytes: count the bytes only when the cap could be near.
    const surelyUnder = body.length * 3 <= limits.maxBodyBytes;
    if (
      !surelyUnder &&
      (body.length > limits.maxBodyBytes || Buffer.byteLength(body) > limits.maxBodyBytes)
    ) {
      return tooLarge(limits.maxBodyBytes);
    }
    return { ok: true, text: body };
  }
  // base64 carries 3 bytes per 4 characters: reject a huge body before decoding it.
  if (request.isBase64Encoded && Math.floor((body.length * 3) / 4) > limits.maxBodyBytes + 2) {
    return tooLarge(limits.maxBodyBytes);
  }
  // A gzip body that arrives as text (not base64) can only be a byte-per-character string.
  const raw = request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'latin1');
  if (raw.length > limits.maxBodyBytes) return tooLarge(limits.maxBodyBytes);
  if (encoding !== '' && encoding !== 'identity' && !gzipped) {
    return { ok: false, status: 400, message: `unsupported Content-Encoding: ${encoding.slice(0, 40)}`, raw };
  }
  let bytes = raw;
  if (gzipped) {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: limits.maxDecompressedBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return {
          ok: false,
          status: 413,
          message: `gzip body larger than ${limits.maxDecompressedBytes} bytes decompressed; send smaller batches`,
        };
      }
      return { ok: false, status: 400, message: 'body is not valid gzip', raw };
    }
  }
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, status: 400, message: 'body is not valid UTF-8', raw };
  }
}

function tooLarge(limit: number): DecodeResult {
  return { ok: false, status: 413, message: `body larger than ${limit} bytes` };
}
