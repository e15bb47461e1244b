import { createHash } from 'node:crypto';
/**
 * The receiver handler against mocked AWS clients, one `describe` per row of the HTTP contract in
 * docs/receiver.md, then the publishing paths (partial failures, throttling, spillover) and observability.
 */
import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  buildReceiverDeps,
  createReceiverHandler,
  type ReceiverHandlerDeps,
} from '#lambdas/receiver/handler';
import { CLAIM_CHECK_FIELD, DEFAULT_EVENT_SOURCE, METRIC } from '#lambdas/shared/contract';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import {
  type ApiEventOptions,
  acceptEveryEntry,
  apiEvent,
  BUCKET,
  BUS,
  captureOutput,
  fakeClock,
  lambdaContext,
  NOW,
  QUEUE_URL,
  receiverConfig,
  TOKEN,
  testClients,
} from './support';

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const factory = new EventFactory({ seed: 7, time: Math.floor(NOW / 1000) - 30 });

function acceptAllPutEvents() {
  eventBridge.on(PutEventsCommand).callsFake(acceptEveryEntry);
}

function acceptAllMessages() {
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({
      Id: entry.Id,
      MessageId: `m-${entry.Id}`,
      MD5OfMessageBody: 'x',
    })),
    Failed: [],
  }));
}

beforeEach(() => {
  eventBridge.reset();
  s3.reset();
  sqs.reset();
  acceptAllPutEvents();
  s3.on(PutObjectCommand).resolves({});
  acceptAllMessages();
});

function setup(env: Record<string, string> = {}, overrides: Partial<ReceiverHandlerDeps> = {}) {
  const output = captureOutput();
  const clock = fakeClock();
  let batch = 0;
  const deps = buildReceiverDeps(receiverConfig(env), testClients(), createTelemetry(), {
    clock,
    newBatchId: () => `batch-${++batch}`,
    ...overrides,
  });
  const handler = createReceiverHandler(deps);
  const invoke = async (options: ApiEventOptions = {}, remainingMs?: number) =>
    (await handler(apiEvent(options), lambdaContext(remainingMs))) as APIGatewayProxyStructuredResultV2 & {
      body: string;
      headers: Record<string, string>;
    };
  return { output, clock, invoke };
}

function publishedEntries(): PutEventsRequestEntry[] {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

function s3Objects(): { key: string; body: string }[] {
  return s3.commandCalls(PutObjectCommand).map((call) => ({
    key: String(call.args[0].input.Key),
    body: String(call.args[0].input.Body),
  }));
}

describe('401: no Authorization: Bearer header, or another scheme', () => {
  it.each([
    ['no header', null],
    ['Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a token', 'Bearer '],
  ])('%s → 401, counted, nothing published', async (_name, authorization) => {
    // Prepare
    const { invoke, output } = setup();
    const headers: Record<string, string> = authorization === null ? {} : { authorization };
    // Act
    const response = await invoke({ token: null, headers, body: batchBody(factory.many(3)) });
    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(response.body)).toEqual({ message: expect.any(String) });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(output.metrics()[METRIC.authMissing]).toBe(1);
  });

  it('is checked before the body, also for an empty body', async () => {
    const { invoke } = setup();
    const response = await invoke({ token: null, body: '' });
    expect(response.statusCode).toBe(401);
  });
});

