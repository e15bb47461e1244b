import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '#lambdas/receiver/decode';

const limits = { maxBodyBytes: 1_000, maxDecompressedBytes: 10_000 };

describe('decodeBody', () => {
  it('passes plain text through', () => {
    expect(decodeBody({ body: '{"events":[]}' }, limits)).toEqual({ ok: true, text: '{"events":[]}' });
  });

  it('treats a missing body as empty', () => {
    expect(decodeBody({}, limits)).toEqual({ ok: true, text: '' });
  });

  it('decodes base64, then gzip, whatever the header name case', () => {
    const text = '{"events":[{"event_type":"é"}]}';
    const body = gzipSync(text).toString('base64');
    expect(
      decodeBody({ body, isBase64Encoded: true, headers: { 'Content-Encoding': 'gzip' } }, limits),
    ).toEqual({ ok: true, text });
    expect(decodeBody({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true }, limits)).toEqual(
      { ok: true, text },
    );
  });

  it('caps the body as received: UTF-8 bytes, not characters', () => {
    expect(decodeBody({ body: 'a'.repeat(1_000) }, limits).ok).toBe(true);
    expect(decodeBody({ body: 'a'.repeat(1_001) }, limits)).toMatchObject({ ok: false, status: 413 });
    expect(decodeBody({ body: 'é'.repeat(501) }, limits)).toMatchObject({ ok: false, status: 413 });
    const base64 = Buffer.alloc(1_001).toString('base64');
    expect(decodeBody({ body: base64, isBase64Encoded: true }, limits)).toMatchObject({
      ok: false,
      status: 413,
    });
  });

  it('caps the decompressed size: a gzip bomb gets 413', () => {
    const bomb = gzipSync(Buffer.alloc(10_001, 0x20));
    expect(bomb.length).toBeLessThan(1_000);
    expect(
      decodeBody(
        { body: bomb.toString('base64'), isBase64Encoded: true, headers: { 'content-encoding': 'gzip' } },
        limits,
      ),
    ).toMatchObject({
      ok: false,
      status: 413,
    });
  });

  it('takes a gzip body that inflates to exactly the cap, refuses one byte more with a clear message', () => {
    const gzipped = (bytes: number) => ({
      body: gzipSync(Buffer.alloc(bytes, 0x20)).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(decodeBody(gzipped(10_000), limits)).toEqual({ ok: true, text: ' '.repeat(10_000) });
    expect(decodeBody(gzipped(10_001), limits)).toEqual({
      ok: false,
      status: 413,
      message: 'gzip body larger than 10000 bytes decompressed; send smaller batches',
    });
  });

  it('answers 400 with the raw bytes for corrupt gzip, invalid UTF-8 and unknown encodings', () => {
    const corrupt = decodeBody(
      {
        body: Buffer.from('nope').toString('base64'),
        isBase64Encoded: true,
        headers: { 'content-encoding': 'gzip' },
      },
      limits,
    );
    expect(corrupt).toMatchObject({ ok: false, status: 400 });
    expect(corrupt.ok === false && corrupt.status === 400 && corrupt.raw.toString()).toBe('nope');
    const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    expect(decodeBody({ body: invalidUtf8, isBase64Encoded: true }, limits)).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(
      decodeBody({ body: 'x', isBase64Encoded: true, headers: { 'content-encoding': 'br' } }, limits),
    ).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});
