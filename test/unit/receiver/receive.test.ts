/**
 * The receiver's use case on its own, over in-memory ports: no middy, no SDK mocks. Each test
 * names the outcome a request ends in, what the ports saw, and the metric values the outcome
 * stands for. The HTTP answers of the same cases are in handler.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { tokenDigest } from '#lambdas/receiver/auth';
import { outcomeMetrics } from '#lambdas/receiver/metrics';
import {
  AUTH_MESSAGES,
  createReceiver,
  MAX_EVENTS_PER_REQUEST,
  type ReceiverDeps,
  type ReceiverRequest,
} from '#lambdas/receiver/receive';
import type { BusEntry } from '#lambdas/shared/bus-entry';
import { METRIC } from '#lambdas/shared/contract';
import { DEFAULT_BACKOFF, type PutEventsEntryOutcome } from '#lambdas/shared/publisher';
import { fakeClock, NOW, TOKEN } from './support';

const SETTINGS = {
  eventSource: 'braze.currents',
  maxBodyBytes: 64 * 1024,
  maxDecompressedBytes: 64 * 1024,
  claimCheckThresholdBytes: 1024,
  publishBudgetMs: 1_000,
};

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  event_type: 'users.behaviors.CustomEvent',
  id,
  time: NOW / 1000 - 30,
  ...extra,
});

/** Ports that keep what they are given; `fail` makes a port throw, `busCode` scripts PutEvents. */
function inMemory(
  options: {
    fail?: { tokens?: boolean; store?: boolean; spillover?: boolean };
    busCode?: (entry: BusEntry) => string | undefined;
  } = {},
) {
  const published: BusEntry[] = [];
  const objects = new Map<string, string>();
  const messages: string[] = [];
  const logs: { level: string; message: string }[] = [];
  const drifted: number[] = [];
  const log = (level: string) => (message: string) => {
    logs.push({ level, message });
  };
  const deps: ReceiverDeps = {
    settings: SETTINGS,
    tokens: {
      activeDigests: async () => {
        if (options.fail?.tokens) throw new Error('secret unreadable');
        return [tokenDigest(TOKEN)];
      },
    },
    sourceIpAllowed: (ip) => ip !== '192.0.2.66',
    bus: {
      putEvents: async (entries) =>
        entries.map((entry): PutEventsEntryOutcome => {
          const code = options.busCode?.(entry);
          if (code) return { ErrorCode: code, ErrorMessage: `${code}!` };
          published.push(entry);
          return { EventId: `e-${published.length}` };
        }),
    },
    store: {
      bucket: 'archive',
      putObject: async (key, body) => {
        if (options.fail?.store) throw new Error('S3 down');
        objects.set(key, body);
      },
    },
    spillover: {
      sendMessages: async (batch) => {
        if (options.fail?.spillover) throw new Error('SQS down');
        messages.push(...batch.map((message) => message.body));
        return { failedIds: [] };
      },
    },
    logger: { info: log('info'), warn: log('warn'), error: log('error'), appendKeys: () => undefined },
    drift: {
      record: (items) => {
        drifted.push([...items].length);
        return { unknownEventTypes: 0, unknownFields: 0 };
      },
    },
    clock: fakeClock(),
    backoff: DEFAULT_BACKOFF,
    newBatchId: () => 'batch-1',
  };
  return { deps, published, objects, messages, logs, drifted };
}

const request = (body: string | undefined, overrides: Partial<ReceiverRequest> = {}): ReceiverRequest => ({
  headers: { authorization: `Bearer ${TOKEN}`, 'braze-currents-version': '1' },
  body,
  sourceIp: '203.0.113.10',
  remainingTimeMs: 25_000,
  ...overrides,
});

const batchOf = (...events: unknown[]) => JSON.stringify({ events });

/** Metric name → value, from the outcome alone. */
const metricsOf = (outcome: Parameters<typeof outcomeMetrics>[0]) =>
  Object.fromEntries(outcomeMetrics(outcome).map((metric) => [metric.name, metric.value]));

