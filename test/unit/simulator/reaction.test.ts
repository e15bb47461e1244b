import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs, retryDelayMs } from '#local/simulator/backoff';
import { formatReport } from '#local/simulator/format';
import { reactionTo, splitInHalves, toBatches } from '#local/simulator/reaction';

describe("Braze's reaction to each status", () => {
  it.each([
    [200, 100, 'ack'],
    [204, 1, 'ack'],
    [500, 100, 'retry'],
    [503, 1, 'retry'],
    [429, 100, 'retry'],
    [undefined, 100, 'retry'],
    [400, 100, 'split-singles'],
    [400, 1, 'drop'],
    [422, 5, 'split-singles'],
    [413, 100, 'split-halves'],
    [413, 1, 'drop'],
    [401, 100, 'stop'],
    [403, 1, 'stop'],
    [404, 100, 'stop'],
  ])('status %s on a batch of %i → %s', (status, size, expected) => {
    // Act
    const reaction = reactionTo(status, size);

    // Assess
    expect(reaction.kind).toBe(expected);
  });
});

describe('batching', () => {
  it('cuts events into batches of at most the given size, keeping order', () => {
    // Prepare
    const events = Array.from({ length: 250 }, (_, i) => i);

    // Act
    const batches = toBatches(events, 100);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(events);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => toBatches([1], 0)).toThrow(RangeError);
  });

  it('splits a batch into two halves, the first larger when odd', () => {
    expect(splitInHalves([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });
});

describe('backoff', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

  it('grows exponentially under full jitter and never exceeds the cap', () => {
    // Act
    const ceilings = [0, 1, 2, 3, 4, 10].map((retry) => backoffDelayMs(retry, policy, () => 0.999999));
    const floors = [0, 1, 10].map((retry) => backoffDelayMs(retry, policy, () => 0));

    // Assess
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999]);
    expect(floors).toEqual([0, 0, 0]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    // Prepare
    const now = Date.parse('2026-01-01T00:00:00Z');

    // Act / Assess
    expect(parseRetryAfterMs('3', now)).toBe(3_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it("prefers the server's Retry-After, capped, over its own backoff", () => {
    expect(retryDelayMs(0, '2', policy, () => 0.5)).toBe(2_000);
    expect(retryDelayMs(0, '3600', policy, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, null, policy, () => 0.5)).toBe(200);
  });
});

describe('formatReport', () => {
  it('names the counts, the statuses, the stop reason and every dropped id', () => {
    // Act
    const text = formatReport({
      sent: 3,
      acknowledged: 1,
      acknowledgedIds: ['a'],
      dropped: 1,
      droppedEvents: [{ id: 'b', status: 400, reason: 'HTTP 400 for a single event' }],
      unsent: 1,
      requests: 4,
      retries: 1,
      byStatus: { '200': 1, '400': 2, '403': 1 },
      stopped: { status: 403, body: '{"message":"Forbidden"}' },
      durationMs: 1500,
    });

    // Assess
    expect(text).toContain('sent 3, acknowledged 1, dropped 1, unsent 1');
    expect(text).toContain('by status: 200×1 400×2 403×1');
    expect(text).toContain('stopped on HTTP 403');
    expect(text).toContain('dropped b: HTTP 400 for a single event');
  });
});