describe('403: a token that is not active', () => {
  it('answers 403, counts it, publishes nothing', async () => {
    const { invoke, output } = setup();
    const response = await invoke({ token: 'not-the-token', body: batchBody(factory.many(2)) });
    expect(response.statusCode).toBe(403);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(output.metrics()[METRIC.authRejected]).toBe(1);
  });

  it('accepts the scheme name in any case, as RFC 7235 allows', async () => {
    const { invoke } = setup();
    const response = await invoke({ token: null, headers: { Authorization: `bearer ${TOKEN}` }, body: '' });
    expect(response.statusCode).toBe(200);
  });

  it('answers 403 to a source IP outside ALLOWED_SOURCE_CIDRS, even with a good token', async () => {
    const { invoke, output } = setup({ ALLOWED_SOURCE_CIDRS: '198.51.100.0/24, 2001:db8::/32' });
    const outside = await invoke({ sourceIp: '203.0.113.10', body: '' });
    const inside = await invoke({ sourceIp: '198.51.100.7', body: '' });
    const insideV6 = await invoke({ sourceIp: '2001:db8::1', body: '' });
    expect(outside.statusCode).toBe(403);
    expect(inside.statusCode).toBe(200);
    expect(insideV6.statusCode).toBe(200);
    expect(output.metrics()[METRIC.authRejected]).toBe(1);
  });

  it('never writes a token into a log line or an error body', async () => {
    // Prepare
    const { invoke, output } = setup({ ALLOWED_SOURCE_CIDRS: '198.51.100.0/24' });
    const wrongToken = 'wrong-token-that-must-not-leak-4242';
    // Act
    const responses = [
      await invoke({ token: wrongToken, sourceIp: '198.51.100.1', body: '{"events":[]}' }),
      await invoke({ token: TOKEN, sourceIp: '203.0.113.10', body: '{}' }),
      await invoke({
        token: null,
        headers: { authorization: `Basic ${wrongToken}` },
        sourceIp: '198.51.100.1',
      }),
      await invoke({ token: TOKEN, sourceIp: '198.51.100.1', body: 'not json' }),
      await invoke({ token: TOKEN, sourceIp: '198.51.100.1', body: batchBody(factory.many(2)) }),
    ];
    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([403, 403, 401, 400, 200]);
    const everything = output.text() + responses.map((response) => response.body).join('');
    expect(output.logs().length).toBeGreaterThan(0);
    expect(everything).not.toContain(wrongToken);
    expect(everything).not.toContain(TOKEN);
  });
});

