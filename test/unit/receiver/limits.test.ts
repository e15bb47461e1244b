/**
 * The receiver against strict fakes (every documented limit enforced with AWS's error codes, and
 * dependencies that hang): each AWS limit an input can break is checked before calling AWS and
 * routed to the contract's answer; no such input yields a 5xx.
 */

import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { MAX_EVENTS_PER_REQUEST } from '#lambdas/receiver/receive';
import { LAMBDA_LIMITS } from '#lambdas/shared/aws-limits';
import { MAX_BODY_CAP_BYTES, MAX_DECOMPRESSED_CAP_BYTES } from '#lambdas/shared/body-cap';
import { DEFAULTS } from '#lambdas/shared/contract';
import { realClock } from '#lambdas/shared/publisher';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import { strictPutEvents, strictPutObject, strictSendMessageBatch } from './strict-fakes';
import {
  type ApiEventOptions,
  apiEvent,
  captureOutput,
  fakeClock,
  lambdaContext,
  NOW,
  receiverConfig,
  testClients,
} from './support';

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const secrets = mockClient(SecretsManagerClient);
const factory = new EventFactory({ seed: 8, time: Math.floor(NOW / 1000) - 30 });

let bus = strictPutEvents();
let store = strictPutObject();
let queue = strictSendMessageBatch();

beforeEach(() => {
  eventBridge.reset();
  s3.reset();
  sqs.reset();
  secrets.reset();
  bus = strictPutEvents();
  store = strictPutObject();
  queue = strictSendMessageBatch();
  eventBridge.on(PutEventsCommand).callsFake(bus.handle);
  s3.on(PutObjectCommand).callsFake(store.handle);
  sqs.on(SendMessageBatchCommand).callsFake(queue.handle);
});

type Response = APIGatewayProxyStructuredResultV2 & { body: string; headers: Record<string, string> };

/**
 * `realTime`: the tests of hanging dependencies run on the real clock (deadlines are real time;
 * middy itself ends the invocation 5 ms before the Lambda's remaining time, as in AWS).
 */
function setup(env: Record<string, string> = {}, realTime = false) {
  captureOutput();
  const handler = createReceiverHandler(
    buildReceiverDeps(receiverConfig(env), testClients(), createTelemetry(), {
      clock: realTime ? realClock() : fakeClock(),
      newBatchId: () => 'batch-1',
    }),
  );
  return async (options: ApiEventOptions, remainingMs = 25_000) =>
    (await handler(apiEvent(options), lambdaContext(remainingMs))) as Response;
}

const event = (fields: Record<string, unknown> = {}) => ({ ...factory.many(1)[0], ...fields });

describe('the body cap keeps every accepted body inside Lambda 6 MB invocation', () => {
  it('the worst valid-JSON body at the cap, with maximal headers, makes an event under 6,291,456 bytes', () => {
    // Every character inside the string is `"`, escaped as \" in the body and \\\" in the event.
    const head = '{"events":["';
    const tail = '"]}';
    const pairs = Math.floor((MAX_BODY_CAP_BYTES - head.length - tail.length) / 2);
    const body = `${head}${'\\"'.repeat(pairs)}${tail}`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_CAP_BYTES);
    expect(() => JSON.parse(body)).not.toThrow();
    // 10,240 bytes of request line and header values (HTTP API's quota), all control characters.
    const headers = { 'x-padding': '\u0001'.repeat(4_000) };
    const query = '%01'.repeat(2_000);
    const invocation = apiEvent({ body, headers, rawQueryString: query });
    invocation.queryStringParameters = { q: '\u0001'.repeat(2_000) };
    invocation.rawPath = `/${'\u0001'.repeat(200)}`;
    expect(Buffer.byteLength(JSON.stringify(invocation))).toBeLessThan(
      LAMBDA_LIMITS.maxSyncRequestPayloadBytes,
    );
  });

  it('the old 4 MiB cap did not: a 4 MiB body of escaped quotes makes an event over 8 MB', () => {
    const body = `{"events":["${'\\"'.repeat(2 * 1024 * 1024 - 8)}"]}`;
    expect(Buffer.byteLength(JSON.stringify(apiEvent({ body })))).toBeGreaterThan(8_000_000);
  });

  it('a body one byte over the configured cap that reaches the function gets 413', async () => {
    const invoke = setup({ MAX_BODY_BYTES: '2048' });
    const body = batchBody([event()]).padEnd(2049, ' ');
    const response = await invoke({ body });
    expect(response.statusCode).toBe(413);
    expect(bus.calls).toBe(0);
  });
});

