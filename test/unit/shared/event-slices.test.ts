import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sliceEvents } from '#lambdas/shared/event-slices';

describe('sliceEvents', () => {
  it('returns the exact source text of each event, blanks and number spelling included', () => {
    const text =
      ' {\n "events" : [ {"a": 1.0, "b":"x\\"]}"} ,\n  12345678901234567890 , "s" ,[ ] , {} ,true ] } ';
    expect(sliceEvents(text)).toEqual([
      '{"a": 1.0, "b":"x\\"]}"}',
      '12345678901234567890',
      '"s"',
      '[ ]',
      '{}',
      'true',
    ]);
  });

  it('takes the last events key, as JSON.parse does, and unescapes keys', () => {
    expect(sliceEvents('{"events":[1],"other":{"events":[9]},"\\u0065vents":[2,3]}')).toEqual(['2', '3']);
  });

  it('handles strings ending in escaped backslashes', () => {
    expect(sliceEvents('{"events":[{"p":"a\\\\"},"\\\\\\""]}')).toEqual(['{"p":"a\\\\"}', '"\\\\\\""']);
  });

  it('returns undefined when there is no events array', () => {
    expect(sliceEvents('{"events":{}}')).toBeUndefined();
    expect(sliceEvents('{"data":[]}')).toBeUndefined();
    expect(sliceEvents('[1]')).toBeUndefined();
    expect(sliceEvents('{}')).toBeUndefined();
  });

  it('gives JSON.stringify of each event for a JSON.stringify-ed body, whatever the events', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), fc.jsonValue(), (events, other) => {
        const body = JSON.stringify({ before: other, events, after: other });
        expect(sliceEvents(body)).toEqual(events.map((event) => JSON.stringify(event)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives text that parses back to each event for an indented body', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 10 }), (events) => {
        const slices = sliceEvents(JSON.stringify({ events }, null, 2)) ?? [];
        expect(slices.map((slice) => JSON.parse(slice))).toEqual(JSON.parse(JSON.stringify(events)));
      }),
      { numRuns: 200 },
    );
  });
});
