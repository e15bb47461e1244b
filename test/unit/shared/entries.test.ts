import { describe, expect, it } from 'vitest';
import { entrySize } from '#lambdas/shared/bus-entry';
import { brazeTime, prepareEvents, resourcesFromQuery } from '#lambdas/shared/entries';

const receivedAt = new Date('2026-11-23T12:00:00Z');
const context = { source: 'braze.currents', resources: [], receivedAt };

describe('brazeTime', () => {
  it.each([
    [1_477_502_783, 1_477_502_783],
    [0, 0],
    [1.5, 1.5],
    [-1, undefined],
    ['1477502783', undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [1e13, undefined],
    [null, undefined],
  ])('%o → %o', (value, expected) => {
    expect(brazeTime(value)).toBe(expected);
  });
});

describe('resourcesFromQuery', () => {
  it('keeps one key=value per parameter, percent-decoded, in order', () => {
    expect(resourcesFromQuery('app_group=brand-a&x=1&x=2&flag')).toEqual([
      'app_group=brand-a',
      'x=1',
      'x=2',
      'flag=',
    ]);
    expect(resourcesFromQuery('name=a%20b')).toEqual(['name=a b']);
    expect(resourcesFromQuery('')).toEqual([]);
    expect(resourcesFromQuery(undefined)).toEqual([]);
  });
});

describe('prepareEvents', () => {
  it('builds verbatim entries, keeping key order and unknown fields, with sizes EventBridge would count', () => {
    const event = { time: 1_700_000_000, event_type: 'x.New', id: '1', z: { b: 1, a: [true, null] } };
    const { prepared, invalid } = prepareEvents([event], { ...context, resources: ['app_group=a'] });
    expect(invalid).toEqual([]);
    const [first] = prepared;
    expect(first?.entry).toEqual({
      Source: 'braze.currents',
      DetailType: 'x.New',
      Detail: '{"time":1700000000,"event_type":"x.New","id":"1","z":{"b":1,"a":[true,null]}}',
      Time: new Date(1_700_000_000_000),
      Resources: ['app_group=a'],
    });
    expect(first?.bytes).toBe(entrySize(first?.entry ?? ({} as never)));
    expect(first?.brazeTime).toBe(1_700_000_000);
  });

  it('uses the receive time when time is not valid', () => {
    const { prepared } = prepareEvents([{ event_type: 'a', time: 'soon' }], context);
    expect(prepared[0]?.entry.Time).toEqual(receivedAt);
    expect(prepared[0]?.brazeTime).toBeUndefined();
  });

  it('sets aside what cannot be an entry, with its index and why', () => {
    const { prepared, invalid } = prepareEvents(
      [
        [],
        'x',
        null,
        { event_type: 1 },
        {},
        { event_type: '' },
        { event_type: 'y'.repeat(129) },
        { event_type: 'ok' },
      ],
      context,
    );
    expect(prepared.map((item) => item.index)).toEqual([7]);
    expect(invalid.map((item) => item.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(invalid[5]?.error).toMatch(/1 to 128/);
  });
});
