import { describe, expect, it } from 'vitest';
import type { BusEntry } from '#lambdas/shared/bus-entry';
import {
  backoffDelay,
  isRetryableCallError,
  type PublishItem,
  type PutEventsEntryOutcome,
  type PutEventsPort,
  publishEntries,
  type RetryPolicy,
} from '#lambdas/shared/publisher';

const item = (id: string, bytes = 100): PublishItem & { id: string } => ({
  id,
  bytes,
  entry: {
    Source: 's',
    DetailType: 't',
    Detail: JSON.stringify({ id }),
    Time: new Date(0),
  } satisfies BusEntry,
});

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    deadline: 1_000,
    baseDelayMs: 50,
    maxDelayMs: 400,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random: () => 1,
    slept,
    ...overrides,
  };
}

/** A port that answers each entry with the code the script gives for its id on that attempt. */
function scriptedPort(script: (id: string, attempt: number) => string | undefined) {
  const attempts = new Map<string, number>();
  const calls: string[][] = [];
  const port: PutEventsPort = {
    async putEvents(entries) {
      const ids = entries.map((entry) => (JSON.parse(entry.Detail) as { id: string }).id);
      calls.push(ids);
      return ids.map((id): PutEventsEntryOutcome => {
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        const code = script(id, attempt);
        return code ? { ErrorCode: code, ErrorMessage: `${code} for ${id}` } : { EventId: `e-${id}` };
      });
    },
  };
  return { port, calls };
}

describe('publishEntries', () => {
  it('publishes everything in one round when EventBridge accepts everything', async () => {
    const { port, calls } = scriptedPort(() => undefined);
    const items = Array.from({ length: 25 }, (_, i) => item(String(i)));
    const outcome = await publishEntries(items, port, policy());
    expect(outcome.published).toHaveLength(25);
    expect(outcome.rounds).toBe(1);
    expect(calls.map((call) => call.length)).toEqual([10, 10, 5]);
  });

  it('retries only retryable entries, and quarantines the rest at once', async () => {
    const { port, calls } = scriptedPort((id, attempt) => {
      if (id === 'b' && attempt === 1) return 'ThrottlingException';
      if (id === 'c' && attempt < 3) return 'InternalFailure';
      if (id === 'd') return 'MalformedDetail';
      return undefined;
    });
    const outcome = await publishEntries([item('a'), item('b'), item('c'), item('d')], port, policy());
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'c'], ['c']]);
    expect(outcome.published.map((published) => published.id).sort()).toEqual(['a', 'b', 'c']);
    expect(outcome.rejected).toEqual([
      {
        item: expect.objectContaining({ id: 'd' }),
        errorCode: 'MalformedDetail',
        errorMessage: 'MalformedDetail for d',
      },
    ]);
    expect(outcome.unsent).toEqual([]);
  });

  it('backs off exponentially with jitter and stops before the deadline', async () => {
    const { port } = scriptedPort(() => 'ThrottlingException');
    const retry = policy({ deadline: 1_000 });
    const outcome = await publishEntries([item('a')], port, retry);
    expect(retry.slept).toEqual([50, 100, 200, 400]);
    expect(outcome.unsent.map((unsent) => unsent.id)).toEqual(['a']);
    expect(outcome.lastError).toBe('ThrottlingException');
  });

  it('makes at least one attempt even with no budget left', async () => {
    const { port, calls } = scriptedPort(() => undefined);
    const outcome = await publishEntries([item('a')], port, policy({ deadline: -1 }));
    expect(calls).toHaveLength(1);
    expect(outcome.published).toHaveLength(1);
  });

  it('treats a missing outcome for an entry as a transient failure', async () => {
    let call = 0;
    const port: PutEventsPort = {
      putEvents: async (entries) =>
        ++call === 1 ? [{ EventId: 'x' }] : entries.map(() => ({ EventId: 'y' })),
    };
    const outcome = await publishEntries([item('a'), item('b')], port, policy());
    expect(call).toBe(2);
    expect(outcome.published).toHaveLength(2);
  });

  it('retries a chunk whose whole call failed with a retryable error, and spills one that cannot succeed', async () => {
    let call = 0;
    const port: PutEventsPort = {
      async putEvents(entries) {
        call++;
        if (call === 1)
          throw Object.assign(new Error('slow down'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        if (entries.length === 1)
          throw Object.assign(new Error('no'), {
            name: 'AccessDeniedException',
            $metadata: { httpStatusCode: 403 },
          });
        return entries.map(() => ({ EventId: 'ok' }));
      },
    };
    const first = await publishEntries([item('a'), item('b')], port, policy());
    expect(first.published).toHaveLength(2);
    const second = await publishEntries([item('c')], port, policy());
    expect(second.unsent.map((unsent) => unsent.id)).toEqual(['c']);
    expect(second.rounds).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('doubles the ceiling each round up to the maximum, scaled by the random draw', () => {
    const limits = { baseDelayMs: 50, maxDelayMs: 300 };
    expect([1, 2, 3, 4, 5].map((round) => backoffDelay(round, { ...limits, random: () => 1 }))).toEqual([
      50, 100, 200, 300, 300,
    ]);
    expect(backoffDelay(3, { ...limits, random: () => 0.5 })).toBe(100);
    expect(backoffDelay(3, { ...limits, random: () => 0 })).toBe(0);
  });
});

describe('isRetryableCallError', () => {
  it.each([
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, true],
    [{ name: 'InternalException', $metadata: { httpStatusCode: 500 } }, true],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'TooMany', $metadata: { httpStatusCode: 429 } }, true],
    [{ name: 'Whatever', $retryable: {}, $metadata: { httpStatusCode: 400 } }, true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false],
    [{ name: 'ValidationException', $metadata: { httpStatusCode: 400 } }, false],
  ])('%o → %s', (error, expected) => {
    expect(isRetryableCallError(error)).toBe(expected);
  });
});

