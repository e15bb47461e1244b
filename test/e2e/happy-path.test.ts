import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import type { BrazeEvent } from '#local/event-factory';
import { factoryEvents, type SimulationReport, simulate } from '#local/simulator/index';
import {
  busEvents,
  busIdCounts,
  copiesExplained,
  readArchive,
  spilloverEmpty,
  startTestPipeline,
  type TestPipeline,
  until,
} from './pipeline';

const EVENT_COUNT = 5_000;
const FAMILY = 'users.messages.email.';

describe('happy path: 5,000 events over all 96 types', () => {
  let test: TestPipeline;
  let consumerQueueName = '';
  let events: BrazeEvent[];
  let report: SimulationReport;
  let startedAt: Date;

  beforeAll(async () => {
    test = await startTestPipeline({
      configure: (stack) => {
        const queue = new sqs.Queue(stack, 'EmailConsumerQueue');
        stack.routing.addConsumer('Email', { eventTypes: [`${FAMILY}*`], target: queue });
        consumerQueueName = stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue);
      },
    });
    events = factoryEvents({ count: EVENT_COUNT, seed: 4 });
    startedAt = new Date();
    report = await simulate({ url: test.pipeline.url, token: test.pipeline.token, events, concurrency: 4 });
    // Generous bounds: 5,000 events on a CI machine whose cores other jobs share.
    await until(
      () => busIdCounts(test.pipeline).size >= EVENT_COUNT,
      `${EVENT_COUNT} ids on the bus`,
      120_000,
    );
    await until(() => spilloverEmpty(test), 'the spillover queue to be empty', 120_000);
    await test.pipeline.settle();
  }, 360_000);

  afterAll(async () => {
    await test?.close();
  });

  it('covers every event type and the simulator has every batch acknowledged', () => {
    expect(new Set(events.map((e) => e.event_type)).size).toBe(BRAZE_EVENT_TYPES.length);
    expect(report).toMatchObject({ sent: EVENT_COUNT, acknowledged: EVENT_COUNT, dropped: 0, unsent: 0 });
  });

  it('puts every event on the bus, detail equal to the sent event; copies only through the spillover', () => {
    // Prepare
    const sent = new Map(events.map((e) => [e.id, e]));

    // Act
    const onBus = busEvents(test.pipeline);

    // Assess
    for (const event of onBus) {
      const detail = event.detail as BrazeEvent;
      expect(detail).toEqual(sent.get(detail.id));
      expect(event['detail-type']).toBe(detail.event_type);
      expect(event.source).toBe(DEFAULT_EVENT_SOURCE);
      expect(event.time).toBe(new Date(detail.time * 1000).toISOString().replace('.000Z', 'Z'));
    }
    expect(busIdCounts(test.pipeline).size).toBe(EVENT_COUNT);
    expect(onBus.length - EVENT_COUNT).toBeLessThanOrEqual(copiesExplained(test.pipeline, EVENT_COUNT));
  });

  it('archives every event on the bus, as sent, under its event_type/dt/hour partition', async () => {
    // Act
    const archived = await readArchive(test.s3, test.pipeline.names.archiveBucket);

    // Assess
    expect(archived).toHaveLength(busEvents(test.pipeline).length);
    const sent = new Map(events.map((e) => [e.id, e]));
    const hours = new Set(
      [startedAt, new Date()].map(
        (d) => `dt=${d.toISOString().slice(0, 10)}/hour=${d.toISOString().slice(11, 13)}/`,
      ),
    );
    const ids = new Set<string>();
    for (const { key, line } of archived) {
      const event = JSON.parse(line) as BrazeEvent;
      ids.add(event.id);
      expect(event).toEqual(sent.get(event.id));
      const match = /^events\/event_type=([^/]+)\/(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/)[^/]+\.gz$/.exec(key);
      expect(match?.[1]).toBe(event.event_type);
      expect(hours.has(match?.[2] ?? '')).toBe(true);
    }
    expect(ids.size).toBe(EVENT_COUNT);
  });

  it(`delivers exactly the ${FAMILY}* family to the consumer rule, and nothing else`, async () => {
    // Prepare
    const expected = new Set(events.filter((e) => e.event_type.startsWith(FAMILY)).map((e) => e.id));
    const familyOnBus = busEvents(test.pipeline).filter((e) => e['detail-type'].startsWith(FAMILY)).length;
    const sqsStandIn = test.pipeline.standIns.sqs;
    if (!sqsStandIn) throw new Error('the SQS stand-in is not running');

    // Act
    await until(
      () => sqsStandIn.peekBodies(consumerQueueName).length >= expected.size,
      'consumer deliveries',
    );
    const delivered = sqsStandIn.peekBodies(consumerQueueName).map((body) => JSON.parse(body));

    // Assess
    expect(expected.size).toBeGreaterThan(0);
    expect(delivered).toHaveLength(familyOnBus);
    expect(new Set(delivered.map((event) => event.detail.id))).toEqual(expected);
    expect(delivered.every((event) => String(event['detail-type']).startsWith(FAMILY))).toBe(true);
  });

  it('counts what happened on the live line', () => {
    // "published" counts each event once per receiver or redrive that put it on the bus; a call
    // retried after a timed-out answer puts its entries on the bus twice but counts them once.
    const onBus = busEvents(test.pipeline).length;
    const counts = test.pipeline.counts();
    expect(counts).toMatchObject({ received: EVENT_COUNT, archived: onBus, quarantined: 0 });
    expect(counts.published).toBeGreaterThanOrEqual(EVENT_COUNT);
    expect(counts.published).toBeLessThanOrEqual(onBus);
  });
});
