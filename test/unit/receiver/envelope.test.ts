import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '#lambdas/receiver/envelope';

describe('parseEnvelope', () => {
  it.each(['', '   \n', '{}', '{"events":[]}'])('%j carries no events', (text) => {
    expect(parseEnvelope(text)).toMatchObject({ kind: 'events', events: [] });
  });

  it('returns the events array as parsed, whatever its elements', () => {
    expect(parseEnvelope('{"events":[1,{"event_type":"a"},null],"extra":true}')).toEqual({
      kind: 'events',
      events: [1, { event_type: 'a' }, null],
      texts: ['1', '{"event_type":"a"}', 'null'],
      shapes: [
        { depth: 0, longDigitRun: false },
        { depth: 1, longDigitRun: false },
        { depth: 0, longDigitRun: false },
      ],
    });
  });

  it.each(['{', 'null', '[]', '7', '"x"', '{"events":{}}', '{"events":"[]"}', '{"other":[]}'])(
    '%j is invalid',
    (text) => {
      expect(parseEnvelope(text)).toMatchObject({ kind: 'invalid', message: expect.any(String) });
    },
  );
});