describe('authentication outcomes', () => {
  it('unauthenticated without a Bearer token, before the body is looked at', async () => {
    const ports = inMemory();
    const outcome = await createReceiver(ports.deps)(request('not json', { headers: {} }));
    expect(outcome).toEqual({ kind: 'unauthenticated', message: AUTH_MESSAGES.missingBearer });
    expect(ports.objects.size).toBe(0);
    expect(metricsOf(outcome)).toEqual({ [METRIC.authMissing]: 1 });
  });

  it('forbidden for a token that is not active, and for a source outside the allow-list', async () => {
    const ports = inMemory();
    const receive = createReceiver(ports.deps);
    const wrongToken = await receive(request('', { headers: { authorization: 'Bearer nope' } }));
    const wrongSource = await receive(request('', { sourceIp: '192.0.2.66' }));
    expect(wrongToken).toEqual({ kind: 'forbidden', message: AUTH_MESSAGES.tokenNotActive });
    expect(wrongSource).toEqual({ kind: 'forbidden', message: AUTH_MESSAGES.sourceIpNotAllowed });
    expect(metricsOf(wrongToken)).toEqual({ [METRIC.authRejected]: 1 });
  });

  it('unavailable (token source) when the active tokens cannot be read, with no batch to count', async () => {
    const ports = inMemory({ fail: { tokens: true } });
    const outcome = await createReceiver(ports.deps)(request(batchOf(event('a'))));
    expect(outcome).toEqual({ kind: 'unavailable', dependency: 'token source' });
    expect(ports.published).toEqual([]);
    expect(metricsOf(outcome)).toEqual({ [METRIC.batchesFailed]: 1 });
  });
});

describe('body outcomes', () => {
  it('body-too-large over the cap, nothing kept, not counted as a batch', async () => {
    const ports = inMemory();
    const outcome = await createReceiver(ports.deps)(request('x'.repeat(SETTINGS.maxBodyBytes + 1)));
    expect(outcome).toMatchObject({ kind: 'body-too-large', message: expect.stringMatching(/larger than/) });
    expect(ports.objects.size).toBe(0);
    expect(metricsOf(outcome)).toEqual({ [METRIC.bodiesTooLarge]: 1 });
  });

  it('body-too-large for more events than a request may hold, counted as a batch', async () => {
    const ports = inMemory();
    const body = JSON.stringify({ events: Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => 1) });
    const outcome = await createReceiver(ports.deps)(request(body));
    expect(outcome.kind).toBe('body-too-large');
    expect(ports.drifted).toEqual([]);
    expect(metricsOf(outcome)).toEqual({ [METRIC.bodiesTooLarge]: 1, [METRIC.batches]: 1 });
  });

  it('invalid-body for a body that is not an envelope, kept verbatim in the quarantine', async () => {
    const ports = inMemory();
    const outcome = await createReceiver(ports.deps)(request('[1,2]', { rawQueryString: 'app_group=a' }));
    expect(outcome).toMatchObject({ kind: 'invalid-body', message: expect.any(String) });
    const [key, body] = [...ports.objects][0] ?? [];
    expect(key).toBe('quarantine/dt=2026-11-23/batch-1/invalid-body.json');
    expect(JSON.parse(body ?? '')).toMatchObject({
      reason: 'invalid-body',
      query: 'app_group=a',
      items: [{ body: '[1,2]' }],
    });
    expect(metricsOf(outcome)).toEqual({ [METRIC.bodiesRejected]: 1, [METRIC.batches]: 1 });
  });

  it('unavailable (quarantine) when an invalid body cannot be kept: nothing is lost', async () => {
    const ports = inMemory({ fail: { store: true } });
    const outcome = await createReceiver(ports.deps)(request('not json'));
    expect(outcome).toMatchObject({ kind: 'unavailable', dependency: 'quarantine' });
    expect(metricsOf(outcome)).toEqual({ [METRIC.batchesFailed]: 1, [METRIC.batches]: 1 });
  });
});