describe('200, no effect: valid token with an empty body, {} or {"events":[]}', () => {
  it.each([
    ['empty body', undefined],
    ['empty string', ''],
    ['{}', '{}'],
    ['{"events":[]}', '{"events":[]}'],
  ])('%s', async (_name, body) => {
    const { invoke } = setup();
    const response = await invoke({ body });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 0, published: 0 });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('400: not JSON, or not an object with an events array; raw body quarantined', () => {
  it.each([
    ['not JSON', '{"events":[{"event_type":'],
    ['an array', '[{"event_type":"x"}]'],
    ['a string', '"events"'],
    ['null', 'null'],
    ['events not an array', '{"events":{"event_type":"x"}}'],
    ['events null', '{"events":null}'],
    ['no events key', '{"data":[]}'],
  ])('%s → 400 with a short JSON message, body in quarantine/', async (_name, body) => {
    // Prepare
    const { invoke, output } = setup();
    // Act
    const response = await invoke({ body, rawQueryString: 'app_group=brand-a' });
    // Assess
    expect(response.statusCode).toBe(400);
    const message = JSON.parse(response.body) as { message: string };
    expect(Object.keys(message)).toEqual(['message']);
    expect(message.message.length).toBeLessThan(80);
    const [stored] = s3Objects();
    expect(stored?.key).toBe('quarantine/dt=2026-11-23/batch-1/invalid-body.json');
    expect(JSON.parse(stored?.body ?? '')).toMatchObject({
      reason: 'invalid-body',
      batchId: 'batch-1',
      query: 'app_group=brand-a',
      items: [{ index: 0, body }],
    });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(output.metrics()[METRIC.bodiesRejected]).toBe(1);
  });

  it('answers 503 when the raw body cannot be kept, so nothing is lost', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const { invoke } = setup();
    const response = await invoke({ body: 'not json' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
  });

  it('corrupt gzip → 400, the received bytes kept as base64', async () => {
    const { invoke } = setup();
    const garbage = Buffer.from('definitely not gzip');
    const response = await invoke({
      body: garbage.toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(400);
    const stored = JSON.parse(s3Objects()[0]?.body ?? '{}') as { items: { bodyBase64: string }[] };
    expect(Buffer.from(stored.items[0]?.bodyBase64 ?? '', 'base64').toString()).toBe('definitely not gzip');
  });
});

describe('200 for the batch when an event is not an object or has no string event_type', () => {
  it('publishes the good events and quarantines the bad ones in one object with the batch context', async () => {
    // Prepare
    const { invoke, output } = setup();
    const good = factory.many(2);
    const body = JSON.stringify({
      events: [good[0], 42, { id: 'no-type' }, { event_type: 7 }, good[1], null],
    });
    // Act
    const response = await invoke({ body, rawQueryString: 'app_group=brand-a' });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 6, published: 2, quarantined: 4 });
    expect(publishedEntries().map((entry) => entry.Detail)).toEqual(
      good.map((event) => JSON.stringify(event)),
    );
    const stored = s3Objects();
    expect(stored.map((object) => object.key)).toEqual([
      'quarantine/dt=2026-11-23/batch-1/invalid-event.json',
    ]);
    const kept = JSON.parse(stored[0]?.body ?? '') as { items: { index: number; event: unknown }[] };
    expect(kept).toMatchObject({
      reason: 'invalid-event',
      batchId: 'batch-1',
      receivedAt: new Date(NOW).toISOString(),
      query: 'app_group=brand-a',
    });
    expect(kept.items.map((item) => item.index)).toEqual([1, 2, 3, 5]);
    expect(kept.items[1]).toEqual({
      index: 2,
      event: { id: 'no-type' },
      error: 'event has no string event_type',
    });
    expect(output.metrics()[METRIC.eventsQuarantined]).toBe(4);
  });

  it('answers 503 when a bad event cannot be kept', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const { invoke, output } = setup();
    const response = await invoke({
      body: JSON.stringify({ events: [factory.make('users.behaviors.Purchase'), 1] }),
    });
    expect(response.statusCode).toBe(503);
    expect(output.metrics()[METRIC.batchesFailed]).toBe(1);
  });
});

describe('a quarantine write that fails while publishing is still under way', () => {
  it('is handled (no unhandled rejection) and the batch answers 503', async () => {
    // Prepare: PutEvents answers only after the S3 write has failed and its rejection has had
    // turns of the event loop to go unhandled (the order is forced, not left to timers)
    let s3Failed: () => void = () => {};
    const s3HasFailed = new Promise<void>((resolve) => {
      s3Failed = resolve;
    });
    s3.on(PutObjectCommand).callsFake(async () => {
      s3Failed();
      throw new Error('S3 down');
    });
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
      await s3HasFailed;
      await new Promise((resolve) => setImmediate(resolve));
      return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) };
    });
    const { invoke } = setup();
    // Act
    const response = await invoke({
      body: JSON.stringify({ events: [factory.make('users.behaviors.Purchase'), 1] }),
    });
    // Assess
    expect(response.statusCode).toBe(503);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });
});

describe('unknown event_type and unknown fields: routed verbatim', () => {
  it('publishes them as they are and counts the unknown type', async () => {
    // Prepare
    const { invoke, output } = setup();
    const novel = {
      event_type: 'users.messages.hologram.Beam',
      id: 'h-1',
      time: 1_700_000_000,
      zeta: [1, { a: null }],
    };
    const known = { ...factory.make('users.messages.email.Open'), brand_new_field: { nested: true } };
    // Act
    const response = await invoke({ body: JSON.stringify({ events: [novel, known] }) });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(publishedEntries()).toEqual([
      expect.objectContaining({ DetailType: novel.event_type, Detail: JSON.stringify(novel) }),
      expect.objectContaining({ DetailType: known.event_type, Detail: JSON.stringify(known) }),
    ]);
    expect(output.metrics()[METRIC.unknownEventTypes]).toBe(1);
  });
});

