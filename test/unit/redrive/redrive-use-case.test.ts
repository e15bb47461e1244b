/**
 * The redrive use case over in-memory ports: the one publishing deadline its records share, and
 * each way a message ends (published, quarantined, or returned to the queue as a rejected result).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createRedrive, EntriesStillFailing, type RedriveDeps } from '#lambdas/redrive/redrive';
import type { BusEntry } from '#lambdas/shared/bus-entry';
import { DeadlineError, WRITE_RESERVE_MS } from '#lambdas/shared/deadline';
import { DEFAULT_BACKOFF, type PutEventsEntryOutcome } from '#lambdas/shared/publisher';
import { buildSpilloverBodies } from '#lambdas/shared/spillover';
import { fakeClock } from '../receiver/support';

const entry = (id: string): BusEntry => ({
  Source: 'braze.currents',
  DetailType: 'users.behaviors.CustomEvent',
  Detail: JSON.stringify({ event_type: 'users.behaviors.CustomEvent', id }),
  Time: new Date(1_700_000_000_000),
});

const message = (messageId: string, ...ids: string[]): SQSRecord =>
  ({ messageId, body: buildSpilloverBodies(`batch-${messageId}`, ids.map(entry))[0] ?? '' }) as SQSRecord;

/**
 * Ports that keep what they are given. `code` scripts PutEvents per entry id; a store that `hangs`
 * never answers, one that `fails` throws.
 */
function inMemory(options: { code?: (id: string) => string | undefined; store?: 'fails' | 'hangs' } = {}) {
  const clock = fakeClock();
  const published: string[] = [];
  const rounds: number[] = [];
  const objects = new Map<string, string>();
  const deps: RedriveDeps = {
    publishBudgetMs: 1_000,
    bus: {
      putEvents: async (entries) => {
        rounds.push(clock.now());
        return entries.map((sent): PutEventsEntryOutcome => {
          const id = (JSON.parse(sent.Detail) as { id: string }).id;
          const code = options.code?.(id);
          if (code) return { ErrorCode: code, ErrorMessage: `${code}!` };
          published.push(id);
          return { EventId: id };
        });
      },
    },
    store: {
      bucket: 'archive',
      putObject: async (key, body) => {
        if (options.store === 'fails') throw new Error('S3 down');
        if (options.store === 'hangs') return new Promise<void>(() => undefined);
        objects.set(key, body);
      },
    },
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', singleMetric: false }),
    clock,
    backoff: DEFAULT_BACKOFF,
  };
  return { deps, clock, published, rounds, objects };
}

