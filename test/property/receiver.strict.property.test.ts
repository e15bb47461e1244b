/**
 * Proof against STRICT fakes (test/unit/receiver/strict-fakes.ts: every PutEvents, SQS and S3 limit
 * enforced with AWS's error codes): no request body yields a 5xx while the dependencies are up, and
 * no accepted event is altered — each published `Detail` is the event's source text, byte for byte,
 * and every event is published, spilled or quarantined.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { EventFactory } from '#local/event-factory';
import { strictPutEvents, strictPutObject, strictSendMessageBatch } from '../unit/receiver/strict-fakes';
import {
  apiEvent,
  captureOutput,
  fakeClock,
  lambdaContext,
  receiverConfig,
  testClients,
} from '../unit/receiver/support';

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

let bus = strictPutEvents();
let store = strictPutObject();
let queue = strictSendMessageBatch();

beforeEach(() => {
  captureOutput();
});

function fresh() {
  eventBridge.reset();
  s3.reset();
  sqs.reset();
  bus = strictPutEvents();
  store = strictPutObject();
  queue = strictSendMessageBatch();
  eventBridge.on(PutEventsCommand).callsFake(bus.handle);
  s3.on(PutObjectCommand).callsFake(store.handle);
  sqs.on(SendMessageBatchCommand).callsFake(queue.handle);
}

const handler = createReceiverHandler(
  buildReceiverDeps(receiverConfig({ MAX_BODY_BYTES: '400000' }), testClients(), createTelemetry(), {
    clock: fakeClock(),
  }),
);

type Response = APIGatewayProxyStructuredResultV2 & { body: string };
const invoke = async (body: string, rawQueryString = '') =>
  (await handler(apiEvent({ body, rawQueryString }), lambdaContext())) as Response;

const samples = new EventFactory({ seed: 11 }).many(40);

/** The source text of one element of `events`: what Braze sends, and what it must not. */
const eventText: fc.Arbitrary<string> = fc.oneof(
  // Real-shaped events, printed with or without spacing.
  fc
    .tuple(fc.constantFrom(...samples), fc.boolean())
    .map(([event, spaced]) => JSON.stringify(event, null, spaced ? 1 : 0)),
  // Any event_type text (path-like, long, non-ASCII, lone surrogates).
  fc
    .tuple(
      fc.constantFrom(...samples),
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 140 }),
        fc.constantFrom('../../../../x', '/'.repeat(90), ''),
      ),
    )
    .map(([event, type]) => JSON.stringify({ ...event, event_type: type })),
  // Nesting around PutEvents' 1,000 levels.
  fc
    .integer({ min: 990, max: 1_010 })
    .map(
      (depth) =>
        `{"event_type":"users.behaviors.CustomEvent","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`,
    ),
  // Integers around the signed 64-bit range.
  fc
    .bigInt({ min: -(2n ** 64n), max: 2n ** 64n })
    .map((n) => `{"event_type":"users.behaviors.CustomEvent","n":${n}}`),
  // Anything else JSON.
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
);

describe('no body yields a 5xx, and no accepted event is altered (strict fakes)', () => {
  it('any events array, any query string', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventText, { maxLength: 25 }),
        fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), fc.constant(`a=${'b'.repeat(2_100)}`)),
        async (texts, query) => {
          fresh();
          const response = await invoke(`{"events":[${texts.join(',')}]}`, query);
          expect(response.statusCode).toBe(200);
          const summary = JSON.parse(response.body) as Record<string, number>;
          expect(summary.received).toBe(texts.length);
          expect((summary.published ?? 0) + (summary.spilled ?? 0) + (summary.quarantined ?? 0)).toBe(
            texts.length,
          );
          // Every accepted Detail is one of the events exactly as sent, in order.
          let cursor = 0;
          for (const entry of bus.accepted) {
            const found = texts.indexOf(entry.Detail ?? '', cursor);
            expect(found).toBeGreaterThanOrEqual(cursor);
            cursor = found + 1;
          }
          expect(bus.accepted).toHaveLength(summary.published ?? 0);
          // At most one quarantine object per reason.
          expect(store.objects.size).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any text, and any bytes as base64 with or without gzip', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .string({ unit: 'binary', maxLength: 400 })
            .map((body) => ({ body, isBase64Encoded: false, gzip: false })),
          fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.boolean()).map(([bytes, gzip]) => ({
            body: Buffer.from(bytes).toString('base64'),
            isBase64Encoded: true,
            gzip,
          })),
        ),
        async ({ body, isBase64Encoded, gzip }) => {
          fresh();
          const headers: Record<string, string> = gzip ? { 'content-encoding': 'gzip' } : {};
          const response = (await handler(
            apiEvent({ body, isBase64Encoded, headers }),
            lambdaContext(),
          )) as Response;
          expect([200, 400, 413]).toContain(response.statusCode);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with S3 down, an answer is 2xx, 4xx or 503 (Braze retries only while it is down), never 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventText, { maxLength: 10 }), async (texts) => {
        fresh();
        store.mode = 'fail';
        const response = await invoke(`{"events":[${texts.join(',')}]}`);
        expect([200, 400, 413, 503]).toContain(response.statusCode);
      }),
      { numRuns: 60 },
    );
  });
});
