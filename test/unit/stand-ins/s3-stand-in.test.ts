import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3StandIn } from '#local/stand-ins/s3-stand-in';

// Any credentials: the stand-in must accept whatever local mode's handlers sign with.
const credentials = { accessKeyId: 'AKIALOCALTEST', secretAccessKey: 'local' };
const BUCKET = 'archive';

/** A current SDK v3 client with its defaults (checksums WHEN_SUPPORTED), only path-style added. */
function clientFor(url: string, maxAttempts = 1): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: url, credentials, forcePathStyle: true, maxAttempts });
}

/** Every file under a directory, relative to it. */
function filesUnder(directory: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(directory, path));
    }
  };
  walk(directory);
  return out.sort();
}

describe('S3 stand-in with a current SDK v3 client', () => {
  let dataDir: string;
  let standIn: S3StandIn;
  let s3: S3Client;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 's3-stand-in-'));
    standIn = new S3StandIn({ dataDir, buckets: [BUCKET] });
    s3 = clientFor((await standIn.start()).url);
  });

  afterEach(async () => {
    s3.destroy();
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const put = (Key: string, Body: string | Buffer = `body of ${Key}`) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  const get = async (Key: string, Bucket = BUCKET) => {
    const object = await s3.send(new GetObjectCommand({ Bucket, Key }));
    return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  };

  describe('objects as plain files', () => {
    it('stores an archive object as a plain gzip file at exactly its key, and nothing else in the bucket directory', async () => {
      const key =
        'events/event_type=users.messages.email.Send/dt=2026-11-30/hour=16/s-1-2026-11-30-16-00-00-x.gz';
      const gzip = gzipSync('{"id":"1"}\n{"id":"2"}\n');

      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzip, ContentType: 'application/gzip' }),
      );

      const onDisk = readFileSync(join(standIn.directory, BUCKET, key));
      expect(gunzipSync(onDisk).toString()).toBe('{"id":"1"}\n{"id":"2"}\n');
      expect(filesUnder(join(standIn.directory, BUCKET))).toEqual([key]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ContentType).toBe('application/gzip');
    });

    it('stores string, Buffer and streamed bodies byte for byte with the SDK default checksums', async () => {
      const binary = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x10]);
      await put('q/a.json', '{"a":1}');
      await put('q/b.bin', binary);
      // Since 2025 the SDK sends a stream as aws-chunked with a CRC32 trailer.
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'q/stream.txt',
          Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
          ContentLength: 6,
        }),
      );

      expect((await get('q/a.json')).toString()).toBe('{"a":1}');
      expect(await get('q/b.bin')).toEqual(binary);
      expect(readFileSync(join(standIn.directory, BUCKET, 'q/stream.txt'), 'utf8')).toBe('abcdef');
      const checked = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'q/stream.txt', ChecksumMode: 'ENABLED' }),
      );
      expect(checked.ChecksumCRC32).toBe(Buffer.from('4b8e39ef', 'hex').toString('base64'));
      expect(await checked.Body?.transformToString()).toBe('abcdef');
    });

    it('answers ETag = MD5 of the bytes, and keeps content type and user metadata', async () => {
      const body = 'some bytes';
      const put1 = await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'm',
          Body: body,
          ContentType: 'text/plain',
          Metadata: { origin: 'test' },
        }),
      );

      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'm' }));

      const md5 = `"${createHash('md5').update(body).digest('hex')}"`;
      expect(put1.ETag).toBe(md5);
      expect(head).toMatchObject({
        ETag: md5,
        ContentType: 'text/plain',
        Metadata: { origin: 'test' },
        ContentLength: 10,
      });
    });

    it('refuses a body whose checksum or Content-MD5 does not match (BadDigest), and stores nothing', async () => {
      const wrongCrc = s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'bad', Body: 'data', ChecksumCRC32: 'AAAAAA==' }),
      );
      await expect(wrongCrc).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
      const wrongMd5 = s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'bad',
          Body: 'data',
          ContentMD5: createHash('md5').update('other').digest('base64'),
        }),
      );
      await expect(wrongMd5).rejects.toMatchObject({ name: 'BadDigest' });

      await expect(get('bad')).rejects.toMatchObject({ name: 'NoSuchKey' });
    });

    it('serves byte ranges (206) and answers InvalidRange (416) past the end', async () => {
      await put('r', '0123456789');

      const middle = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'r', Range: 'bytes=2-4' }));
      const suffix = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'r', Range: 'bytes=-3' }));
      const past = s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'r', Range: 'bytes=10-' }));

      expect(middle.$metadata.httpStatusCode).toBe(206);
      expect(middle.ContentRange).toBe('bytes 2-4/10');
      expect(await middle.Body?.transformToString()).toBe('234');
      expect(await suffix.Body?.transformToString()).toBe('789');
      await expect(past).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
    });

    it('answers NoSuchKey, NoSuchBucket, NotFound (HEAD) and KeyTooLongError as S3 does', async () => {
      await expect(get('nope')).rejects.toMatchObject({
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
      await expect(get('k', 'no-such-bucket')).rejects.toMatchObject({ name: 'NoSuchBucket' });
      await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope' }))).rejects.toMatchObject({
        name: 'NotFound',
        $metadata: { httpStatusCode: 404 },
      });
      await expect(put('k'.repeat(1025))).rejects.toMatchObject({
        name: 'KeyTooLongError',
        $metadata: { httpStatusCode: 400 },
      });
      // 1,024 bytes is still legal: 512 two-byte characters.
      await put('\u00e9'.repeat(512), 'longest');
      expect((await get('\u00e9'.repeat(512))).toString()).toBe('longest');
    });

    it('round-trips keys that are not paths, all at once, inside the bucket directory', async () => {
      const keys = [
        'a/../b',
        'a//b',
        'a/',
        'a',
        'a/b',
        '../../../../x',
        '/leading',
        '.',
        '..',
        'a b+c%20d',
        'ünïcødé/日本語/😀',
        `${'s'.repeat(600)}/x`,
        `${'é'.repeat(400)}/${'z'.repeat(200)}`,
        'tab\there',
        'k'.repeat(1024),
      ];
      for (const key of keys) await put(key);

      for (const key of keys) expect((await get(key)).toString()).toBe(`body of ${key}`);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(
        [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
      );
      // Nothing outside the S3 directory, and only the objects themselves in the bucket's.
      expect(filesUnder(dataDir).every((path) => path.startsWith(`s3${'/'}`))).toBe(true);
      expect(filesUnder(join(standIn.directory, BUCKET))).toHaveLength(keys.length);
    });

    it('keeps `a` and `a/b` both, and puts `a` back at its plain path once `a/b` is gone', async () => {
      await put('a');
      await put('a/b');
      expect((await get('a')).toString()).toBe('body of a');

      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'a/b' }));

      expect(readFileSync(join(standIn.directory, BUCKET, 'a'), 'utf8')).toBe('body of a');
      expect((await get('a')).toString()).toBe('body of a');
      await expect(get('a/b')).rejects.toMatchObject({ name: 'NoSuchKey' });
    });

    it('never lets a reader see half an object while a new version streams in', async () => {
      const oldBody = Buffer.alloc(256 * 1024, 'o');
      const newBody = Buffer.alloc(256 * 1024, 'n');
      await put('busy.gz', oldBody);
      const path = join(standIn.directory, BUCKET, 'busy.gz');
      const reader = clientFor(standIn.url);
      const seen: string[] = [];
      // Each chunk of the new body is sent only after a reader has read the object in full.
      async function* slowBody() {
        for (let offset = 0; offset < newBody.length; offset += 16 * 1024) {
          const object = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'busy.gz' }));
          const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
          seen.push(bytes.equals(oldBody) ? 'old' : bytes.equals(newBody) ? 'new' : 'partial');
          seen.push(readFileSync(path).equals(oldBody) ? 'old' : 'other');
          yield newBody.subarray(offset, offset + 16 * 1024);
        }
      }
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: 'busy.gz',
            Body: Readable.from(slowBody()),
            ContentLength: newBody.length,
          }),
        );

        expect(seen).toHaveLength(32);
        expect(new Set(seen)).toEqual(new Set(['old']));
        expect((await get('busy.gz')).equals(newBody)).toBe(true);
      } finally {
        reader.destroy();
      }
    });

    it('keeps objects and their metadata across a restart on the same data directory', async () => {
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'kept', ContentType: 'text/plain' }),
      );
      await standIn.stop();
      s3.destroy();

      standIn = new S3StandIn({ dataDir, buckets: [BUCKET] });
      s3 = clientFor((await standIn.start()).url);

      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));
      expect(head.ContentType).toBe('text/plain');
      expect((await get('kept.txt')).toString()).toBe('kept');
    });

    it('copies objects and deletes them in batches', async () => {
      await put('src/one', 'one');
      await put('src/two', 'two');

      await s3.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: 'dst/one', CopySource: `${BUCKET}/src/one` }),
      );
      const deleted = await s3.send(
        new DeleteObjectsCommand({
          Bucket: BUCKET,
          Delete: { Objects: [{ Key: 'src/one' }, { Key: 'src/two' }, { Key: 'never' }] },
        }),
      );

      expect((await get('dst/one')).toString()).toBe('one');
      expect(deleted.Deleted?.map((d) => d.Key)).toEqual(['src/one', 'src/two', 'never']);
      const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(left.Contents?.map((o) => o.Key)).toEqual(['dst/one']);
    });
  });

  describe('listings', () => {
    /** Every page of a V2 listing, following continuation tokens. */
    async function allPages(input: {
      Prefix?: string;
      Delimiter?: string;
      MaxKeys?: number;
      StartAfter?: string;
    }) {
      const pages: ListObjectsV2CommandOutput[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: BUCKET, ...input, ContinuationToken: token }),
        );
        pages.push(page);
        token = page.NextContinuationToken;
        expect(page.IsTruncated).toBe(token !== undefined);
      } while (token);
      return pages;
    }

    const archiveKeys = [
      'events/event_type=users.behaviors.CustomEvent/dt=2026-11-30/hour=15/s-1.gz',
      'events/event_type=users.behaviors.CustomEvent/dt=2026-11-30/hour=16/s-2.gz',
      'events/event_type=users.messages.email.Send/dt=2026-11-30/hour=16/s-3.gz',
      'events/event_type=users.messages.email.Open/dt=2026-11-30/hour=16/s-4.gz',
      'quarantine/dt=2026-11-30/batch/invalid-0.json',
      'claim-check/dt=2026-11-30/big.json',
      'top.txt',
    ];

    beforeEach(async () => {
      for (const key of archiveKeys) await put(key);
    });

    it('rolls keys up into CommonPrefixes with a Delimiter (what `aws s3 ls` shows)', async () => {
      const root = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
      const types = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', Prefix: 'events/' }),
      );

      expect(root.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['claim-check/', 'events/', 'quarantine/']);
      expect(root.Contents?.map((o) => o.Key)).toEqual(['top.txt']);
      expect(root.KeyCount).toBe(4);
      expect(types.CommonPrefixes?.map((p) => p.Prefix)).toEqual([
        'events/event_type=users.behaviors.CustomEvent/',
        'events/event_type=users.messages.email.Open/',
        'events/event_type=users.messages.email.Send/',
      ]);
      expect(types.Contents).toBeUndefined();
    });

    it('pages by MaxKeys with continuation tokens, counting each common prefix once', async () => {
      const flat = await allPages({ MaxKeys: 2 });
      const grouped = await allPages({ MaxKeys: 2, Delimiter: '/', Prefix: 'events/' });

      expect(flat.map((page) => page.KeyCount)).toEqual([2, 2, 2, 1]);
      expect(flat.flatMap((page) => page.Contents?.map((o) => o.Key) ?? [])).toEqual([...archiveKeys].sort());
      expect(flat[0]?.IsTruncated).toBe(true);
      expect(flat[0]?.MaxKeys).toBe(2);
      expect(grouped.map((page) => page.CommonPrefixes?.map((p) => p.Prefix))).toEqual([
        ['events/event_type=users.behaviors.CustomEvent/', 'events/event_type=users.messages.email.Open/'],
        ['events/event_type=users.messages.email.Send/'],
      ]);
    });

    it('defaults to 1,000 keys a page and never returns more (files put there by hand count)', async () => {
      const keys = Array.from({ length: 1_005 }, (_, index) => `many/${String(index).padStart(5, '0')}`);
      mkdirSync(join(standIn.directory, BUCKET, 'many'));
      for (const key of keys) writeFileSync(join(standIn.directory, BUCKET, key), 'x');

      const first = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', MaxKeys: 5000 }),
      );
      const pages = await allPages({ Prefix: 'many/' });

      expect(first.Contents).toHaveLength(1000);
      expect(first.IsTruncated).toBe(true);
      expect(pages.flatMap((page) => page.Contents?.map((o) => o.Key) ?? [])).toEqual(keys);
      expect(first.Contents?.[0]?.ETag).toBe(`"${createHash('md5').update('x').digest('hex')}"`);
    });

    it('starts after StartAfter', async () => {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          StartAfter: 'events/event_type=users.messages.email.Open/dt=2026-11-30/hour=16/s-4.gz',
        }),
      );

      expect(page.Contents?.map((o) => o.Key)).toEqual([
        'events/event_type=users.messages.email.Send/dt=2026-11-30/hour=16/s-3.gz',
        'quarantine/dt=2026-11-30/batch/invalid-0.json',
        'top.txt',
      ]);
      expect(page.StartAfter).toBe(
        'events/event_type=users.messages.email.Open/dt=2026-11-30/hour=16/s-4.gz',
      );
    });

    it('pages a V1 listing with Marker and NextMarker', async () => {
      const first = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 }));
      const second = await s3.send(
        new ListObjectsCommand({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2, Marker: first.NextMarker }),
      );

      expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['claim-check/', 'events/']);
      expect(first.IsTruncated).toBe(true);
      expect(first.NextMarker).toBe('events/');
      expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['quarantine/']);
      expect(second.Contents?.map((o) => o.Key)).toEqual(['top.txt']);
      expect(second.IsTruncated).toBe(false);
    });

    it('orders keys by UTF-8 bytes, not UTF-16 code units', async () => {
      // U+FFFD sorts before U+1F600 in UTF-8 (EF… < F0…) but after it in UTF-16 (FFFD > D83D).
      await put('order/\u{1F600}');
      await put('order/\uFFFD');

      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'order/' }));

      expect(page.Contents?.map((o) => o.Key)).toEqual(['order/\uFFFD', 'order/\u{1F600}']);
    });

    it('URL-encodes keys with EncodingType=url', async () => {
      await put('enc/a b&c\u0001');

      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'enc/', EncodingType: 'url' }),
      );

      expect(page.Contents?.map((o) => decodeURIComponent(o.Key ?? ''))).toEqual(['enc/a b&c\u0001']);
      expect(page.Contents?.[0]?.Key).not.toContain(' ');
    });

    it('refuses a bad MaxKeys and a forged continuation token with InvalidArgument', async () => {
      const negative = s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: -1 }));
      await expect(negative).rejects.toMatchObject({ name: 'InvalidArgument' });
      const forged = s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'bm90IG91cnM=' }));

      await expect(forged).rejects.toMatchObject({
        name: 'InvalidArgument',
        $metadata: { httpStatusCode: 400 },
      });
    });
  });

  describe('multipart uploads', () => {
    it('assembles a lib-storage Upload, with the multipart ETag and composite checksum', async () => {
      const body = Buffer.alloc(11 * 1024 * 1024);
      for (let index = 0; index < body.length; index++) body[index] = (index * 31) % 251;

      const done = await new Upload({
        client: s3,
        params: { Bucket: BUCKET, Key: 'big/object.bin', Body: body },
      }).done();

      const partSize = 5 * 1024 * 1024;
      const partMd5s = [0, 1, 2].map((part) =>
        createHash('md5')
          .update(body.subarray(part * partSize, (part + 1) * partSize))
          .digest(),
      );
      const expectedEtag = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-3"`;
      expect(done.ETag).toBe(expectedEtag);
      expect(readFileSync(join(standIn.directory, BUCKET, 'big/object.bin')).equals(body)).toBe(true);
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/object.bin', ChecksumMode: 'ENABLED' }),
      );
      expect(head.ETag).toBe(expectedEtag);
      expect(head.ContentLength).toBe(body.length);
      expect(await standIn.uploadsInProgress()).toEqual([]);
    });

    it('copies parts from an existing object (UploadPartCopy with ranges, as `aws s3 cp` does between buckets)', async () => {
      const source = Buffer.alloc(6 * 1024 * 1024 + 10);
      for (let index = 0; index < source.length; index++) source[index] = index % 253;
      await put('copy/source', source);
      const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'copy/source' }));
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'copy/target' }),
      );
      const ranges = [
        [0, 5 * 1024 * 1024 - 1],
        [5 * 1024 * 1024, source.length - 1],
      ];

      const parts = [];
      for (const [index, [first, last]] of ranges.entries()) {
        const { CopyPartResult } = await s3.send(
          new UploadPartCopyCommand({
            Bucket: BUCKET,
            Key: 'copy/target',
            UploadId,
            PartNumber: index + 1,
            CopySource: `${BUCKET}/copy/source`,
            CopySourceRange: `bytes=${first}-${last}`,
          }),
        );
        parts.push({ ETag: CopyPartResult?.ETag, PartNumber: index + 1 });
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'copy/target',
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );

      expect(tags.TagSet).toEqual([]);
      expect((await get('copy/target')).equals(source)).toBe(true);
      const pastEnd = s3.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: 'copy/other',
          UploadId: (await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'copy/other' })))
            .UploadId,
          PartNumber: 1,
          CopySource: `${BUCKET}/copy/source`,
          CopySourceRange: `bytes=0-${source.length}`,
        }),
      );
      await expect(pastEnd).rejects.toMatchObject({ name: 'InvalidRange' });
    });

    it('refuses parts under 5 MiB but the last (EntityTooSmall), and forgets an aborted upload', async () => {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'small' }));
      const parts = [];
      for (const PartNumber of [1, 2]) {
        const { ETag } = await s3.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: 'small',
            UploadId,
            PartNumber,
            Body: `part ${PartNumber}`,
          }),
        );
        parts.push({ ETag, PartNumber });
      }

      const complete = s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'small',
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      await expect(complete).rejects.toMatchObject({ name: 'EntityTooSmall' });
      await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'small', UploadId }));
      const again = s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'small', UploadId }));
      await expect(again).rejects.toMatchObject({ name: 'NoSuchUpload' });
      await expect(get('small')).rejects.toMatchObject({ name: 'NoSuchKey' });
    });
  });

  describe('buckets', () => {
    it('creates, lists, locates, heads and deletes buckets', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));
      // Re-creating your own bucket in us-east-1 succeeds (the documented legacy behaviour).
      await s3.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));

      const buckets = await s3.send(new ListBucketsCommand({}));
      const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'second-bucket' }));
      await s3.send(new HeadBucketCommand({ Bucket: 'second-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'second-bucket', Key: 'x', Body: 'x' }));
      const notEmpty = s3.send(new DeleteBucketCommand({ Bucket: 'second-bucket' }));
      await expect(notEmpty).rejects.toMatchObject({ name: 'BucketNotEmpty' });
      await s3.send(new DeleteObjectCommand({ Bucket: 'second-bucket', Key: 'x' }));
      await s3.send(new DeleteBucketCommand({ Bucket: 'second-bucket' }));

      expect(buckets.Buckets?.map((b) => b.Name)).toEqual([BUCKET, 'second-bucket']);
      expect(location.LocationConstraint).toBeUndefined();
      await expect(s3.send(new HeadBucketCommand({ Bucket: 'second-bucket' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
      await expect(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
        name: 'InvalidBucketName',
      });
    });
  });
});
