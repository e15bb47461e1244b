import { describe, expect, it } from 'vitest';
import { type BusEntry, entrySize } from '#lambdas/shared/bus-entry';
import { chunkBySize, chunkForPutEvents } from '#lambdas/shared/chunking';

const entry = (detail: string, resources?: string[]): BusEntry => ({
  Source: 'braze.currents',
  DetailType: 'users.behaviors.Purchase',
  Detail: detail,
  Time: new Date(0),
  ...(resources ? { Resources: resources } : {}),
});

describe('entrySize', () => {
  it('counts 14 for Time plus the UTF-8 bytes of Source, DetailType, Detail and each Resource', () => {
    const sized = entry('{"a":"é"}', ['app_group=brand-a', 'x=ü']);
    const expected = 14 + 14 + 24 + Buffer.byteLength('{"a":"é"}') + 17 + 4;
    expect(entrySize(sized)).toBe(expected);
  });
});

describe('chunkBySize', () => {
  const bySelf = (n: number) => n;

  it('keeps order and puts at most maxItems in a chunk', () => {
    const items = Array.from({ length: 23 }, (_, i) => i);
    const chunks = chunkBySize(items, () => 1, { maxItems: 10, maxBytes: 1000 });
    expect(chunks.map((chunk) => chunk.length)).toEqual([10, 10, 3]);
    expect(chunks.flat()).toEqual(items);
  });

  it('closes a chunk before it would exceed maxBytes, and allows exactly maxBytes', () => {
    expect(chunkBySize([40, 60, 1], bySelf, { maxItems: 10, maxBytes: 100 })).toEqual([[40, 60], [1]]);
    expect(chunkBySize([40, 61], bySelf, { maxItems: 10, maxBytes: 100 })).toEqual([[40], [61]]);
  });

  it('gives an item larger than maxBytes a chunk of its own', () => {
    expect(chunkBySize([5, 500, 5], bySelf, { maxItems: 10, maxBytes: 100 })).toEqual([[5], [500], [5]]);
  });

  it('returns no chunks for no items', () => {
    expect(chunkBySize([], bySelf, { maxItems: 10, maxBytes: 100 })).toEqual([]);
  });
});

describe('chunkForPutEvents', () => {
  it('splits at 10 entries', () => {
    const items = Array.from({ length: 21 }, () => ({ bytes: 100 }));
    expect(chunkForPutEvents(items).map((chunk) => chunk.length)).toEqual([10, 10, 1]);
  });

  it('splits at 1 MiB: exactly 1 MiB fits, one byte more does not', () => {
    const half = 512 * 1024;
    expect(chunkForPutEvents([{ bytes: half }, { bytes: half }]).length).toBe(1);
    expect(chunkForPutEvents([{ bytes: half }, { bytes: half + 1 }]).length).toBe(2);
  });
});
