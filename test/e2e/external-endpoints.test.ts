import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { factoryEvents, simulate } from '#local/simulator/index';
import {
  EventBridgeStandIn,
  FaultProxy,
  LOCAL_CREDENTIALS,
  S3StandIn,
  SqsStandIn,
} from '#local/stand-ins/index';
import { busIdCounts, readArchive, startTestPipeline, type TestPipeline, until } from './pipeline';

describe('AWS_ENDPOINT_URL_* already set: local mode uses those endpoints', () => {
  it('uses those endpoints: queues and bucket created there, the archive written there through an outage', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'currents-external-'));
    const s3 = new S3StandIn({ dataDir: dir, buckets: [] });
    const sqs = new SqsStandIn({});
    const s3Proxy = new FaultProxy((await s3.start()).url);
    const sqsEndpoint = (await sqs.start()).url;
    const s3Endpoint = (await s3Proxy.start()).url;
    vi.stubEnv('AWS_ENDPOINT_URL_S3', s3Endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', sqsEndpoint);
    const direct = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    const events = factoryEvents({ count: 300, seed: 31 });
    let test: TestPipeline | undefined;
    try {
      test = await startTestPipeline();
      const pipeline = test.pipeline;

      // Act
      s3Proxy.fail('unavailable');
      const report = await simulate({ url: pipeline.url, token: pipeline.token, events });
      await until(() => s3Proxy.stats.faulted > 0, 'the local Firehose to hit the S3 outage');
      s3Proxy.heal();
      await pipeline.settle();
      let archived: string[] = [];
      await until(async () => {
        archived = (await readArchive(direct, pipeline.names.archiveBucket)).map(
          ({ line }) => JSON.parse(line).id,
        );
        return archived.length >= events.length;
      }, 'the archive in the external S3');

      // Assess
      expect(pipeline.standIns.s3).toBeUndefined();
      expect(pipeline.standIns.sqs).toBeUndefined();
      expect(pipeline.endpoints).toMatchObject({ s3: s3Endpoint, sqs: sqsEndpoint });
      expect(pipeline.names.spilloverQueueUrl.startsWith(sqsEndpoint)).toBe(true);
      expect(sqs.queueNames()).toContain(pipeline.names.spilloverQueueUrl.split('/').pop());
      expect(report).toMatchObject({ acknowledged: 300, dropped: 0 });
      expect(events.every((e) => busIdCounts(pipeline).has(e.id))).toBe(true);
      expect(new Set(archived)).toEqual(new Set(events.map((e) => e.id)));
    } finally {
      direct.destroy();
      await test?.close();
      await s3Proxy.stop();
      await s3.stop();
      await sqs.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts again against queues an earlier run left with other attributes', async () => {
    // Prepare
    const sqs = new SqsStandIn({});
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', (await sqs.start()).url);
    const first = await startTestPipeline({ spilloverVisibilityTimeoutSeconds: 2 });
    const firstQueueUrl = first.pipeline.names.spilloverQueueUrl;
    await first.close();
    let second: TestPipeline | undefined;
    try {
      // Act
      second = await startTestPipeline({ spilloverVisibilityTimeoutSeconds: 3 });

      // Assess
      expect(second.pipeline.names.spilloverQueueUrl).toBe(firstQueueUrl);
    } finally {
      await second?.close();
      await sqs.stop();
    }
  });

  it('publishes to another EventBridge endpoint, on the bus named by EVENT_BUS_NAME', async () => {
    // Prepare
    const eventBridge = new EventBridgeStandIn({ busNames: ['team-bus'] });
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', (await eventBridge.start()).url);
    vi.stubEnv('EVENT_BUS_NAME', 'team-bus');
    const events = factoryEvents({ count: 40, seed: 33 });
    let test: TestPipeline | undefined;
    try {
      test = await startTestPipeline();

      // Act
      const report = await simulate({ url: test.pipeline.url, token: test.pipeline.token, events });

      // Assess
      expect(test.pipeline.standIns.eventBridge).toBeUndefined();
      expect(test.pipeline.names.eventBus).toBe('team-bus');
      expect(report).toMatchObject({ acknowledged: 40, dropped: 0 });
      expect(eventBridge.stats.droppedUnknownBus).toBe(0);
      expect(new Set(eventBridge.events.map((e) => (e.detail as { id: string }).id))).toEqual(
        new Set(events.map((e) => e.id)),
      );
    } finally {
      await test?.close();
      await eventBridge.stop();
    }
  });
});