describe('accepted', () => {
  it('accepts an empty batch without publishing (how Braze checks credentials)', async () => {
    const ports = inMemory();
    const outcome = await createReceiver(ports.deps)(request('{"events":[]}'));
    expect(outcome).toMatchObject({ kind: 'accepted', batch: { summary: { received: 0, published: 0 } } });
    expect(ports.published).toEqual([]);
    expect(metricsOf(outcome)).toEqual({ [METRIC.batches]: 1 });
  });

  it('publishes, claim-checks, quarantines and spills, and says so in one summary', async () => {
    // Prepare: a good event, a large one, an element that is no event, one EventBridge refuses for
    // good and one it throttles until the budget is spent
    const ports = inMemory({
      busCode: (entry) => {
        if (entry.Detail.includes('"refused"')) return 'MalformedDetail';
        if (entry.Detail.includes('"throttled"')) return 'ThrottlingException';
        return undefined;
      },
    });
    const body = batchOf(
      event('good'),
      event('large', { padding: 'x'.repeat(2 * SETTINGS.claimCheckThresholdBytes) }),
      42,
      event('refused'),
      event('throttled'),
    );
    // Act
    const outcome = await createReceiver(ports.deps)(
      request(body, { headers: { authorization: `Bearer ${TOKEN}`, 'braze-currents-version': '2' } }),
    );
    // Assess
    expect(outcome).toMatchObject({
      kind: 'accepted',
      batch: {
        summary: {
          batchId: 'batch-1',
          received: 5,
          published: 2,
          claimChecked: 1,
          quarantined: 2,
          spilled: 1,
        },
        unsupportedVersion: '2',
        decoded: true,
        eventLagSeconds: 30,
      },
    });
    expect(ports.published.map((entry) => JSON.parse(entry.Detail).id)).toEqual(['good', 'large']);
    expect([...ports.objects.keys()].sort()).toEqual([
      expect.stringMatching(
        /^claim-check\/dt=2026-11-23\/event_type=users\.behaviors\.CustomEvent\/large-[0-9a-f]{16}\.json$/,
      ),
      'quarantine/dt=2026-11-23/batch-1/invalid-event.json',
      'quarantine/dt=2026-11-23/batch-1/rejected-entry.json',
    ]);
    expect(ports.messages).toHaveLength(1);
    expect(ports.drifted).toEqual([4]);
    expect(metricsOf(outcome)).toMatchObject({
      [METRIC.batches]: 1,
      [METRIC.unsupportedVersion]: 1,
      [METRIC.eventsReceived]: 5,
      [METRIC.eventsPublished]: 2,
      [METRIC.eventsClaimChecked]: 1,
      [METRIC.eventsQuarantined]: 2,
      [METRIC.eventsSpilled]: 1,
      [METRIC.eventLag]: 30,
      [METRIC.publishLatency]: expect.any(Number),
    });
    expect(metricsOf(outcome)).not.toHaveProperty(METRIC.batchesFailed);
    expect(ports.logs).toContainEqual({ level: 'info', message: 'batch accepted' });
  });
});

describe('unavailable after publishing has begun', () => {
  it('when EventBridge and the spillover queue both fail: counts only what really happened', async () => {
    const ports = inMemory({
      fail: { spillover: true },
      busCode: (entry) => (entry.Detail.includes('"throttled"') ? 'ThrottlingException' : undefined),
    });
    const outcome = await createReceiver(ports.deps)(request(batchOf(event('good'), event('throttled'))));
    expect(outcome).toMatchObject({
      kind: 'unavailable',
      dependency: 'event bus and spillover queue',
      batch: { summary: { received: 2, published: 1, spilled: 0 } },
    });
    expect(metricsOf(outcome)).toMatchObject({
      [METRIC.batchesFailed]: 1,
      [METRIC.eventsPublished]: 1,
    });
    expect(metricsOf(outcome)).not.toHaveProperty(METRIC.eventsSpilled);
    expect(ports.logs).toContainEqual({ level: 'error', message: 'batch not accepted' });
  });

  it('when a claim check cannot be written: nothing is published', async () => {
    const ports = inMemory({ fail: { store: true } });
    const big = event('large', { padding: 'x'.repeat(2 * SETTINGS.claimCheckThresholdBytes) });
    const outcome = await createReceiver(ports.deps)(request(batchOf(big)));
    expect(outcome).toMatchObject({ kind: 'unavailable', dependency: 'claim-check store' });
    expect(ports.published).toEqual([]);
  });
});

it('throws only on a bug, for the handler to answer 500', async () => {
  const ports = inMemory();
  ports.deps.newBatchId = () => {
    throw new TypeError('bug');
  };
  await expect(createReceiver(ports.deps)(request(''))).rejects.toThrow('bug');
});