/** `count` events of about `eventBytes` each, as a Currents body (ids distinct, text ASCII). */
function paddedBody(count: number, eventBytes: number): string {
  const events = Array.from({ length: count }, (_, index) => {
    const head = `{"event_type":"users.behaviors.CustomEvent","id":"e-${index}","time":${Math.floor(NOW / 1000) - 30},"properties":{"pad":"`;
    return `${head}${'x'.repeat(Math.max(0, eventBytes - head.length - 3))}"}}`;
  });
  return `{"events":[${events.join(',')}]}`;
}

const gzipped = (text: string): ApiEventOptions => ({
  body: gzipSync(text).toString('base64'),
  isBase64Encoded: true,
  headers: { 'Content-Encoding': 'gzip' },
});

describe('a gzip body brings no more work than the largest plain body', () => {
  it('the default decompressed cap is the body cap, far under the 100 MiB it was', () => {
    expect(DEFAULTS.maxDecompressedBytes).toBe(MAX_DECOMPRESSED_CAP_BYTES);
    expect(MAX_DECOMPRESSED_CAP_BYTES).toBe(MAX_BODY_CAP_BYTES);
  });

  it('the review’s bomb (1,000 events of 100 KB, under 200 KB gzipped) gets 413 and nothing is sent or kept', async () => {
    const invoke = setup();
    const text = paddedBody(1_000, 100 * 1024);
    const request = gzipped(text);
    expect(Buffer.from(request.body ?? '', 'base64').length).toBeLessThan(200 * 1024);
    expect(text.length).toBeGreaterThan(100_000_000);
    const response = await invoke(request);
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      message: `gzip body larger than ${MAX_DECOMPRESSED_CAP_BYTES} bytes decompressed; send smaller batches`,
    });
    expect(bus.calls).toBe(0);
    expect(queue.bodies).toEqual([]);
    expect(store.objects.size).toBe(0);
  });

  it('a gzip body of 1,000 events just under the cap is published in full', async () => {
    const invoke = setup();
    const text = paddedBody(1_000, Math.floor(MAX_DECOMPRESSED_CAP_BYTES / 1_000) - 2);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_DECOMPRESSED_CAP_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_DECOMPRESSED_CAP_BYTES - 3_000);
    const response = await invoke(gzipped(text));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 1_000, published: 1_000, spilled: 0 });
    expect(bus.accepted).toHaveLength(1_000);
  });

  it('a gzip body of 100 events just under the cap is published in full; one byte more gets 413', async () => {
    const invoke = setup();
    const text = paddedBody(100, Math.floor(MAX_DECOMPRESSED_CAP_BYTES / 100) - 2);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_DECOMPRESSED_CAP_BYTES);
    const response = await invoke(gzipped(text));
    expect(JSON.parse(response.body)).toMatchObject({ received: 100, published: 100 });
    expect(bus.accepted.map((entry) => entry.Detail)).toEqual(
      JSON.parse(text).events.map((e: unknown) => JSON.stringify(e)),
    );

    const over = `${text}${' '.repeat(MAX_DECOMPRESSED_CAP_BYTES + 1 - Buffer.byteLength(text))}`;
    const calls = bus.calls;
    const refused = await invoke(gzipped(over));
    expect(refused.statusCode).toBe(413);
    expect(bus.calls).toBe(calls);
  });
});

describe('work per request is bounded', () => {
  it(`answers 413 to more than ${MAX_EVENTS_PER_REQUEST} elements, before any AWS call`, async () => {
    const invoke = setup();
    const response = await invoke({
      body: `{"events":[${Array(MAX_EVENTS_PER_REQUEST + 1)
        .fill(42)
        .join(',')}]}`,
    });
    expect(response.statusCode).toBe(413);
    expect(bus.calls).toBe(0);
    expect(store.objects.size).toBe(0);
  });

  it(`keeps ${MAX_EVENTS_PER_REQUEST} elements that are not events in ONE quarantine object`, async () => {
    const invoke = setup();
    const response = await invoke({
      body: `{"events":[${Array(MAX_EVENTS_PER_REQUEST).fill(42).join(',')}]}`,
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ quarantined: MAX_EVENTS_PER_REQUEST });
    expect([...store.objects.keys()]).toEqual(['quarantine/dt=2026-11-23/batch-1/invalid-event.json']);
  });
});