describe('Detail is the event exactly as sent', () => {
  it('keeps the source text: spacing, number spelling and integers beyond 2^53', async () => {
    const { invoke } = setup();
    const first =
      '{ "event_type": "users.behaviors.CustomEvent", "id": "a", "time": 1700000000, "n": 1.50, "big": 1234567890123456789 }';
    const second = '{"event_type":"users.behaviors.Purchase","id":"b","time":1700000001}';
    await invoke({ body: `{\n  "events": [\n    ${first},\n    ${second}\n  ]\n}` });
    expect(publishedEntries().map((entry) => entry.Detail)).toEqual([first, second]);
  });
});

describe('413: body larger than the configured cap', () => {
  it('rejects a body over MAX_BODY_BYTES', async () => {
    const { invoke, output } = setup({ MAX_BODY_BYTES: '1024' });
    const response = await invoke({ body: batchBody(factory.many(5)) });
    expect(response.statusCode).toBe(413);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(output.metrics()[METRIC.bodiesTooLarge]).toBe(1);
  });

  it('rejects a gzip bomb (small on the wire, huge inflated) with 413, not a crash', async () => {
    const { invoke } = setup({ MAX_DECOMPRESSED_BYTES: String(1024 * 1024) });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    const response = await invoke({
      body: bomb.toString('base64'),
      isBase64Encoded: true,
      headers: { 'Content-Encoding': 'gzip' },
    });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(response.statusCode).toBe(413);
  });
});

describe('base64 and gzip bodies', () => {
  it('publishes the events of a gzip body that API Gateway base64-encoded', async () => {
    const { invoke } = setup();
    const events = factory.many(12);
    const response = await invoke({
      body: gzipSync(batchBody(events)).toString('base64'),
      isBase64Encoded: true,
      headers: { 'Content-Encoding': 'GZIP' },
    });
    expect(response.statusCode).toBe(200);
    expect(publishedEntries().map((entry) => entry.Detail)).toEqual(
      events.map((event) => JSON.stringify(event)),
    );
  });

  it('publishes a base64 body without compression', async () => {
    const { invoke } = setup();
    const events = factory.many(3);
    const response = await invoke({
      body: Buffer.from(batchBody(events)).toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.statusCode).toBe(200);
    expect(publishedEntries()).toHaveLength(3);
  });
});

describe('the event contract: Source, DetailType, Detail, Time, Resources, EventBusName', () => {
  it('maps each event to one entry', async () => {
    const { invoke } = setup();
    const event = factory.make('users.behaviors.Purchase', { time: 1_477_502_783 });
    await invoke({ body: batchBody([event]) });
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: DEFAULT_EVENT_SOURCE,
          DetailType: 'users.behaviors.Purchase',
          Detail: JSON.stringify(event),
          Time: new Date(1_477_502_783_000),
          EventBusName: BUS,
        },
      ],
    });
  });

  it('uses EVENT_SOURCE when set', async () => {
    const { invoke } = setup({ EVENT_SOURCE: 'acme.braze' });
    await invoke({ body: batchBody(factory.many(1)) });
    expect(publishedEntries()[0]?.Source).toBe('acme.braze');
  });

  it.each([
    ['a string', '1477502783'],
    ['negative', -5],
    ['missing', undefined],
    ['not finite (huge)', 1e300],
    ['null', null],
  ])('falls back to the receive time when time is %s', async (_name, time) => {
    const { invoke } = setup();
    await invoke({
      body: JSON.stringify({ events: [{ event_type: 'users.behaviors.CustomEvent', id: 'x', time }] }),
    });
    expect(publishedEntries()[0]?.Time).toEqual(new Date(NOW));
  });

  it('keeps the connector URL query string as Resources, one key=value per parameter', async () => {
    const { invoke } = setup();
    await invoke({ body: batchBody(factory.many(2)), rawQueryString: 'app_group=brand-a&region=eu%2Dwest' });
    for (const entry of publishedEntries()) {
      expect(entry.Resources).toEqual(['app_group=brand-a', 'region=eu-west']);
    }
  });

  it('sends no Resources without a query string', async () => {
    const { invoke } = setup();
    await invoke({ body: batchBody(factory.many(1)) });
    expect(publishedEntries()[0]).not.toHaveProperty('Resources');
  });
});

