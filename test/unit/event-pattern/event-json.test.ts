import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toEventBridgeEvent } from '#local/event-pattern/envelope';
import {
  eventNumber,
  isLosslessNumber,
  parseEventJson,
  stringifyEventJson,
} from '#local/event-pattern/event-json';

describe('parseEventJson and stringifyEventJson', () => {
  it('keeps the text of every number JSON.parse would change, and writes it back unchanged', () => {
    // Prepare
    const text =
      '{"id":1234567890123456789,"price":1.0,"big":1e2,"zero":-0,"plain":42,"list":[0.1,9007199254740993]}';

    // Act
    const parsed = parseEventJson(text) as Record<string, unknown>;

    // Assess
    expect(stringifyEventJson(parsed)).toBe(text);
    expect(isLosslessNumber(parsed.id)).toBe(true);
    expect(parsed.plain).toBe(42);
    expect(eventNumber(parsed.id)).toEqual({
      text: '1234567890123456789',
      value: Number('1234567890123456789'),
    });
  });

  it('gives plain values for text without such numbers, as JSON.parse does', () => {
    const text = '{"a":"x","b":[1,2.5,-3],"c":null,"d":true,"e":"1234567890123456789"}';

    expect(parseEventJson(text)).toEqual(JSON.parse(text));
  });

  it('round-trips any JSON text of integers, whatever their size', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })), (integers) => {
        const text = `{"n":[${integers.join(',')}]}`;

        expect(stringifyEventJson(parseEventJson(text))).toBe(text);
      }),
    );
  });

  it('keeps the last of repeated keys, as JSON.parse does', () => {
    expect(parseEventJson('{"a":1,"a":2}')).toEqual({ a: 2 });
  });

  it('refuses text that is not JSON with a SyntaxError', () => {
    expect(() => parseEventJson('{"a":')).toThrow(SyntaxError);
  });
});

describe('toEventBridgeEvent', () => {
  it('keeps big integers of Detail exactly', () => {
    // Act
    const event = toEventBridgeEvent({
      Source: 'braze.currents',
      DetailType: 'x',
      Detail: '{"user_id":1234567890123456789}',
    });

    // Assess
    expect(stringifyEventJson(event)).toContain('"detail":{"user_id":1234567890123456789}');
  });
});
