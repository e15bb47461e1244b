/**
 * How a pattern's shape meets an event's shape: fields AND-ed, nested objects, dot-joined paths,
 * arrays (of values and of objects), `$or`, and the envelope fields of a real delivery.
 */
import { describe, expect, it } from 'vitest';
import { compileEventPattern, testEventPattern, toEventBridgeEvent } from '#local/event-pattern/index';

const purchase = toEventBridgeEvent(
  {
    Source: 'braze.currents',
    DetailType: 'users.behaviors.Purchase',
    Detail: JSON.stringify({
      event_type: 'users.behaviors.Purchase',
      id: 'a1',
      time: 1_700_000_000,
      user: { user_id: '5f0c1a2b3c4d5e6f7a8b9c0d', external_user_id: null },
      properties: { product_id: 'sku-1', price: 19.99, currency: 'USD', tags: ['gift', 'promo'] },
    }),
    Resources: ['app_group=brand-a'],
  },
  { id: 'evt-1', now: new Date('2026-11-23T16:00:00.500Z') },
);

describe('fields', () => {
  it('requires every field of the pattern (AND)', () => {
    const both = { source: ['braze.currents'], 'detail-type': ['users.behaviors.Purchase'] };
    const oneWrong = { source: ['braze.currents'], 'detail-type': ['users.behaviors.CustomEvent'] };

    expect(testEventPattern(both, purchase)).toBe(true);
    expect(testEventPattern(oneWrong, purchase)).toBe(false);
  });

  it('follows nested objects into the detail', () => {
    const pattern = { detail: { properties: { currency: ['USD'], price: [{ numeric: ['>', 10] }] } } };

    expect(testEventPattern(pattern, purchase)).toBe(true);
    expect(testEventPattern({ detail: { properties: { currency: ['EUR'] } } }, purchase)).toBe(false);
  });

  it('compares field names case-sensitively', () => {
    expect(testEventPattern({ Source: ['braze.currents'] }, purchase)).toBe(false);
  });

  it('matches envelope fields: resources, account, region, time', () => {
    expect(testEventPattern({ resources: ['app_group=brand-a'] }, purchase)).toBe(true);
    expect(testEventPattern({ account: ['000000000000'], region: ['us-east-1'] }, purchase)).toBe(true);
    expect(testEventPattern({ time: [{ prefix: '2023-11-14' }] }, purchase)).toBe(false);
  });

  it('treats a dotted key and the nested path it names as the same field, both ways', () => {
    expect(testEventPattern({ detail: { 'user.user_id': [{ exists: true }] } }, purchase)).toBe(true);
    expect(testEventPattern({ a: { b: ['x'] } }, { 'a.b': 'x' })).toBe(true);
    expect(testEventPattern({ a: { b: ['x'] } }, { 'a.b': { b: 'x' } })).toBe(false);
  });

  it('finds a field however its path is split between dotted and nested keys', () => {
    const pattern = { detail: { properties: { price: [{ numeric: ['>', 10] }] } } };

    expect(testEventPattern(pattern, { 'detail.properties': { price: 20 } })).toBe(true);
    expect(testEventPattern(pattern, { detail: { 'properties.price': 20 } })).toBe(true);
    expect(testEventPattern(pattern, { 'detail.properties.price': 5 })).toBe(false);
  });

  it('does not look inside JSON text: a detail that is a string has no fields', () => {
    expect(testEventPattern({ detail: { k: ['v'] } }, { detail: '{"k":"v"}' })).toBe(false);
  });

  it('does not match a pattern on an object against a value', () => {
    expect(testEventPattern({ detail: { user: { x: ['y'] } } }, { detail: { user: 'x' } })).toBe(false);
  });
});

describe('arrays in the event', () => {
  it('matches a value inside an array of values', () => {
    expect(testEventPattern({ detail: { properties: { tags: ['promo'] } } }, purchase)).toBe(true);
  });

  it('reaches fields of objects inside arrays', () => {
    const event = { detail: { items: [{ sku: 'a' }, { sku: 'b', qty: 2 }] } };

    expect(testEventPattern({ detail: { items: { sku: ['b'] } } }, event)).toBe(true);
    expect(testEventPattern({ detail: { items: { qty: [{ exists: true }] } } }, event)).toBe(true);
  });

  it('takes two fields of one array from the same element', () => {
    const event = {
      items: [
        { sku: 'a', qty: 2 },
        { sku: 'b', qty: 1 },
      ],
    };

    expect(testEventPattern({ items: { sku: ['a'], qty: [2] } }, event)).toBe(true);
    expect(testEventPattern({ items: { sku: ['a'], qty: [1] } }, event)).toBe(false);
  });

  it('keeps elements of nested arrays together, and leaves other arrays free', () => {
    const event = {
      orders: [{ lines: [{ sku: 'a', qty: 1 }] }, { lines: [{ sku: 'b', qty: 5 }] }],
      tags: ['x', 'y'],
    };

    expect(testEventPattern({ orders: { lines: { sku: ['b'], qty: [5] } }, tags: ['y'] }, event)).toBe(true);
    expect(testEventPattern({ orders: { lines: { sku: ['a'], qty: [5] } } }, event)).toBe(false);
  });
});

