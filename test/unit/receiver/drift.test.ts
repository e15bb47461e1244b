/**
 * Schema drift: unknown event types and unknown top-level fields of `user` / `properties` are
 * counted per event, logged once per instance (type and field path, never a value), and the events
 * are still published verbatim.
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createDriftDetector,
  DRIFT_LOG_MESSAGE,
  type DriftInput,
  MAX_LOGGED_FINDINGS,
} from '#lambdas/receiver/drift';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { parseCatalogExtras } from '#lambdas/shared/catalog-extras';
import { METRIC } from '#lambdas/shared/contract';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import {
  acceptEveryEntry,
  apiEvent,
  captureOutput,
  fakeClock,
  lambdaContext,
  receiverConfig,
  testClients,
} from './support';

function fakeTelemetry() {
  const warn = vi.fn();
  const addMetric = vi.fn();
  const metrics = { addMetric } as unknown as Metrics;
  const counted = (name: string) =>
    addMetric.mock.calls.filter(([metric]) => metric === name).reduce((sum, [, , value]) => sum + value, 0);
  return { logger: { warn }, warn, metrics, counted };
}

const factory = new EventFactory({ seed: 12, optionalFill: 1 });

function inputs(events: Array<Record<string, unknown> & { event_type: string }>): DriftInput[] {
  return events.map((event) => ({ eventType: event.event_type, event }));
}

describe('drift detector', () => {
  it('finds nothing in events of every catalog type with every catalog field', () => {
    // Prepare
    const { logger, metrics, warn, counted } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const events = BRAZE_EVENT_TYPES.map((type) => factory.make(type));
    // Act
    const found = drift.record(inputs(events));
    // Assess
    expect(found).toEqual({ unknownEventTypes: 0, unknownFields: 0 });
    expect(warn).not.toHaveBeenCalled();
    expect(counted(METRIC.unknownFields)).toBe(0);
  });

  it('counts an unknown user and properties field per event, and logs each once, without its value', () => {
    // Prepare
    const { logger, metrics, warn, counted } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const novel = () => {
      const event = factory.make('users.messages.email.Open');
      event.user.loyalty_tier = 'secret-gold-value';
      event.properties.ai_summary = 'secret-summary-value';
      return event;
    };
    // Act
    const first = drift.record(inputs([novel(), novel()]));
    const second = drift.record(inputs([novel()]));
    // Assess
    expect(first).toEqual({ unknownEventTypes: 0, unknownFields: 4 });
    expect(second).toEqual({ unknownEventTypes: 0, unknownFields: 2 });
    expect(counted(METRIC.unknownFields)).toBe(6);
    expect(warn.mock.calls).toEqual([
      [
        DRIFT_LOG_MESSAGE,
        { driftKind: 'unknown-field', eventType: 'users.messages.email.Open', field: 'user.loyalty_tier' },
      ],
      [
        DRIFT_LOG_MESSAGE,
        {
          driftKind: 'unknown-field',
          eventType: 'users.messages.email.Open',
          field: 'properties.ai_summary',
        },
      ],
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain('secret');
  });

  it('logs the same field again for another event type', () => {
    const { logger, metrics, warn } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const open = factory.make('users.messages.email.Open');
    const click = factory.make('users.messages.email.Click');
    open.properties.x_new = 1;
    click.properties.x_new = 1;
    drift.record(inputs([open, click, open]));
    expect(warn.mock.calls.map(([, fields]) => fields.eventType)).toEqual([
      'users.messages.email.Open',
      'users.messages.email.Click',
    ]);
  });

  it('counts an unknown event type per event, logs it once, and does not check its fields', () => {
    // Prepare
    const { logger, metrics, warn, counted } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const beam = () => factory.make('users.messages.hologram.Beam', { properties: { anything: true } });
    // Act
    const found = drift.record(inputs([beam(), beam(), beam()]));
    // Assess
    expect(found).toEqual({ unknownEventTypes: 3, unknownFields: 0 });
    expect(counted(METRIC.unknownEventTypes)).toBe(3);
    expect(warn.mock.calls).toEqual([
      [DRIFT_LOG_MESSAGE, { driftKind: 'unknown-event-type', eventType: 'users.messages.hologram.Beam' }],
    ]);
  });

  it('stays quiet about acknowledged extra types and fields', () => {
    // Prepare
    const { logger, metrics, warn } = fakeTelemetry();
    const extras = parseCatalogExtras(
      'users.messages.hologram.Beam',
      JSON.stringify({
        'users.messages.email.Open': ['user.loyalty_tier', 'properties.ai_summary'],
        'users.messages.hologram.Beam': ['properties.beam_id'],
      }),
    );
    const drift = createDriftDetector(logger, metrics, extras);
    const open = factory.make('users.messages.email.Open');
    open.user.loyalty_tier = 'gold';
    open.properties.ai_summary = 'x';
    const beam = factory.make('users.messages.hologram.Beam', { properties: { other: 1 } });
    const click = factory.make('users.messages.email.Click');
    click.user.loyalty_tier = 'gold';
    // Act
    const found = drift.record(inputs([open, beam, click]));
    // Assess: acknowledged for Open only, so Click's field still counts.
    expect(found).toEqual({ unknownEventTypes: 0, unknownFields: 1 });
    expect(warn.mock.calls).toEqual([
      [
        DRIFT_LOG_MESSAGE,
        { driftKind: 'unknown-field', eventType: 'users.messages.email.Click', field: 'user.loyalty_tier' },
      ],
    ]);
  });

  it('ignores user and properties that are not objects', () => {
    const { logger, metrics, warn } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const events = [
      { event_type: 'users.messages.email.Open', user: null, properties: ['a', 'b'] },
      { event_type: 'users.messages.email.Open', user: 'text' },
    ];
    expect(drift.record(inputs(events))).toEqual({ unknownEventTypes: 0, unknownFields: 0 });
    expect(warn).not.toHaveBeenCalled();
  });

  it('stops logging new findings past the limit, but keeps counting', () => {
    // Prepare
    const { logger, metrics, warn } = fakeTelemetry();
    const drift = createDriftDetector(logger, metrics);
    const event = factory.make('users.behaviors.CustomEvent');
    for (let i = 0; i < MAX_LOGGED_FINDINGS + 50; i++) event.properties[`field_${i}`] = i;
    // Act
    const found = drift.record(inputs([event, event]));
    // Assess
    expect(found.unknownFields).toBe(2 * (MAX_LOGGED_FINDINGS + 50));
    expect(warn).toHaveBeenCalledTimes(MAX_LOGGED_FINDINGS + 1);
    expect(warn.mock.lastCall?.[1]).toEqual({ driftKind: 'log-limit' });
  });
});

describe('drift in the receiver handler', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const s3 = mockClient(S3Client);

  beforeEach(() => {
    eventBridge.reset();
    s3.reset();
    eventBridge.on(PutEventsCommand).callsFake(acceptEveryEntry);
    s3.on(PutObjectCommand).resolves({});
  });

  it('publishes drifted events verbatim, counts UnknownFields and UnknownEventTypes, logs once', async () => {
    // Prepare
    const output = captureOutput();
    const handler = createReceiverHandler(
      buildReceiverDeps(receiverConfig(), testClients(), createTelemetry(), { clock: fakeClock() }),
    );
    const purchase = factory.make('users.behaviors.Purchase');
    purchase.properties.subscription_plan = 'pro';
    const beam = factory.make('users.messages.hologram.Beam');
    const events = [purchase, beam, { ...purchase, id: 'second' }];
    // Act
    const first = (await handler(
      apiEvent({ body: batchBody(events) }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    await handler(apiEvent({ body: batchBody(events) }), lambdaContext());
    // Assess
    expect(first.statusCode).toBe(200);
    const details = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry: PutEventsRequestEntry) => entry.Detail);
    expect(details).toEqual([...events, ...events].map((event) => JSON.stringify(event)));
    expect(output.metrics()[METRIC.unknownFields]).toBe(4);
    expect(output.metrics()[METRIC.unknownEventTypes]).toBe(2);
    const driftLogs = output.logs().filter((line) => line.message === DRIFT_LOG_MESSAGE);
    expect(driftLogs).toEqual([
      expect.objectContaining({
        level: 'WARN',
        driftKind: 'unknown-field',
        eventType: 'users.behaviors.Purchase',
        field: 'properties.subscription_plan',
      }),
      expect.objectContaining({ driftKind: 'unknown-event-type', eventType: 'users.messages.hologram.Beam' }),
    ]);
    expect(JSON.stringify(driftLogs)).not.toContain('"pro"');
  });
});