describe('chunking at the PutEvents limits', () => {
  it('sends 10 entries in one call and 11 in two', async () => {
    const { invoke } = setup();
    await invoke({ body: batchBody(factory.many(10)) });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    eventBridge.resetHistory();
    await invoke({ body: batchBody(factory.many(11)) });
    const sizes = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries?.length);
    expect(sizes.sort()).toEqual([1, 10]);
  });

  it('splits so no call carries more than 1 MB, counted as EventBridge counts', async () => {
    // Prepare: 5 events of ~250 KB fit 4 to a request (4 × 250 KB < 1 MiB), never 5
    const { invoke } = setup({ CLAIM_CHECK_THRESHOLD_BYTES: String(1024 * 1024) });
    const events = Array.from({ length: 5 }, (_, index) =>
      factory.make('users.behaviors.CustomEvent', { id: `big-${index}`, padding: 'x'.repeat(250 * 1024) }),
    );
    // Act
    const response = await invoke({ body: batchBody(events) });
    // Assess
    expect(response.statusCode).toBe(200);
    const calls = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([4, 1]);
    for (const entries of calls) {
      const bytes = entries.reduce(
        (sum, entry) =>
          sum +
          14 +
          Buffer.byteLength(entry.Source ?? '') +
          Buffer.byteLength(entry.DetailType ?? '') +
          Buffer.byteLength(entry.Detail ?? ''),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    }
  });
});

