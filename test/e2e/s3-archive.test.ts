import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrazeEvent } from '#local/event-factory';
import { factoryEvents, simulate } from '#local/simulator/index';
import { listKeys, readArchive, startTestPipeline, type TestPipeline, until } from './pipeline';

const TYPES = ['users.messages.email.Send', 'users.messages.email.Open', 'users.behaviors.CustomEvent'];

/** Every file under a directory, relative to it (what a glob such as DuckDB's `**` walks). */
function filesUnder(directory: string): string[] {
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else files.push(child);
    }
  };
  walk('');
  return files.sort();
}

describe('local S3: the archive as S3 lists it and as plain gzip files', () => {
  let test: TestPipeline;
  let events: BrazeEvent[];
  let bucket: string;

  beforeAll(async () => {
    test = await startTestPipeline();
    bucket = test.pipeline.names.archiveBucket;
    events = factoryEvents({ count: 120, seed: 91, types: TYPES });
    const report = await simulate({ url: test.pipeline.url, token: test.pipeline.token, events });
    expect(report).toMatchObject({ acknowledged: events.length, dropped: 0 });
    await test.pipeline.settle();
    await until(async () => (await readArchive(test.s3, bucket)).length >= events.length, 'the archive');
  });

  afterAll(async () => {
    await test?.close();
  });

  it('lists the archive prefixes with Delimiter "/", as `aws s3 ls` shows them', async () => {
    // Act
    const root = await test.s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    const types = await test.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', Prefix: 'events/' }),
    );

    // Assess
    expect(root.CommonPrefixes?.map((p) => p.Prefix)).toContain('events/');
    expect(root.Contents).toBeUndefined();
    expect(types.CommonPrefixes?.map((p) => p.Prefix)).toEqual(
      [...TYPES].sort().map((type) => `events/event_type=${type}/`),
    );
    expect(types.KeyCount).toBe(TYPES.length);
  });

  it('pages the archive keys two at a time with continuation tokens', async () => {
    // Prepare
    const all = await listKeys(test.s3, bucket, 'events/');
    expect(all.length).toBeGreaterThanOrEqual(TYPES.length);

    // Act
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await test.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'events/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages.push(page);
      token = page.NextContinuationToken;
    } while (token);

    // Assess
    expect(pages[0]?.IsTruncated).toBe(true);
    expect(pages.every((page) => (page.Contents?.length ?? 0) <= 2)).toBe(true);
    expect(pages.flatMap((page) => page.Contents?.map((o) => o.Key) ?? [])).toEqual(all);
  });

  it('keeps every archive object as a plain gzip file at its key, and no other file among them', async () => {
    // Prepare
    const keys = await listKeys(test.s3, bucket, 'events/');
    const archiveDir = test.pipeline.locations.archive;

    // Act
    const files = filesUnder(archiveDir);
    const ids = new Set<string>();
    for (const file of files) {
      const bytes = readFileSync(path.join(archiveDir, file));
      expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
      for (const line of gunzipSync(bytes).toString('utf8').split('\n')) {
        if (line !== '') ids.add((JSON.parse(line) as BrazeEvent).id);
      }
    }

    // Assess
    expect(archiveDir).toBe(path.join(test.pipeline.dataDir, 's3', bucket, 'events/'));
    expect(files.map((file) => `events/${file}`)).toEqual(keys);
    expect(
      files.every((file) => /^event_type=[^/]+\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[^/]+\.gz$/.test(file)),
    ).toBe(true);
    expect(ids).toEqual(new Set(events.map((e) => e.id)));
  });
});
