import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '#local/stand-ins/fault-proxy';
import { S3_CLIENT_SETTINGS_FOR_STAND_IN, S3StandIn } from '#local/stand-ins/s3-stand-in';
import { SqsStandIn } from '#local/stand-ins/sqs/sqs-stand-in';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('FaultProxy in front of the S3 stand-in', () => {
  let dataDir: string;
  let s3StandIn: S3StandIn;
  let proxy: FaultProxy;
  let s3: S3Client;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fault-proxy-'));
    s3StandIn = new S3StandIn({ dataDir, buckets: ['archive'] });
    proxy = new FaultProxy((await s3StandIn.start()).url);
    const { url } = await proxy.start();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      credentials,
      maxAttempts: 1,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
  });

  afterEach(async () => {
    s3.destroy();
    await proxy.stop();
    await s3StandIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forwards requests untouched while healthy', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'through the proxy' }));

    const got = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'k' }));

    expect(await got.Body?.transformToString()).toBe('through the proxy');
    expect(proxy.stats).toEqual({ forwarded: 2, faulted: 0 });
  });

  it('answers 503 ServiceUnavailable while failing, and forwards again after heal()', async () => {
    proxy.fail('unavailable');
    const failed = s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'x' }));
    await expect(failed).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });

    proxy.heal();
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'y' }));

    expect(proxy.stats.faulted).toBe(1);
    expect(proxy.stats.forwarded).toBe(1);
  });

  it('fails only the next N requests when given a count', async () => {
    proxy.fail('unavailable', 1);

    const first = s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'x' }));
    await expect(first).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'y' }));

    expect(proxy.failing).toBe(false);
  });

  it('resets connections in reset mode', async () => {
    proxy.fail('reset');

    const reset = s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'k', Body: 'x' }));

    await expect(reset).rejects.toThrow();
    expect(proxy.stats.faulted).toBe(1);
  });

  it('lets an SDK with retries ride out a short outage', async () => {
    const patient = new S3Client({
      region: 'us-east-1',
      endpoint: proxy.url,
      credentials,
      maxAttempts: 5,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
    proxy.fail('unavailable', 2);

    await patient.send(new PutObjectCommand({ Bucket: 'archive', Key: 'retried', Body: 'made it' }));

    const got = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: 'retried' }));
    expect(await got.Body?.transformToString()).toBe('made it');
    expect(proxy.stats.faulted).toBe(2);
    patient.destroy();
  });
});

describe('FaultProxy in front of a JSON-protocol stand-in (SQS)', () => {
  it('answers errors in the JSON protocol format the SDK parses', async () => {
    const sqsStandIn = new SqsStandIn();
    const proxy = new FaultProxy((await sqsStandIn.start()).url);
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: (await proxy.start()).url,
      credentials,
      maxAttempts: 1,
    });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
      proxy.fail('unavailable');

      const failed = sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));

      await expect(failed).rejects.toMatchObject({
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
      expect(sqsStandIn.peekBodies('q')).toEqual([]);
    } finally {
      sqs.destroy();
      await proxy.stop();
      await sqsStandIn.stop();
    }
  });
});