// Arrays mixing scalars and objects have no case in the service-validated corpus. event-ruler's
// Event.traverseArray ties an object or array element to its position in the array, but adds a
// scalar element with no position in it
// (https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/Event.java).
describe('arrays mixing values and objects, as event-ruler reads them', () => {
  const event = { detail: { a: [1, { b: 2 }, { b: 3, c: 'x' }] } };

  it('matches a value of the array and a field of an object beside it', () => {
    expect(testEventPattern({ detail: { a: [1], 'a.b': [2] } }, event)).toBe(true);
  });

  it('matches a scalar element on its own and a field of an object element on its own', () => {
    expect(testEventPattern({ detail: { a: [1] } }, event)).toBe(true);
    expect(testEventPattern({ detail: { a: { c: ['x'] } } }, event)).toBe(true);
  });

  it('still takes two fields of objects from the same element', () => {
    expect(testEventPattern({ detail: { a: { b: [3], c: ['x'] } } }, event)).toBe(true);
    expect(testEventPattern({ detail: { a: { b: [2], c: ['x'] } } }, event)).toBe(false);
  });

  it('keeps a nested array tied to its position, and its scalars free within it', () => {
    const nested = { detail: { a: [[7, { d: 1 }], { e: 2 }] } };

    expect(testEventPattern({ detail: { a: [7], 'a.d': [1] } }, nested)).toBe(true);
    expect(testEventPattern({ detail: { 'a.d': [1], 'a.e': [2] } }, nested)).toBe(false);
  });
});

describe('exists: false inside arrays', () => {
  const pattern = { items: { sku: ['a'], zpromo: [{ exists: false }] } };

  it('counts a field as absent when only another element of the array has it', () => {
    expect(testEventPattern(pattern, { items: [{ sku: 'a' }, { sku: 'b', zpromo: 1 }] })).toBe(true);
  });

  it('counts a field as present when the chosen element has it', () => {
    expect(testEventPattern(pattern, { items: [{ sku: 'a', zpromo: 1 }] })).toBe(false);
  });
});

describe('$or', () => {
  const pattern = {
    source: ['braze.currents'],
    $or: [
      { 'detail-type': [{ prefix: 'users.messages.' }] },
      { detail: { properties: { price: [{ numeric: ['>=', 10] }] } } },
    ],
  };

  it('matches when any alternative matches, together with the fields outside it', () => {
    expect(testEventPattern(pattern, purchase)).toBe(true);
  });

  it('does not match when no alternative does', () => {
    const cheap = { ...purchase, detail: { properties: { price: 1 } } };

    expect(testEventPattern(pattern, cheap)).toBe(false);
  });

  it('does not match when a field outside the alternatives fails', () => {
    expect(testEventPattern(pattern, { ...purchase, source: 'other' })).toBe(false);
  });

  it('can be nested and sit inside a nested object', () => {
    const nested = {
      detail: {
        $or: [
          { event_type: ['x'] },
          { $or: [{ id: ['nope'] }, { user: { user_id: [{ prefix: '5f0c' }] } }] },
        ],
      },
    };

    expect(testEventPattern(nested, purchase)).toBe(true);
  });
});

describe('compiled patterns', () => {
  it('match many events without being compiled again', () => {
    const rule = compileEventPattern({ 'detail-type': [{ prefix: 'users.messages.email.' }] });
    const types = ['users.messages.email.Send', 'users.messages.sms.Send', 'users.messages.email.Open'];

    const matched = types.filter((type) => rule.matches({ 'detail-type': type }));

    expect(matched).toEqual(['users.messages.email.Send', 'users.messages.email.Open']);
  });

  it('never match something that is not an event object', () => {
    const rule = compileEventPattern({ a: [{ exists: false }] });

    expect(rule.matches({})).toBe(true);
    expect(rule.matches(null)).toBe(false);
    expect(rule.matches('{}')).toBe(false);
    expect(rule.matches([])).toBe(false);
  });

  it('are not fooled by inherited properties', () => {
    const event = Object.create({ inherited: 'x' }) as Record<string, unknown>;

    expect(compileEventPattern({ inherited: ['x'] }).matches(event)).toBe(false);
  });
});