describe('limits of Detail, DetailType, Resources and the archive partition are checked before PutEvents', () => {
  it('quarantines an event nested deeper than PutEvents takes, publishes its neighbours verbatim', async () => {
    const invoke = setup();
    const good = batchBody([event()]).slice('{"events":['.length, -2);
    const deep = `{"event_type":"users.behaviors.CustomEvent","x":${'['.repeat(1_200)}${']'.repeat(1_200)}}`;
    const response = await invoke({ body: `{"events":[${good},${deep},${good}]}` });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ published: 2, quarantined: 1 });
    expect(bus.accepted.map((entry) => entry.Detail)).toEqual([good, good]);
    const kept = store.objects.get('quarantine/dt=2026-11-23/batch-1/invalid-event.json') ?? '';
    expect(kept).toContain(deep);
  });

  it('quarantines an integer outside the signed 64-bit range, keeps one inside it', async () => {
    const invoke = setup();
    const inside = '{"event_type":"users.behaviors.CustomEvent","n":-9223372036854775808}';
    const outside = '{"event_type":"users.behaviors.CustomEvent","n":9223372036854775808}';
    const response = await invoke({ body: `{"events":[${inside},${outside}]}` });
    expect(JSON.parse(response.body)).toMatchObject({ published: 1, quarantined: 1 });
    expect(bus.accepted.map((entry) => entry.Detail)).toEqual([inside]);
  });

  it('publishes a path-like event_type (the partition encodes it) and quarantines one too long once encoded', async () => {
    const invoke = setup();
    const pathLike = event({ event_type: '../../../../../../../../x' });
    const long = event({ event_type: '/'.repeat(100) });
    const response = await invoke({ body: batchBody([pathLike, long]) });
    expect(JSON.parse(response.body)).toMatchObject({ published: 1, quarantined: 1 });
    expect(bus.accepted.map((entry) => entry.DetailType)).toEqual(['../../../../../../../../x']);
  });

  it('quarantines the batch when a query parameter is too long to be a Resource', async () => {
    const invoke = setup();
    const response = await invoke({
      body: batchBody([event(), event()]),
      rawQueryString: `a=${'b'.repeat(2_100)}`,
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ published: 0, quarantined: 2 });
    expect(bus.calls).toBe(0);
  });
});

describe('a whole PutEvents call refused as invalid', () => {
  it('is split until the refused entry is found: it is quarantined, its nine neighbours published', async () => {
    bus.poisonDetailType = 'users.poison';
    const invoke = setup();
    const events = factory.many(10);
    const poisoned = { ...events[6], event_type: 'users.poison' };
    events[6] = poisoned as (typeof events)[number];
    const response = await invoke({ body: batchBody(events) });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ published: 9, quarantined: 1, spilled: 0 });
    expect(queue.bodies).toEqual([]);
    const kept = JSON.parse(
      store.objects.get('quarantine/dt=2026-11-23/batch-1/rejected-entry.json') ?? '{}',
    );
    expect(kept.items).toMatchObject([{ index: 6, error: expect.stringMatching(/^ValidationException/) }]);
  });
});

describe('a dependency that hangs gets a deadline from the time left', () => {
  it('PutEvents throttling every entry and SQS not answering: 503 with Retry-After, not a timeout', async () => {
    bus.mode = 'throttle-all';
    queue.mode = 'hang';
    const invoke = setup({}, true);
    const response = await invoke({ body: batchBody(factory.many(3)) }, 3_000);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
  });

  it('PutEvents not answering and SQS taking the spill: 200, everything spilled', async () => {
    bus.mode = 'hang';
    const invoke = setup({}, true);
    const response = await invoke({ body: batchBody(factory.many(3)) }, 4_000);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ spilled: 3 });
    expect(queue.bodies).toHaveLength(1);
  });

  it('S3 not answering for a quarantine write: 503', async () => {
    store.mode = 'hang';
    const invoke = setup({}, true);
    const response = await invoke({ body: '{"events":[42]}' }, 2_000);
    expect(response.statusCode).toBe(503);
  });

  it('Secrets Manager not answering (through Powertools’ provider): 503', async () => {
    secrets.on(GetSecretValueCommand).callsFake(() => new Promise(() => undefined));
    const invoke = setup({ TOKEN_SECRET_ID: 'currents-token', CURRENTS_TOKENS: '' }, true);
    const response = await invoke({ body: batchBody([event()]) }, 2_000);
    expect(response.statusCode).toBe(503);
    expect(bus.calls).toBe(0);
  });
});
