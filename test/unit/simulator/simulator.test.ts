import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { simulate } from '#local/simulator/simulator';
import { factoryEvents, readSampleFolder, withFreshIds } from '#local/simulator/sources';
import { type ScriptedAnswer, startScriptedServer } from './scripted-server';

const fast = { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 20 };
const ok: ScriptedAnswer = { status: 200 };
let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

async function server(script: Parameters<typeof startScriptedServer>[0]) {
  const started = await startScriptedServer(script);
  close = started.close;
  return started;
}

describe('simulate', () => {
  it('posts batches of at most 100 with the headers Braze sends, and acknowledges every event', async () => {
    // Prepare
    const { url, requests } = await server(() => ok);
    const events = factoryEvents({ count: 250, seed: 1 });

    // Act
    const report = await simulate({ url, token: 'secret-token', events });

    // Assess
    expect(report).toMatchObject({
      sent: 250,
      acknowledged: 250,
      dropped: 0,
      unsent: 0,
      retries: 0,
      requests: 3,
    });
    expect(report.byStatus).toEqual({ '200': 3 });
    expect(requests.map((r) => r.events.length).sort()).toEqual([100, 100, 50]);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.headers.authorization).toBe('Bearer secret-token');
      expect(request.headers['braze-currents-version']).toBe('1');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['content-encoding']).toBeUndefined();
    }
    expect(new Set(requests.flatMap((r) => r.events.map((e) => e.id)))).toEqual(
      new Set(events.map((e) => e.id)),
    );
    expect(new Set(report.acknowledgedIds)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('keeps the query string of the connector URL and sends no Authorization without a token', async () => {
    // Prepare
    const { url, requests } = await server(() => ok);

    // Act
    await simulate({ url: `${url}?app_group=brand-a`, events: factoryEvents({ count: 1 }) });

    // Assess
    expect(requests[0]?.url).toBe('/currents?app_group=brand-a');
    expect(requests[0]?.headers.authorization).toBeUndefined();
  });

  it('gzips bodies on request', async () => {
    // Prepare
    const { url, requests } = await server(() => ok);
    const events = factoryEvents({ count: 3 });

    // Act
    const report = await simulate({ url, token: 't', events, gzip: true });

    // Assess
    expect(report.acknowledged).toBe(3);
    expect(requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(requests[0]?.events).toEqual(events);
  });

  it('retries 5xx and 429 with backoff until the batch is acknowledged, honouring Retry-After', async () => {
    // Prepare
    const answers: ScriptedAnswer[] = [
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 429 },
      { status: 500 },
      ok,
    ];
    const { url, requests } = await server((_, i) => answers[i] ?? ok);
    const events = factoryEvents({ count: 10 });

    // Act
    const report = await simulate({ url, token: 't', events, backoff: fast });

    // Assess
    expect(report).toMatchObject({ acknowledged: 10, dropped: 0, retries: 3, requests: 4 });
    expect(report.byStatus).toEqual({ '503': 1, '429': 1, '500': 1, '200': 1 });
    expect(requests.every((r) => r.events.length === 10)).toBe(true);
  });

  it('retries when the connection drops without an answer', async () => {
    // Prepare
    const { url } = await server((_, i) => (i === 0 ? { status: 0, hangUp: true } : ok));

    // Act
    const report = await simulate({ url, token: 't', events: factoryEvents({ count: 5 }), backoff: fast });

    // Assess
    expect(report).toMatchObject({ acknowledged: 5, retries: 1 });
    expect(report.byStatus).toEqual({ network: 1, '200': 1 });
  });

  it('drops the events of a request that keeps failing after the attempt limit, naming their ids', async () => {
    // Prepare
    const { url } = await server(() => ({ status: 502 }));
    const events = factoryEvents({ count: 3 });

    // Act
    const report = await simulate({ url, token: 't', events, backoff: fast, maxAttempts: 3 });

    // Assess
    expect(report).toMatchObject({ acknowledged: 0, dropped: 3, retries: 2, requests: 3 });
    expect(report.droppedEvents.map((d) => d.id)).toEqual(events.map((e) => e.id));
    expect(report.droppedEvents[0]?.reason).toMatch(/gave up after 3 attempts/);
  });

  it('answers 400 by resending events one by one and drops only the event refused again', async () => {
    // Prepare
    const { url, requests } = await server((request) =>
      request.events.some((e) => e.poison === true) ? { status: 400, body: '{"message":"bad"}' } : ok,
    );
    const events = factoryEvents({ count: 20 });
    const poisoned = { ...events[7], poison: true };
    events[7] = poisoned as (typeof events)[number];

    // Act
    const report = await simulate({ url, token: 't', events });

    // Assess
    expect(report).toMatchObject({ acknowledged: 19, dropped: 1, retries: 0, requests: 21 });
    expect(report.droppedEvents).toEqual([
      { id: poisoned.id, status: 400, reason: 'HTTP 400 for a single event' },
    ]);
    expect(requests.slice(1).every((r) => r.events.length === 1)).toBe(true);
  });

  it('answers 413 by halving the batch until it fits, dropping a single event that is still too large', async () => {
    // Prepare
    const acknowledgedSizes: number[] = [];
    const { url, requests } = await server((request) => {
      if (request.events.length > 25 || request.events.some((e) => e.huge === true)) return { status: 413 };
      acknowledgedSizes.push(request.events.length);
      return ok;
    });
    const events = factoryEvents({ count: 100 });
    const huge = { ...events[0], huge: true };
    events[0] = huge as (typeof events)[number];

    // Act
    const report = await simulate({ url, token: 't', events });

    // Assess
    expect(report.acknowledged).toBe(99);
    expect(report.droppedEvents).toEqual([
      { id: huge.id, status: 413, reason: 'HTTP 413 for a single event' },
    ]);
    expect(requests.slice(0, 3).map((r) => r.events.length)).toEqual([100, 50, 25]);
    expect(acknowledgedSizes.slice(-3)).toEqual([25, 25, 25]);
    expect(acknowledgedSizes.reduce((a, b) => a + b, 0)).toBe(99);
  });

  it.each([401, 403, 404])('stops sending on %i and reports the rest as unsent', async (status) => {
    // Prepare
    const { url, requests } = await server(() => ({ status, body: '{"message":"Unauthorized"}' }));

    // Act
    const report = await simulate({
      url,
      token: 'wrong',
      events: factoryEvents({ count: 300 }),
      concurrency: 1,
    });

    // Assess
    expect(requests).toHaveLength(1);
    expect(report).toMatchObject({ acknowledged: 0, dropped: 0, unsent: 300 });
    expect(report.stopped).toEqual({ status, body: '{"message":"Unauthorized"}' });
  });

  it('keeps the given number of requests in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const { url } = await server(() => ok);
    const tracking = new Proxy(globalThis.fetch, {
      apply: async (target, self, args: Parameters<typeof fetch>) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          return await Reflect.apply(target, self, args);
        } finally {
          inFlight--;
        }
      },
    });
    vi.stubGlobal('fetch', tracking);

    // Act
    let report: Awaited<ReturnType<typeof simulate>>;
    try {
      report = await simulate({ url, token: 't', events: factoryEvents({ count: 1000 }), concurrency: 3 });
    } finally {
      vi.unstubAllGlobals();
    }

    // Assess
    expect(report.acknowledged).toBe(1000);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it('reports progress after each answered request', async () => {
    // Prepare
    const { url } = await server(() => ok);
    const seen: number[] = [];

    // Act
    await simulate({
      url,
      token: 't',
      events: factoryEvents({ count: 30 }),
      batchSize: 10,
      concurrency: 1,
      onProgress: (p) => seen.push(p.acknowledged),
    });

    // Assess
    expect(seen).toEqual([10, 20, 30]);
  });
});

