import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { factoryEvents, simulate } from '../../local/simulator';
import { FaultProxy, LOCAL_CREDENTIALS, S3StandIn, SqsStandIn } from '../../local/stand-ins';
import { busIdCounts, readArchive, startTestPipeline, type TestPipeline, until } from './pipeline';

describe('AWS_ENDPOINT_URL_S3 and _SQS already set: local mode uses those endpoints', () => {
  let dir: string;
  let s3: S3StandIn;
  let sqs: SqsStandIn;
  let s3Proxy: FaultProxy;
  let test: TestPipeline;
  let s3Endpoint = '';
  let sqsEndpoint = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'currents-external-'));
    s3 = new S3StandIn({ dataDir: path.join(dir, 'external'), buckets: [] });
    sqs = new SqsStandIn({});
    s3Proxy = new FaultProxy((await s3.start()).url);
    sqsEndpoint = (await sqs.start()).url;
    s3Endpoint = (await s3Proxy.start()).url;
    vi.stubEnv('AWS_ENDPOINT_URL_S3', s3Endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', sqsEndpoint);
    test = await startTestPipeline();
  });

  afterAll(async () => {
    await test?.close();
    await s3Proxy?.stop();
    await s3?.stop();
    await sqs?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts no stand-in of its own for those services and creates the queues and bucket there', () => {
    // Assess
    expect(test.pipeline.standIns.s3).toBeUndefined();
    expect(test.pipeline.standIns.sqs).toBeUndefined();
    expect(test.pipeline.endpoints.s3).toBe(s3Endpoint);
    expect(test.pipeline.endpoints.sqs).toBe(sqsEndpoint);
    expect(test.pipeline.names.spilloverQueueUrl.startsWith(sqsEndpoint)).toBe(true);
    expect(sqs.queueNames()).toEqual(
      expect.arrayContaining([test.pipeline.names.spilloverQueueUrl.split('/').pop()]),
    );
  });

  it('archives into the given S3 through an outage of it, and publishes every event', async () => {
    // Prepare
    const events = factoryEvents({ count: 300, seed: 31 });
    s3Proxy.fail('unavailable');

    // Act
    const report = await simulate({ url: test.pipeline.url, token: test.pipeline.token, events });
    await until(() => s3Proxy.stats.faulted > 0, 'the local Firehose to hit the S3 outage');
    s3Proxy.heal();
    await test.pipeline.settle();
    const direct = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    let archived: string[] = [];
    await until(async () => {
      archived = (await readArchive(direct, test.pipeline.names.archiveBucket)).map(
        ({ line }) => JSON.parse(line).id,
      );
      return archived.length >= events.length;
    }, 'the archive in the external S3');
    direct.destroy();

    // Assess
    expect(report).toMatchObject({ acknowledged: 300, dropped: 0 });
    expect(events.every((e) => busIdCounts(test.pipeline).has(e.id))).toBe(true);
    expect(new Set(archived)).toEqual(new Set(events.map((e) => e.id)));
    expect(s3Proxy.stats.faulted).toBeGreaterThan(0);
  });
});
