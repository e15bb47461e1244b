/**
 * Schema drift end to end, through local mode (`npm start`'s pipeline): a batch with a field the
 * catalog lacks, a field the user acknowledged (`extraEventFields` context → the receiver's
 * environment) and an event type the catalog lacks is accepted and published verbatim; the new
 * field and type are counted and logged once per function instance, the acknowledged field not.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DRIFT_LOG_MESSAGE } from '#lambdas/receiver/drift';
import { EventFactory } from '#local/event-factory';
import { busEvents, post, startTestPipeline, type TestPipeline, until } from './pipeline';

describe('schema drift through local mode', () => {
  let test: TestPipeline;
  const warnings: string[] = [];
  const factory = new EventFactory({ seed: 21 });

  function batch() {
    const purchase = factory.make('users.behaviors.Purchase');
    purchase.properties.subscription_plan = 'pro-plan-value';
    purchase.properties.gift_wrap = true;
    const beam = factory.make('users.messages.hologram.Beam');
    return [purchase, beam];
  }

  beforeAll(async () => {
    test = await startTestPipeline({
      logLevel: 'WARN',
      context: { extraEventFields: { 'users.behaviors.Purchase': ['properties.gift_wrap'] } },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('accepts and publishes the events verbatim, counts the new field and type, logs each once', async () => {
    // Prepare: Powertools' dev mode (local mode) writes log lines through the global console.
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
      warnings.push(String(line));
    });
    const first = batch();
    const second = batch();
    // Act: one after the other, so one warm environment answers both, as one Lambda instance would.
    const answers = [
      await post(test.pipeline.url, JSON.stringify({ events: first })),
      await post(test.pipeline.url, JSON.stringify({ events: second })),
    ];
    // At least once: a PutEvents call retried after a timed-out answer (a loaded machine) puts its
    // entries on the bus twice, as in AWS, so the bus is compared as a set of details.
    const sent = [...first, ...second].map((event) => JSON.stringify(event)).sort();
    const detailsOnBus = () =>
      [...new Set(busEvents(test.pipeline).map((e) => JSON.stringify(e.detail)))].sort();
    await until(() => detailsOnBus().length >= sent.length, 'the four events on the bus');
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(detailsOnBus()).toEqual(sent);
    expect(test.pipeline.counts()).toMatchObject({
      received: 4,
      published: 4,
      unknownEventTypes: 2,
      unknownFields: 2,
    });
    const drift = warnings
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === DRIFT_LOG_MESSAGE)
      .map(({ driftKind, eventType, field }) => ({ driftKind, eventType, field }));
    expect(drift).toEqual([
      {
        driftKind: 'unknown-field',
        eventType: 'users.behaviors.Purchase',
        field: 'properties.subscription_plan',
      },
      { driftKind: 'unknown-event-type', eventType: 'users.messages.hologram.Beam', field: undefined },
    ]);
    expect(warnings.join('\n')).not.toContain('pro-plan-value');
  });
});
