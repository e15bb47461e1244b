import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_CHECK_FIELD, type ClaimCheckDetail, ENV, S3_PREFIX } from '#lambdas/shared/contract';
import { batchBody, EventFactory } from '#local/event-factory';
import {
  busEvents,
  getObject,
  listKeys,
  post,
  startTestPipeline,
  type TestPipeline,
  until,
} from './pipeline';

describe('bad input gets the statuses of the receiver contract, and nothing is lost', () => {
  let test: TestPipeline;
  const factory = new EventFactory({ seed: 21 });

  beforeAll(async () => {
    test = await startTestPipeline({ env: { [ENV.maxBodyBytes]: String(1024 * 1024) } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const onBus = (id: string) =>
    busEvents(test.pipeline).filter((e) => (e.detail as { id?: unknown }).id === id);

  /**
   * The copies of an event on the bus, once there is one. Publishing is at least once, as in AWS:
   * a loaded machine can make the receiver spill the event (the redrive publishes it later) or
   * retry a PutEvents call whose answer timed out (its entries reach the bus twice).
   */
  const published = async (id: string) => {
    await until(() => onBus(id).length >= 1, `${id} on the bus`);
    return onBus(id);
  };

  async function quarantinedBodies(): Promise<string[]> {
    const bucket = test.pipeline.names.archiveBucket;
    const keys = await listKeys(test.s3, bucket, S3_PREFIX.quarantine);
    return Promise.all(keys.map(async (key) => (await getObject(test.s3, bucket, key)).toString('utf8')));
  }

  it.each([
    ['no Authorization header', { authorization: '' }, 401],
    ['not the Bearer scheme', { authorization: 'Basic ZTJlOnRva2Vu' }, 401],
    ['a token that is not active', { authorization: 'Bearer not-the-token' }, 403],
  ])('%s → %i, and nothing published', async (_, headers, status) => {
    // Prepare
    const event = factory.make('users.behaviors.CustomEvent');

    // Act
    const response = await post(test.pipeline.url, batchBody([event]), headers);

    // Assess
    expect(response.status).toBe(status);
    expect(JSON.stringify(response.json)).not.toContain('e2e-token');
    expect(onBus(event.id)).toHaveLength(0);
  });

  it.each([
    ['an empty body', ''],
    ['{}', '{}'],
    ['no events', '{"events":[]}'],
  ])('%s with a valid token → 200, nothing published', async (_, body) => {
    // Prepare
    const before = busEvents(test.pipeline).length;

    // Act
    const response = await post(test.pipeline.url, body);

    // Assess
    expect(response.status).toBe(200);
    expect(busEvents(test.pipeline).length).toBe(before);
  });

  it.each([
    ['not JSON', '{"events":[{"event_type":'],
    ['not an object', '[1,2,3]'],
    ['events not an array', '{"events":{"event_type":"x"}}'],
  ])('a body that is %s → 400 and the raw body kept under quarantine/', async (_, body) => {
    // Act
    const response = await post(test.pipeline.url, body);

    // Assess
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ message: expect.any(String) });
    const kept = (await quarantinedBodies()).map(
      (text) => JSON.parse(text) as { reason: string; items: { body?: string }[] },
    );
    expect(
      kept.some(
        (record) => record.reason === 'invalid-body' && record.items.some((item) => item.body === body),
      ),
    ).toBe(true);
  });

  it('events that are not objects or lack a string event_type → 200, kept in quarantine, the good ones published', async () => {
    // Prepare
    const good = factory.make('users.messages.email.Open');
    const marker = `bad-${Date.now()}`;
    const bad = [42, 'text', null, { id: marker, no_event_type: true }, { event_type: 7, id: `${marker}-n` }];

    // Act
    const response = await post(test.pipeline.url, batchBody([bad[0], good, ...bad.slice(1)]));

    // Assess
    expect(response.status).toBe(200);
    const copies = await published(good.id);
    expect(copies.map((e) => e.detail)).toEqual(copies.map(() => good));
    // One object per batch and reason, each bad element an item of it.
    const items = (await quarantinedBodies())
      .map((text) => JSON.parse(text) as { reason: string; items: { event?: unknown }[] })
      .filter((record) => record.reason === 'invalid-event')
      .flatMap((record) => record.items);
    for (const event of bad) {
      expect(items.some((item) => JSON.stringify(item.event) === JSON.stringify(event))).toBe(true);
    }
  });

  it('an event too large for EventBridge → 200, a pointer on the bus, the full event in S3', async () => {
    // Prepare
    const big = factory.make('users.behaviors.CustomEvent', {
      properties: { name: 'huge', custom_properties: { blob: 'x'.repeat(300 * 1024) } },
    });

    // Act
    const response = await post(test.pipeline.url, batchBody([big]));

    // Assess
    expect(response.status).toBe(200);
    const [pointer] = await published(big.id);
    expect(pointer?.['detail-type']).toBe('users.behaviors.CustomEvent');
    const detail = pointer?.detail as ClaimCheckDetail;
    expect(detail.event_type).toBe(big.event_type);
    const location = detail[CLAIM_CHECK_FIELD];
    expect(location.key.startsWith(S3_PREFIX.claimCheck)).toBe(true);
    const stored = await getObject(test.s3, location.bucket, location.key);
    expect(JSON.parse(stored.toString('utf8'))).toEqual(big);
  });

  it('a body over the size cap → 413, which makes Braze split the batch', async () => {
    // Prepare
    const events = Array.from({ length: 8 }, () =>
      factory.make('users.behaviors.CustomEvent', {
        properties: { name: 'big', blob: 'y'.repeat(200 * 1024) },
      }),
    );

    // Act
    const response = await post(test.pipeline.url, batchBody(events));

    // Assess
    expect(response.status).toBe(413);
    expect(events.every((e) => onBus(e.id).length === 0)).toBe(true);
  });

  it('a gzip body → 200, events published verbatim', async () => {
    // Prepare
    const events = [
      factory.make('users.messages.sms.Delivery'),
      factory.make('users.behaviors.app.SessionStart'),
    ];

    // Act
    const response = await post(test.pipeline.url, gzipSync(batchBody(events)), {
      'content-encoding': 'gzip',
    });

    // Assess
    expect(response.status).toBe(200);
    for (const event of events) {
      const copies = await published(event.id);
      expect(copies.map((e) => e.detail)).toEqual(copies.map(() => event));
    }
  });

  it('another Braze-Currents-Version and a query string → accepted, the query kept as resources', async () => {
    // Prepare
    const event = factory.make('users.behaviors.Purchase');

    // Act
    const response = await post(`${test.pipeline.url}?app_group=brand-a`, batchBody([event]), {
      'braze-currents-version': '2',
    });

    // Assess
    expect(response.status).toBe(200);
    const copies = await published(event.id);
    expect(copies.map((e) => e.resources)).toEqual(copies.map(() => ['app_group=brand-a']));
  });

  it('wrong path → 404, wrong method → 405', async () => {
    // Act
    const wrongPath = await post(test.pipeline.url.replace('/currents', '/events'), '{}');
    const wrongMethod = await fetch(test.pipeline.url, { method: 'PUT', body: '{}' });

    // Assess
    expect(wrongPath.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
  });

  it('counts the quarantined events', async () => {
    await until(() => test.pipeline.counts().quarantined >= 5, 'quarantine counts');
    expect(test.pipeline.counts().quarantined).toBeGreaterThanOrEqual(5);
  });
});