describe('event sources', () => {
  it('makes the requested count over the requested families, with unique ids', () => {
    // Act
    const events = factoryEvents({
      count: 500,
      types: ['users.messages.email.*', 'users.behaviors.CustomEvent'],
    });

    // Assess
    expect(events).toHaveLength(500);
    expect(new Set(events.map((e) => e.id)).size).toBe(500);
    expect(
      events.every(
        (e) =>
          e.event_type.startsWith('users.messages.email.') || e.event_type === 'users.behaviors.CustomEvent',
      ),
    ).toBe(true);
  });

  it('covers all 96 event types by default', () => {
    expect(new Set(factoryEvents({ count: 192 }).map((e) => e.event_type)).size).toBe(
      BRAZE_EVENT_TYPES.length,
    );
  });

  it('refuses a selection that matches no known type', () => {
    expect(() => factoryEvents({ count: 1, types: ['nothing.here.*'] })).toThrow(/no known event type/);
  });

  it('replays a sample folder with fresh ids, keeping every other field and the key order', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'samples-'));
    try {
      await writeFile(
        path.join(dir, 'a.json'),
        JSON.stringify([{ event_type: 'a', id: 'x', time: 1, user: {}, properties: { p: 1 } }]),
      );
      await writeFile(
        path.join(dir, 'b.json'),
        JSON.stringify([{ event_type: 'b', id: 'y' }, { event_type: 'b' }]),
      );
      await writeFile(path.join(dir, 'notes.txt'), 'ignored');

      // Act
      const samples = await readSampleFolder(dir);
      const replayed = withFreshIds(samples, 5) as Array<Record<string, unknown>>;

      // Assess
      expect(samples).toHaveLength(3);
      expect(replayed.map((e) => e.event_type)).toEqual(['a', 'b', 'b', 'a', 'b']);
      expect(new Set(replayed.map((e) => e.id)).size).toBe(5);
      expect(replayed.some((e) => e.id === 'x' || e.id === 'y')).toBe(false);
      expect(Object.keys(replayed[0] ?? {})).toEqual(['event_type', 'id', 'time', 'user', 'properties']);
      expect(replayed[0]?.properties).toEqual({ p: 1 });
      // A file that is not JSON is named in the error.
      await writeFile(path.join(dir, 'c.json'), '[{');
      await expect(readSampleFolder(dir)).rejects.toThrow(/^c\.json: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
