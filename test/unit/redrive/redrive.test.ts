/**
 * The redrive handler against mocked clients: spillover messages go back to the bus, only messages
 * with entries still failing come back as batch item failures, and unreadable messages or entries
 * EventBridge refuses for good go to the quarantine instead of circling the queue.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildRedriveDeps, createRedriveHandler } from '#lambdas/redrive/handler';
import type { BusEntry } from '#lambdas/shared/bus-entry';
import { loadRedriveConfig } from '#lambdas/shared/config';
import { METRIC } from '#lambdas/shared/contract';
import { realClock } from '#lambdas/shared/publisher';
import { buildSpilloverBodies } from '#lambdas/shared/spillover';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import {
  acceptEveryEntry,
  BUCKET,
  BUS,
  captureOutput,
  fakeClock,
  lambdaContext,
  testClients,
} from '../receiver/support';

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const factory = new EventFactory({ seed: 11, time: 1_700_000_000 });

beforeEach(() => {
  eventBridge.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

function entriesFor(events: { event_type: string; id: string; time: number }[]): BusEntry[] {
  return events.map((event) => ({
    Source: 'braze.currents',
    DetailType: event.event_type,
    Detail: JSON.stringify(event),
    Time: new Date(event.time * 1000),
    Resources: ['app_group=brand-a'],
  }));
}

function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:spillover',
    awsRegion: 'us-east-1',
  };
}

function setup(remainingMs?: number, realTime = false) {
  const output = captureOutput();
  const config = loadRedriveConfig({
    EVENT_BUS_NAME: BUS,
    ARCHIVE_BUCKET: BUCKET,
    PUBLISH_BUDGET_MS: '1000',
  });
  const handler = createRedriveHandler(
    buildRedriveDeps(config, testClients(), createTelemetry(), {
      clock: realTime ? realClock() : fakeClock(),
    }),
  );
  const invoke = async (records: SQSRecord[]) =>
    handler({ Records: records } satisfies SQSEvent, lambdaContext(remainingMs));
  return { invoke, output };
}

function detailsOnBus(): string[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.Detail ?? ''));
}

describe('redrive', () => {
  it('re-publishes every entry to the configured bus and reports no failures', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).callsFake(acceptEveryEntry);
    const { invoke, output } = setup();
    const first = factory.many(12);
    const second = factory.many(3);
    const records = [
      record('m1', buildSpilloverBodies('batch-a', entriesFor(first))[0] ?? ''),
      record('m2', buildSpilloverBodies('batch-b', entriesFor(second))[0] ?? ''),
    ];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(detailsOnBus().sort()).toEqual([...first, ...second].map((event) => JSON.stringify(event)).sort());
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: expect.arrayContaining([
        expect.objectContaining({
          EventBusName: BUS,
          Resources: ['app_group=brand-a'],
          Time: new Date(1_700_000_000_000),
        }),
      ]),
    });
    expect(output.metrics()[METRIC.eventsRedriven]).toBe(15);
  });

  it('returns only the messages whose entries still fail', async () => {
    // Prepare: every entry of batch-b is throttled for as long as the budget lasts
    const failing = factory.many(2);
    const failingDetails = new Set(failing.map((event) => JSON.stringify(event)));
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((entry) =>
        failingDetails.has(entry.Detail ?? '')
          ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
          : { EventId: 'e' },
      ),
    }));
    const { invoke, output } = setup();
    const records = [
      record('ok-1', buildSpilloverBodies('batch-a', entriesFor(factory.many(3)))[0] ?? ''),
      record('bad-1', buildSpilloverBodies('batch-b', entriesFor(failing))[0] ?? ''),
      record('ok-2', buildSpilloverBodies('batch-c', entriesFor(factory.many(1)))[0] ?? ''),
    ];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-1' }] });
    expect(output.metrics()[METRIC.redriveFailures]).toBe(1);
    const returned = output.logs().filter((line) => String(line.message).includes('returns to the queue'));
    expect(returned).toEqual([
      expect.objectContaining({
        messageId: 'bad-1',
        originalBatchId: 'batch-b',
        unsent: 2,
        lastError: 'ThrottlingException',
      }),
    ]);
    // The record's body is customer data: the log names the message, never its events.
    expect(output.text()).not.toContain(failing[0]?.id);
  });

  it('returns a message when the whole PutEvents call keeps failing', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('down'), { $metadata: { httpStatusCode: 500 } }));
    const { invoke } = setup();
    const response = await invoke([
      record('m1', buildSpilloverBodies('b', entriesFor(factory.many(1)))[0] ?? ''),
    ]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  });

  it('quarantines a malformed message instead of returning it forever', async () => {
    // Prepare
    const { invoke, output } = setup();
    const malformed = batchBody(factory.many(1));
    // Act
    const response = await invoke([record('junk-1', malformed)]);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    const call = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(call?.Key).toMatch(
      /^quarantine\/dt=\d{4}-\d{2}-\d{2}\/redrive-junk-1\/invalid-spillover-message-junk-1\.json$/,
    );
    expect(JSON.parse(String(call?.Body))).toMatchObject({
      reason: 'invalid-spillover-message',
      items: [{ index: 0, body: malformed }],
    });
    expect(output.metrics()[METRIC.eventsQuarantined]).toBe(1);
  });

  it('returns a malformed message before the function timeout when S3 does not answer', async () => {
    s3.on(PutObjectCommand).callsFake(() => new Promise(() => undefined));
    const { invoke } = setup(1_500, true);
    const response = await invoke([record('junk-2', 'not json')]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'junk-2' }] });
  });

  it('returns a malformed message when the quarantine cannot take it either', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const { invoke } = setup();
    const response = await invoke([record('junk-1', 'not json')]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'junk-1' }] });
  });

  it('quarantines entries refused for good and does not return their message', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'bad' }],
    });
    const { invoke } = setup();
    const events = factory.many(2);
    const response = await invoke([
      record('m1', buildSpilloverBodies('batch-z', entriesFor(events))[0] ?? ''),
    ]);
    expect(response).toEqual({ batchItemFailures: [] });
    const call = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(call?.Key).toMatch(/\/batch-z\/rejected-entry-m1\.json$/);
    expect(JSON.parse(String(call?.Body))).toMatchObject({
      items: [{ index: 1, entry: { Detail: JSON.stringify(events[1]) }, error: 'MalformedDetail: bad' }],
    });
  });
});
