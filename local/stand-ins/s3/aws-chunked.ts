/**
 * Decoder of the `aws-chunked` content encoding, in which SDK v3 (by default, since its 2025
 * data-integrity change) sends streamed bodies with the checksum in a trailer, and SigV4 streaming
 * uploads send signed chunks:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 *
 * Each chunk is `<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n`; a zero-size chunk ends the
 * data, followed by trailer lines `<name>:<value>\r\n` and an empty line. Signatures are not
 * checked (the stand-in accepts any credentials).
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A body that breaks the encoding. */
export class AwsChunkedError extends Error {}

const MAX_LINE = 4096;

export class AwsChunkedDecoder extends Transform {
  /** Trailer headers, lower-case names, once the body has ended. */
  readonly trailers: Record<string, string> = {};
  private pending: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') {
      callback(new AwsChunkedError('the aws-chunked body ended before its final chunk'));
      return;
    }
    callback();
  }

  private line(): string | undefined {
    const end = this.pending.indexOf('\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_LINE) throw new AwsChunkedError('aws-chunked line too long');
      return undefined;
    }
    const text = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  private drain(): void {
    for (;;) {
      switch (this.state) {
        case 'size': {
          const header = this.line();
          if (header === undefined) return;
          const sizeText = header.split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) {
            throw new AwsChunkedError(
              `malformed aws-chunked chunk header: ${JSON.stringify(header.slice(0, 80))}`,
            );
          }
          this.remaining = Number.parseInt(sizeText, 16);
          this.state = this.remaining === 0 ? 'trailer' : 'data';
          break;
        }
        case 'data': {
          if (this.pending.length === 0) return;
          const take = Math.min(this.remaining, this.pending.length);
          this.push(this.pending.subarray(0, take));
          this.pending = this.pending.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          if (this.pending.length < 2) return;
          if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) {
            throw new AwsChunkedError('an aws-chunked chunk is longer than its declared size');
          }
          this.pending = this.pending.subarray(2);
          this.state = 'size';
          break;
        }
        case 'trailer': {
          const text = this.line();
          if (text === undefined) return;
          if (text === '') {
            this.state = 'done';
            break;
          }
          const colon = text.indexOf(':');
          if (colon <= 0) throw new AwsChunkedError('malformed aws-chunked trailer');
          this.trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
          break;
        }
        case 'done':
          if (this.pending.length > 0 && this.pending.toString('latin1').trim() !== '') {
            throw new AwsChunkedError('data after the end of an aws-chunked body');
          }
          this.pending = Buffer.alloc(0);
          return;
      }
    }
  }
}