describe('redrive use case', () => {
  it('fulfils every record whose entries are all published', async () => {
    const ports = inMemory();
    const results = await createRedrive(ports.deps)([message('m1', 'a', 'b'), message('m2', 'c')], 30_000);
    expect(results).toEqual([
      { status: 'fulfilled', value: { kind: 'published', entries: 2 } },
      { status: 'fulfilled', value: { kind: 'published', entries: 1 } },
    ]);
    expect(ports.published.sort()).toEqual(['a', 'b', 'c']);
  });

  it('quarantines an unreadable message and fulfils it, so it does not circle the queue', async () => {
    const ports = inMemory();
    const results = await createRedrive(ports.deps)(
      [{ messageId: 'junk', body: '{"nope":1}' } as SQSRecord],
      30_000,
    );
    expect(results[0]).toEqual({
      status: 'fulfilled',
      value: { kind: 'quarantined', reason: expect.any(String) },
    });
    const [key, body] = [...ports.objects][0] ?? [];
    expect(key).toMatch(/redrive-junk\/invalid-spillover-message-junk\.json$/);
    expect(JSON.parse(body ?? '')).toMatchObject({ items: [{ body: '{"nope":1}' }] });
  });

  it('rejects an unreadable message the quarantine cannot take, so it returns to the queue', async () => {
    const ports = inMemory({ store: 'fails' });
    const [result] = await createRedrive(ports.deps)([{ messageId: 'junk', body: 'x' } as SQSRecord], 30_000);
    expect(result).toEqual({ status: 'rejected', reason: new Error('S3 down') });
  });

  it('quarantines entries refused for good and fulfils their message; the rest is published', async () => {
    const ports = inMemory({ code: (id) => (id === 'bad' ? 'MalformedDetail' : undefined) });
    const [result] = await createRedrive(ports.deps)([message('m1', 'good', 'bad')], 30_000);
    expect(result).toEqual({ status: 'fulfilled', value: { kind: 'published', entries: 1 } });
    expect(ports.published).toEqual(['good']);
    const [key, body] = [...ports.objects][0] ?? [];
    expect(key).toMatch(/\/batch-m1\/rejected-entry-m1\.json$/);
    expect(JSON.parse(body ?? '')).toMatchObject({
      items: [{ index: 1, error: 'MalformedDetail: MalformedDetail!' }],
    });
  });

  it('rejects a message whose refused entries cannot be kept', async () => {
    const ports = inMemory({ store: 'fails', code: (id) => (id === 'bad' ? 'MalformedDetail' : undefined) });
    const [result] = await createRedrive(ports.deps)([message('m1', 'good', 'bad')], 30_000);
    expect(result?.status).toBe('rejected');
  });

  it('rejects only the message whose entries still fail at the deadline, naming what failed', async () => {
    const ports = inMemory({ code: (id) => (id === 'slow' ? 'ThrottlingException' : undefined) });
    const results = await createRedrive(ports.deps)(
      [message('ok', 'a'), message('stuck', 'slow', 'b')],
      30_000,
    );
    expect(results[0]?.status).toBe('fulfilled');
    const stuck = results[1];
    expect(stuck?.status).toBe('rejected');
    const reason = stuck?.status === 'rejected' ? stuck.reason : undefined;
    expect(reason).toBeInstanceOf(EntriesStillFailing);
    expect(reason).toMatchObject({
      originalBatchId: 'batch-stuck',
      unsent: 1,
      lastError: 'ThrottlingException',
    });
  });

  it('shares one publishing deadline across the records: no round starts after it, for any record', async () => {
    // Prepare: every entry throttled, so each record retries for as long as it may
    const ports = inMemory({ code: () => 'ThrottlingException' });
    const start = ports.clock.now();
    // Act: three records, the budget (1 s) sooner than the Lambda's remaining time
    const results = await createRedrive(ports.deps)(
      [message('m1', 'a'), message('m2', 'b'), message('m3', 'c')],
      30_000,
    );
    // Assess: all three retried (more than one round each), none started a round past the budget
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(ports.rounds.length).toBeGreaterThan(3);
    expect(Math.max(...ports.rounds) - start).toBeLessThanOrEqual(ports.deps.publishBudgetMs);
  });

  it('takes the deadline from the Lambda remaining time when that is sooner than the budget', async () => {
    const ports = inMemory({ code: () => 'ThrottlingException' });
    const start = ports.clock.now();
    const remaining = WRITE_RESERVE_MS + 300;
    await createRedrive(ports.deps)([message('m1', 'a'), message('m2', 'b')], remaining);
    expect(Math.max(...ports.rounds) - start).toBeLessThanOrEqual(300);
  });

  it('abandons a quarantine write at the invocation deadline and returns the message', async () => {
    const ports = inMemory({ store: 'hangs' });
    // Real timers: withDeadline's timer ends the hanging write 500 ms before the function timeout.
    ports.deps.clock = { ...ports.deps.clock, now: Date.now };
    const [result] = await createRedrive(ports.deps)([{ messageId: 'junk', body: 'x' } as SQSRecord], 800);
    expect(result?.status).toBe('rejected');
    expect(result?.status === 'rejected' && result.reason).toBeInstanceOf(DeadlineError);
  });
});
