import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3_CLIENT_SETTINGS_FOR_STAND_IN, S3StandIn } from '../../../local/stand-ins/s3-stand-in';

// Not s3rver's own key: the stand-in must accept whatever credentials local mode's handlers have.
const credentials = { accessKeyId: 'AKIALOCALTEST', secretAccessKey: 'local' };

describe('S3 stand-in (s3rver) with a current SDK v3 client', () => {
  let dataDir: string;
  let standIn: S3StandIn;
  let s3: S3Client;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 's3-stand-in-'));
    standIn = new S3StandIn({ dataDir, buckets: ['archive'] });
    const { url } = await standIn.start();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      credentials,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
  });

  afterEach(async () => {
    s3.destroy();
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores string and Buffer bodies byte for byte and lists them by prefix', async () => {
    const binary = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x10]);

    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'quarantine/a.json', Body: '{"a":1}' }));
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'quarantine/b.bin', Body: binary }));
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'claim-check/c.json', Body: '{}' }));

    const text = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'quarantine/a.json' }));
    const bytes = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'quarantine/b.bin' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'quarantine/' }));
    expect(await text.Body?.transformToString()).toBe('{"a":1}');
    expect(Buffer.from((await bytes.Body?.transformToByteArray()) ?? [])).toEqual(binary);
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['quarantine/a.json', 'quarantine/b.bin']);
  });

  it('stores a streamed body intact with the stand-in client settings (no aws-chunked trailer)', async () => {
    const body = Readable.from([Buffer.from('abc'), Buffer.from('def')]);

    await s3.send(
      new PutObjectCommand({ Bucket: 'archive', Key: 'stream.txt', Body: body, ContentLength: 6 }),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'stream.txt' }));
    expect(await got.Body?.transformToString()).toBe('abcdef');
  });

  it('lists more than 1,000 keys for a client that follows continuation tokens', async () => {
    const keys = Array.from({ length: 1_005 }, (_, index) => `events/${String(index).padStart(5, '0')}.gz`);
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(
        keys
          .slice(start, start + 50)
          .map((Key) => s3.send(new PutObjectCommand({ Bucket: 'archive', Key, Body: 'x' }))),
      );
    }

    const listed: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'events/', ContinuationToken: token }),
      );
      listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);

    expect(listed).toEqual(keys);
  });

  it('answers NoSuchKey for a missing object', async () => {
    const missing = s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'nope' }));

    await expect(missing).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('keeps objects across a restart on the same data directory', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'kept.txt', Body: 'kept' }));
    await standIn.stop();

    standIn = new S3StandIn({ dataDir, buckets: ['archive'] });
    const { url } = await standIn.start();
    s3.destroy();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      credentials,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });

    const got = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'kept.txt' }));
    expect(await got.Body?.transformToString()).toBe('kept');
  });
});
