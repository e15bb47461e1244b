/**
 * Conformance: what Braze really sends goes to the bus byte for byte. Replays every sample file of
 * `../shared/braze-currents/samples/` (when that folder is there; a fresh clone has only the
 * EventFactory part) through the receiver handler with mocked AWS clients, and checks each entry:
 * Detail = JSON.stringify of the event as parsed (key order kept), DetailType = event_type, Source,
 * Time = the Braze time.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import { BRAZE_SAMPLES_DIR, describeWithSharedData } from '../shared-data';
import {
  acceptEveryEntry,
  apiEvent,
  captureOutput,
  fakeClock,
  lambdaContext,
  receiverConfig,
  testClients,
} from '../unit/receiver/support';

const samplesDir = BRAZE_SAMPLES_DIR;

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  eventBridge.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  eventBridge.on(PutEventsCommand).callsFake(acceptEveryEntry);
});

type SampleEvent = Record<string, unknown> & { event_type: string; id: string; time: number };

/** Posts the events in Braze-sized batches and returns every entry sent to PutEvents, by Braze id. */
async function replay(events: SampleEvent[]): Promise<Map<string, PutEventsRequestEntry>> {
  captureOutput();
  const handler = createReceiverHandler(
    buildReceiverDeps(receiverConfig(), testClients(), createTelemetry(), { clock: fakeClock() }),
  );
  for (let start = 0; start < events.length; start += 100) {
    const response = (await handler(
      apiEvent({ body: batchBody(events.slice(start, start + 100)) }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(200);
  }
  const byId = new Map<string, PutEventsRequestEntry>();
  for (const call of eventBridge.commandCalls(PutEventsCommand)) {
    for (const entry of call.args[0].input.Entries ?? []) {
      byId.set((JSON.parse(entry.Detail ?? '{}') as { id: string }).id, entry);
    }
  }
  return byId;
}

function expectVerbatim(events: SampleEvent[], byId: Map<string, PutEventsRequestEntry>) {
  expect(byId.size).toBe(events.length);
  for (const event of events) {
    const entry = byId.get(event.id);
    expect(entry, event.event_type).toBeDefined();
    expect(entry?.Detail).toBe(JSON.stringify(event));
    expect(entry?.DetailType).toBe(event.event_type);
    expect(entry?.Source).toBe(DEFAULT_EVENT_SOURCE);
    expect(entry?.Time).toEqual(new Date(event.time * 1000));
  }
}

describeWithSharedData('Braze samples (../shared/braze-currents/samples)', [samplesDir], () => {
  function loadSamples(): SampleEvent[] {
    return readdirSync(samplesDir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => JSON.parse(readFileSync(`${samplesDir}${name}`, 'utf8')) as SampleEvent[])
      .map((event) => {
        // Samples share ids; fresh ones make every event traceable. Assigning keeps the key order.
        event.id = randomUUID();
        return event;
      });
  }

  it('publishes every sample event verbatim: all 96 types, 107 events', async () => {
    // Prepare
    const events = loadSamples();
    // Act
    const byId = await replay(events);
    // Assess
    expect(new Set(events.map((event) => event.event_type)).size).toBe(96);
    expect(events).toHaveLength(107);
    expectVerbatim(events, byId);
  });
});

describe('EventFactory events (always run)', () => {
  it('publishes events of every catalog type verbatim', async () => {
    const events = new EventFactory({ seed: 96 }).many(BRAZE_EVENT_TYPES.length * 3) as SampleEvent[];
    const byId = await replay(events);
    expect(new Set([...byId.values()].map((entry) => entry.DetailType)).size).toBe(BRAZE_EVENT_TYPES.length);
    expectVerbatim(events, byId);
  });
});