describe('claim check: an event too large for one entry', () => {
  it('stores the event in S3 and publishes a small pointer with the same detail-type', async () => {
    // Prepare
    const { invoke, output } = setup();
    const big = factory.make('users.behaviors.CustomEvent', {
      id: 'big-event-1',
      time: 1_700_000_000,
      padding: 'é'.repeat(200 * 1024),
    });
    const small = factory.make('users.behaviors.Purchase');
    // Act
    const response = await invoke({ body: batchBody([big, small]), rawQueryString: 'app_group=brand-a' });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 2, published: 2, claimChecked: 1 });
    const digest = createHash('sha256').update(JSON.stringify(big)).digest('hex').slice(0, 16);
    const key = `claim-check/dt=2026-11-23/event_type=users.behaviors.CustomEvent/big-event-1-${digest}.json`;
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: key,
      Body: JSON.stringify(big),
    });
    const [pointer, normal] = publishedEntries();
    expect(pointer?.DetailType).toBe('users.behaviors.CustomEvent');
    expect(pointer?.Time).toEqual(new Date(1_700_000_000_000));
    expect(pointer?.Resources).toEqual(['app_group=brand-a']);
    expect(JSON.parse(pointer?.Detail ?? '')).toEqual({
      event_type: 'users.behaviors.CustomEvent',
      id: 'big-event-1',
      time: 1_700_000_000,
      [CLAIM_CHECK_FIELD]: { bucket: BUCKET, key, bytes: Buffer.byteLength(JSON.stringify(big)) },
    });
    expect(normal?.Detail).toBe(JSON.stringify(small));
    expect(output.metrics()[METRIC.eventsClaimChecked]).toBe(1);
  });

  it('answers 503 when the claim-check object cannot be written', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const { invoke } = setup();
    const big = factory.make('users.behaviors.CustomEvent', { padding: 'x'.repeat(300 * 1024) });
    const response = await invoke({ body: batchBody([big]) });
    expect(response.statusCode).toBe(503);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('publishing: partial failures, throttling, spillover', () => {
  it('retries only the failed entries of a partial failure', async () => {
    // Prepare
    const { invoke } = setup();
    const events = factory.many(4);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }, { EventId: 'd' }] });
    // Act
    const response = await invoke({ body: batchBody(events) });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ published: 4, spilled: 0 });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Detail)).toEqual([
      JSON.stringify(events[1]),
      JSON.stringify(events[3]),
    ]);
  });

  it('retries a throttled whole call, then succeeds', async () => {
    const { invoke, output } = setup();
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(
        Object.assign(new Error('boom'), { name: 'InternalException', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    const response = await invoke({ body: batchBody(factory.many(2)) });
    expect(response.statusCode).toBe(200);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
    expect(output.metrics()[METRIC.eventsPublished]).toBe(2);
    expect(output.metricValues(METRIC.publishLatency)).toHaveLength(1);
  });

  it('spills entries still throttled when the budget runs out, and answers 200', async () => {
    // Prepare
    const { invoke, output } = setup({ PUBLISH_BUDGET_MS: '1000' });
    const events = factory.many(3);
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: input.Entries.length,
      Entries: input.Entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
    }));
    // Act
    const response = await invoke({ body: batchBody(events), rawQueryString: 'app_group=b' });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 3, published: 0, spilled: 3 });
    expect(eventBridge.commandCalls(PutEventsCommand).length).toBeGreaterThan(1);
    const sent = sqs.commandCalls(SendMessageBatchCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args[0].input.QueueUrl).toBe(QUEUE_URL);
    const message = JSON.parse(sent[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '') as {
      version: number;
      batchId: string;
      entries: Record<string, unknown>[];
    };
    expect(message.version).toBe(1);
    expect(message.batchId).toBe('batch-1');
    expect(message.entries.map((entry) => entry.Detail)).toEqual(
      events.map((event) => JSON.stringify(event)),
    );
    expect(message.entries[0]).toEqual({
      Source: DEFAULT_EVENT_SOURCE,
      DetailType: events[0]?.event_type,
      Detail: JSON.stringify(events[0]),
      Time: new Date((events[0]?.time ?? 0) * 1000).toISOString(),
      Resources: ['app_group=b'],
    });
    expect(output.metrics()[METRIC.eventsSpilled]).toBe(3);
  });

  it('keeps a reserve of the Lambda remaining time for the spillover', async () => {
    // Prepare: 2.1 s left, the reserve is 2 s → about 100 ms of retrying at most
    const { invoke, clock } = setup();
    const start = clock.now();
    eventBridge.on(PutEventsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    // Act
    const response = await invoke({ body: batchBody(factory.many(1)) }, 2_100);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(clock.now() - start).toBeLessThanOrEqual(100);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('spills at once when a whole call fails for good (e.g. access denied)', async () => {
    const { invoke } = setup();
    eventBridge.on(PutEventsCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const response = await invoke({ body: batchBody(factory.many(2)) });
    expect(response.statusCode).toBe(200);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(JSON.parse(response.body)).toMatchObject({ spilled: 2 });
  });

  it('answers 503 with Retry-After when EventBridge and the spillover queue both fail', async () => {
    // Prepare
    const { invoke, output } = setup({ PUBLISH_BUDGET_MS: '500' });
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('down'), { $metadata: { httpStatusCode: 503 } }));
    sqs.on(SendMessageBatchCommand).rejects(new Error('SQS down'));
    // Act
    const response = await invoke({ body: batchBody(factory.many(3)) });
    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(response.body)).toEqual({ message: 'Service Unavailable' });
    expect(output.metrics()[METRIC.batchesFailed]).toBe(1);
  });

  it('answers 503 when SQS refuses some spillover messages twice', async () => {
    const { invoke } = setup({ PUBLISH_BUDGET_MS: '100' });
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('down'), { $metadata: { httpStatusCode: 500 } }));
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [],
      Failed: input.Entries.map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })),
    }));
    const response = await invoke({ body: batchBody(factory.many(2)) });
    expect(response.statusCode).toBe(503);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });

  it('quarantines entries refused with a non-retryable code and answers 200', async () => {
    // Prepare
    const { invoke, output } = setup();
    const events = factory.many(3);
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [
        { EventId: 'a' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { EventId: 'c' },
      ],
    });
    // Act
    const response = await invoke({ body: batchBody(events) });
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ published: 2, quarantined: 1, spilled: 0 });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [stored] = s3Objects();
    expect(stored?.key).toBe('quarantine/dt=2026-11-23/batch-1/rejected-entry.json');
    expect(JSON.parse(stored?.body ?? '')).toMatchObject({
      reason: 'rejected-entry',
      items: [
        {
          index: 1,
          entry: { DetailType: events[1]?.event_type, Detail: JSON.stringify(events[1]) },
          error: 'MalformedDetail: Detail is malformed.',
        },
      ],
    });
    expect(output.metrics()[METRIC.eventsQuarantined]).toBe(1);
  });
});

