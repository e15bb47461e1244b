import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '#lambdas/shared/event-catalog';
import { KNOWN_EVENT_FIELDS, KNOWN_EVENT_TYPE_NAMES } from '#lambdas/shared/event-type-names';
import {
  BRAZE_EVENT_TYPES,
  catalogEntry,
  isKnownEventType,
  parseFieldSpec,
  propertyFields,
  selects,
} from '#lambdas/shared/event-types';
import { EventFactory, expandSelectors } from '#local/event-factory';

describe('event catalog', () => {
  it('lists the 96 event types a Custom HTTP connector sends, each once', () => {
    expect(BRAZE_EVENT_TYPES).toHaveLength(96);
    expect(new Set(BRAZE_EVENT_TYPES).size).toBe(96);
    expect(BRAZE_EVENT_TYPES).not.toContain('users.RandomBucketNumberUpdate');
    expect(isKnownEventType('users.RandomBucketNumberUpdate')).toBe(true);
  });

  it('the names list the receiver reads is the catalog, name for name', () => {
    expect(KNOWN_EVENT_TYPE_NAMES).toEqual(EVENT_CATALOG.map((entry) => entry.eventType));
    expect(isKnownEventType('users.messages.email.Send')).toBe(true);
    expect(isKnownEventType('users.messages.email.Sent')).toBe(false);
  });

  it("the field names the receiver reads are the catalog's, field for field", () => {
    const names = (specs: readonly string[]) => specs.map((spec) => parseFieldSpec(spec).name).join(' ');
    expect(KNOWN_EVENT_FIELDS).toEqual(
      EVENT_CATALOG.map((entry) => [entry.eventType, names(entry.user), names(entry.properties)]),
    );
    expect(KNOWN_EVENT_FIELDS.some(([, user]) => user === '')).toBe(true);
    // The lists are space-separated: a name with a space would split in two.
    const allNames = EVENT_CATALOG.flatMap((entry) => [...entry.user, ...entry.properties]).map(
      (spec) => parseFieldSpec(spec).name,
    );
    expect(allNames.filter((name) => /\s/.test(name))).toEqual([]);
  });

  it('knows the category and required fields of an event type', () => {
    expect(catalogEntry('users.behaviors.Purchase')?.category).toBe('customer_behavior');
    const required = propertyFields('users.behaviors.Purchase')
      .filter((f) => f.required)
      .map((f) => f.name);
    expect(required).toEqual(expect.arrayContaining(['currency', 'price', 'product_id']));
  });

  it('parses field specs and rejects malformed ones', () => {
    expect(parseFieldSpec('canvas_id?: string')).toEqual({
      name: 'canvas_id',
      type: 'string',
      required: false,
    });
    expect(parseFieldSpec('price: float')).toEqual({ name: 'price', type: 'float', required: true });
    expect(() => parseFieldSpec('nonsense')).toThrow(/malformed/);
  });

  it('every field spec in the catalog parses', () => {
    for (const entry of EVENT_CATALOG) {
      for (const spec of [...entry.properties, ...entry.user]) {
        expect(() => parseFieldSpec(spec)).not.toThrow();
      }
    }
  });

  it('selects exact types and families', () => {
    expect(selects('users.messages.email.*', 'users.messages.email.Open')).toBe(true);
    expect(selects('users.messages.email.*', 'users.messages.emailx.Open')).toBe(false);
    expect(selects('users.messages.email.Open', 'users.messages.email.Open')).toBe(true);
    expect(selects('users.messages.email.Open', 'users.messages.email.OpenX')).toBe(false);
    expect(expandSelectors(['users.messages.email.*'])).toHaveLength(11);
  });
});

describe('event factory', () => {
  it('makes events with every required field, unique ids and the Custom HTTP shape', () => {
    const factory = new EventFactory({ seed: 7, optionalFill: 0 });
    const purchase = factory.make('users.behaviors.Purchase');
    expect(Object.keys(purchase).sort()).toEqual(['event_type', 'id', 'properties', 'time', 'user']);
    expect(purchase.properties).toMatchObject({
      currency: expect.any(String),
      price: expect.any(Number),
      product_id: expect.any(String),
    });
    expect(factory.make('users.behaviors.Purchase').id).not.toBe(purchase.id);
  });

  it('covers all 96 types and is reproducible from a seed', () => {
    const events = new EventFactory({ seed: 1, time: 1_700_000_000 }).many(192);
    expect(new Set(events.map((e) => e.event_type)).size).toBe(96);
    const again = new EventFactory({ seed: 1, time: 1_700_000_000 }).many(192);
    expect(again.map((e) => e.event_type)).toEqual(events.map((e) => e.event_type));
    expect(again.map((e) => Object.keys(e.properties))).toEqual(events.map((e) => Object.keys(e.properties)));
  });

  it('shapes values like Braze does', () => {
    const factory = new EventFactory({ seed: 3, optionalFill: 1 });
    const open = factory.make('users.messages.email.Open');
    expect(open.user.user_id).toMatch(/^[0-9a-f]{24}$/);
    expect(open.properties.email_address).toMatch(/@example\.com$/);
    expect(Number.isInteger(open.time)).toBe(true);
  });
});
