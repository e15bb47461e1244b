import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { createTelemetry } from '#lambdas/shared/telemetry';
import {
  type ApiEventOptions,
  acceptEveryEntry,
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

beforeAll(() => {
  eventBridge.on(PutEventsCommand).callsFake(acceptEveryEntry);
  s3.on(PutObjectCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

const NUM_RUNS = 200;

function setup() {
  captureOutput();
  const handler = createReceiverHandler(
    buildReceiverDeps(receiverConfig({ MAX_BODY_BYTES: '200000' }), testClients(), createTelemetry(), {
      clock: fakeClock(),
    }),
  );
  return async (options: ApiEventOptions) =>
    (await handler(apiEvent(options), lambdaContext())) as APIGatewayProxyStructuredResultV2 & {
      body: string;
    };
}

const answeredBelow500 = (response: { statusCode?: number; body: string }) => {
  expect(response.statusCode).toBeGreaterThanOrEqual(200);
  expect(response.statusCode).toBeLessThan(500);
  expect(() => JSON.parse(response.body)).not.toThrow();
};

describe('the receiver never fails on input alone', () => {
  it('any JSON value as the body', async () => {
    const invoke = setup();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        answeredBelow500(await invoke({ body: JSON.stringify(value) }));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('any string as the body', async () => {
    const invoke = setup();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 500 }), async (body) => {
        answeredBelow500(await invoke({ body }));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('any bytes, base64-encoded, with or without Content-Encoding: gzip', async () => {
    const invoke = setup();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 500 }), fc.boolean(), async (bytes, gzip) => {
        const headers: Record<string, string> = gzip ? { 'content-encoding': 'gzip' } : {};
        answeredBelow500(
          await invoke({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true, headers }),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('any events array: 200, and every event published or quarantined', async () => {
    const invoke = setup();
    const anyEvent = fc.oneof(
      fc.jsonValue(),
      fc.record({
        event_type: fc.string(),
        id: fc.string(),
        time: fc.oneof(fc.integer(), fc.double(), fc.string()),
      }),
      fc
        .dictionary(fc.string(), fc.jsonValue())
        .map((fields) => ({ ...fields, event_type: 'users.behaviors.CustomEvent' })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyEvent, { maxLength: 30 }),
        fc.string({ maxLength: 40 }),
        async (events, query) => {
          const response = await invoke({ body: JSON.stringify({ events }), rawQueryString: query });
          expect(response.statusCode).toBe(200);
          const summary = JSON.parse(response.body) as {
            received: number;
            published: number;
            quarantined: number;
          };
          expect(summary.received).toBe(events.length);
          expect(summary.published + summary.quarantined).toBe(events.length);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