describe('Braze-Currents-Version other than 1', () => {
  it('is accepted and counted', async () => {
    const { invoke, output } = setup();
    const response = await invoke({
      body: batchBody(factory.many(1)),
      headers: { 'braze-currents-version': '2' },
    });
    expect(response.statusCode).toBe(200);
    expect(publishedEntries()).toHaveLength(1);
    expect(output.metrics()[METRIC.unsupportedVersion]).toBe(1);
  });
});

describe('observability', () => {
  it('emits the batch metrics and a log line with the batch id', async () => {
    // Prepare
    const { invoke, output } = setup();
    const events = factory.many(5);
    // Act
    await invoke({ body: batchBody(events) });
    // Assess
    expect(output.metrics()).toMatchObject({
      [METRIC.batches]: 1,
      [METRIC.eventsReceived]: 5,
      [METRIC.eventsPublished]: 5,
    });
    expect(output.metricValues(METRIC.eventLag)).toEqual([30]);
    for (const blob of output.emf()) {
      expect(blob).toMatchObject({
        service: 'currents-bridge',
        _aws: { CloudWatchMetrics: [{ Namespace: 'CurrentsBridge', Dimensions: [['service']] }] },
      });
    }
    const accepted = output.logs().find((line) => line.message === 'batch accepted');
    expect(accepted).toMatchObject({
      batchId: 'batch-1',
      received: 5,
      published: 5,
      function_request_id: 'aws-request-1',
    });
  });

  it('resets the batch id between requests', async () => {
    const { invoke, output } = setup();
    await invoke({ body: batchBody(factory.many(1)) });
    await invoke({ body: batchBody(factory.many(1)) });
    const ids = output
      .logs()
      .filter((line) => line.message === 'batch accepted')
      .map((line) => line.batchId);
    expect(ids).toEqual(['batch-1', 'batch-2']);
  });

  it('answers 503 without detail when the token source fails, and logs why', async () => {
    const failingTokens = {
      activeDigests: async () => {
        throw new Error('secret exploded');
      },
    };
    const { invoke, output } = setup({}, { tokens: failingTokens });
    const response = await invoke({ body: '' });
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('exploded');
    expect(output.text()).toContain('secret exploded');
  });

  it('answers a bare 500 when something unexpected throws, and logs it', async () => {
    const { invoke, output } = setup(
      {},
      {
        newBatchId: () => {
          throw new TypeError('internal detail 1234');
        },
      },
    );
    const response = await invoke({ body: '' });
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ message: 'Internal Server Error' });
    expect(output.logs().some((line) => line.message === 'unexpected error')).toBe(true);
  });
});
