/**
 * What the end-to-end tests share: a local pipeline on ephemeral ports and a temp data dir, quiet
 * and tuned for fast feedback, plus readers for what it produced (bus, archive, queues, objects).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type LocalPipeline, type StartLocalOptions, startLocal } from '#local/runtime/index';
import { LOCAL_CREDENTIALS } from '#local/stand-ins/index';

export interface TestPipeline {
  pipeline: LocalPipeline;
  s3: S3Client;
  close(): Promise<void>;
}

export async function startTestPipeline(options: StartLocalOptions = {}): Promise<TestPipeline> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'currents-e2e-'));
  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocal({
      port: 0,
      dataDir,
      tokens: ['e2e-token'],
      logLevel: 'SILENT',
      redriveWaitSeconds: 1,
      spilloverVisibilityTimeoutSeconds: 2,
      firehoseFlushIntervalMs: 200,
      warn: () => undefined,
      ...options,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: pipeline.endpoints.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    pipeline,
    s3,
    async close() {
      s3.destroy();
      await pipeline.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export { until } from '../wait';

/** Every event on the pipeline's bus, as EventBridge delivers it to targets. */
export function busEvents(pipeline: LocalPipeline) {
  const eventBridge = pipeline.standIns.eventBridge;
  if (!eventBridge) throw new Error('the EventBridge stand-in is not running');
  return eventBridge.events;
}

/** Whether the pipeline's spillover queue holds no message (visible, in flight or delayed). */
export function spilloverEmpty(test: TestPipeline): boolean {
  const sqs = test.pipeline.standIns.sqs;
  if (!sqs) throw new Error('the SQS stand-in is not running');
  const counts = sqs.counts(test.pipeline.names.spilloverQueueUrl.split('/').pop() ?? '');
  return counts.visible + counts.inFlight + counts.delayed === 0;
}

/**
 * How many copies beyond `sentCount` the bus may hold. Delivery is at-least-once end to end: a copy
 * comes only from a PutEvents call made again (the receiver timed out waiting for an answer on a
 * loaded machine and retried that call's ≤ 10 entries) or from a spilled entry the redrive
 * publishes again. Publishing `sentCount` events takes at least `sentCount / 10` calls; every call
 * beyond those may carry up to 10 copies.
 */
export function copiesExplained(pipeline: LocalPipeline, sentCount: number): number {
  const calls = pipeline.standIns.eventBridge?.stats.putEventsCalls ?? 0;
  const extraCalls = Math.max(0, calls - Math.ceil(sentCount / 10));
  return 10 * extraCalls + pipeline.counts().spilled;
}

/** Ids of the Braze events on the bus, with how often each arrived. */
export function busIdCounts(pipeline: LocalPipeline): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of busEvents(pipeline)) {
    const id = (event.detail as { id?: unknown }).id;
    if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** Every archived line with the object key it is in (objects are gzip, one event per line). */
export async function readArchive(
  s3: S3Client,
  bucket: string,
): Promise<Array<{ key: string; line: string }>> {
  const lines: Array<{ key: string; line: string }> = [];
  for (const key of await listKeys(s3, bucket, 'events/')) {
    const text = gunzipSync(await getObject(s3, bucket, key)).toString('utf8');
    for (const line of text.split('\n')) if (line !== '') lines.push({ key, line });
  }
  return lines;
}

/** A POST as Braze sends it, with any body and headers. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'braze-currents-version': '1',
      authorization: 'Bearer e2e-token',
      ...headers,
    },
    body,
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, json };
}