describe('a whole call refused as invalid', () => {
  const validation = () => Object.assign(new Error('1 validation error'), { name: 'ValidationException' });

  it('is split until the refused entry is found; its neighbours are published, within 2n−1 calls', async () => {
    const calls: string[][] = [];
    const port: PutEventsPort = {
      putEvents: async (entries) => {
        calls.push(entries.map((entry) => entry.Detail));
        if (entries.some((entry) => entry.Detail.includes('"bad"'))) throw validation();
        return entries.map(() => ({ EventId: 'ok' }));
      },
    };
    const items = ['a', 'b', 'c', 'bad', 'e', 'f', 'g', 'h', 'i', 'j'].map((id) => item(id));
    const outcome = await publishEntries(items, port, policy());
    expect(outcome.published.map((published) => published.id)).toEqual([
      'a',
      'b',
      'c',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
    ]);
    expect(outcome.rejected).toEqual([
      { item: items[3], errorCode: 'ValidationException', errorMessage: '1 validation error' },
    ]);
    expect(outcome.unsent).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(2 * items.length - 1);
  });

  it('does not split on access or throttling errors (those are spilled or retried)', async () => {
    let calls = 0;
    const port: PutEventsPort = {
      putEvents: async () => {
        calls++;
        throw Object.assign(new Error('no'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    };
    const outcome = await publishEntries([item('a'), item('b')], port, policy());
    expect(calls).toBe(1);
    expect(outcome.unsent).toHaveLength(2);
    expect(outcome.rejected).toEqual([]);
  });
});

describe('a PutEvents call that never answers', () => {
  it('is abandoned at the deadline and its entries come back unsent', async () => {
    let aborted = false;
    const port: PutEventsPort = {
      putEvents: (_entries, _budget, signal) =>
        new Promise(() => {
          signal?.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    };
    const start = Date.now();
    const outcome = await publishEntries([item('a')], port, {
      ...policy(),
      now: Date.now,
      sleep: async () => undefined,
      deadline: start + 50,
    });
    expect(outcome.unsent).toHaveLength(1);
    expect(outcome.lastError).toMatch(/TimeoutError/);
    expect(aborted).toBe(true);
  });
});
