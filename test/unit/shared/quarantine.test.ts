import { describe, expect, it } from 'vitest';
import {
  type ObjectStorePort,
  quarantine,
  quarantineKey,
  safeKeySegment,
} from '../../../lambdas/shared/quarantine';

describe('quarantine keys', () => {
  it('partitions by UTC date and batch', () => {
    expect(quarantineKey(new Date('2026-01-02T23:59:59Z'), 'b-1', 'invalid-event', 7)).toBe(
      'quarantine/dt=2026-01-02/b-1/invalid-event-7.json',
    );
  });

  it('keeps key segments free of slashes and odd characters', () => {
    expect(safeKeySegment('../a b/c?')).toBe('.._a_b_c_');
    expect(safeKeySegment('')).toBe('_');
  });
});

describe('quarantine', () => {
  it('writes the record as JSON under its key', async () => {
    const written: [string, string][] = [];
    const store: ObjectStorePort = {
      bucket: 'b',
      putObject: async (key, body) => void written.push([key, body]),
    };
    const record = {
      reason: 'invalid-event' as const,
      batchId: 'b-1',
      receivedAt: '2026-11-23T12:00:00.000Z',
      query: '',
      index: 3,
      event: 42,
      error: 'event is not an object',
    };
    const key = await quarantine(store, record);
    expect(key).toBe('quarantine/dt=2026-11-23/b-1/invalid-event-3.json');
    expect(written).toEqual([[key, JSON.stringify(record)]]);
  });
});
