import { describe, expect, it } from 'vitest';
import {
  type ObjectStorePort,
  quarantine,
  quarantineBody,
  quarantineKey,
  safeKeySegment,
} from '#lambdas/shared/quarantine';

describe('quarantine keys', () => {
  it('one key per batch and reason, partitioned by UTC date', () => {
    expect(quarantineKey(new Date('2026-01-02T23:59:59Z'), 'b-1', 'invalid-event')).toBe(
      'quarantine/dt=2026-01-02/b-1/invalid-event.json',
    );
    expect(quarantineKey(new Date('2026-01-02T23:59:59Z'), 'b-1', 'rejected-entry', 'msg/1')).toBe(
      'quarantine/dt=2026-01-02/b-1/rejected-entry-msg_1.json',
    );
  });

  it('keeps key segments free of slashes, odd characters and dot-only names', () => {
    expect(safeKeySegment('../a b/c?')).toBe('.._a_b_c_');
    expect(safeKeySegment('')).toBe('_');
    expect(safeKeySegment('..')).toBe('_');
    expect(safeKeySegment('.')).toBe('_');
    expect(safeKeySegment('x'.repeat(500))).toHaveLength(200);
  });
});

describe('quarantine', () => {
  it('writes all items of a batch and reason as one JSON object, source texts verbatim', async () => {
    const written: [string, string][] = [];
    const store: ObjectStorePort = {
      bucket: 'b',
      putObject: async (key, body) => void written.push([key, body]),
    };
    const source = '{ "event_type": 7,  "n": 1.50 }';
    const batch = {
      reason: 'invalid-event' as const,
      batchId: 'b-1',
      receivedAt: '2026-11-23T12:00:00.000Z',
      query: '',
      items: [
        { index: 3, event: 42, error: 'event is not an object' },
        { index: 5, eventText: source, error: 'event has no string event_type' },
      ],
    };
    const key = await quarantine(store, batch);
    expect(key).toBe('quarantine/dt=2026-11-23/b-1/invalid-event.json');
    expect(written).toHaveLength(1);
    const body = written[0]?.[1] ?? '';
    expect(body).toContain(`"event":${source}`);
    expect(JSON.parse(body)).toEqual({
      reason: 'invalid-event',
      batchId: 'b-1',
      receivedAt: '2026-11-23T12:00:00.000Z',
      query: '',
      items: [
        { index: 3, event: 42, error: 'event is not an object' },
        { index: 5, event: { event_type: 7, n: 1.5 }, error: 'event has no string event_type' },
      ],
    });
  });

  it('embeds an event nested far deeper than JSON.stringify could walk', () => {
    const depth = 200_000;
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = quarantineBody({
      reason: 'invalid-event',
      batchId: 'b',
      receivedAt: '2026-11-23T12:00:00.000Z',
      query: '',
      items: [{ index: 0, eventText: deep, error: 'too deep' }],
    });
    expect(body.endsWith(`"event":${deep}}]}`)).toBe(true);
  });
});
