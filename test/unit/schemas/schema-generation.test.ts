/**
 * The schema generator: one JSON Schema draft 4 per event type, describing the whole EventBridge
 * event as the receiver publishes it, checked with a real draft-4 validator against events wrapped
 * exactly as they reach a rule (the receiver's entry builder, then EventBridge's envelope).
 */
import { describe, expect, it } from 'vitest';
import { toPointer } from '#lambdas/receiver/claim-check';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { prepareEvents } from '#lambdas/shared/entries';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { DRAFT_04, eventSchema, registrySchemas, schemaName } from '#lib/constructs/schema-registry-schemas';
import { EventFactory } from '#local/event-factory';
import { toEventBridgeEvent } from '#local/event-pattern/index';
import { draft04Validator } from './validator';

const validator = draft04Validator();
const factory = new EventFactory({ seed: 4, time: 1_767_225_600, optionalFill: 1 });

/** The event as a rule and its targets see it. */
function onTheBus(event: unknown, source = DEFAULT_EVENT_SOURCE, resources: string[] = []) {
  const { prepared } = prepareEvents([event], { source, resources, receivedAt: new Date() });
  const [item] = prepared;
  if (!item) throw new Error('not publishable');
  return { item, event: toEventBridgeEvent(item.entry) };
}

type Sections = Record<string, { required?: string[]; properties: Record<string, unknown> }>;

/** `detail.properties` of an event schema: the schemas of event_type, id, time, user, properties. */
function detailSections(schema: Record<string, unknown>): Sections {
  const properties = schema.properties as Record<string, { properties: Sections }> | undefined;
  return properties?.detail?.properties ?? {};
}

describe('registrySchemas', () => {
  it('makes one draft-4 schema per Custom HTTP event type, named <source>@<event_type>', () => {
    const schemas = registrySchemas('braze.currents');
    expect(schemas.map((entry) => entry.eventType)).toEqual([...BRAZE_EVENT_TYPES]);
    expect(schemas.every((entry) => entry.inCatalog)).toBe(true);
    expect(schemas.map((entry) => entry.schemaName)).toContain('braze.currents@users.behaviors.Purchase');
    expect(new Set(schemas.map((entry) => entry.schemaName)).size).toBe(96);
    for (const { schema } of schemas) expect(schema.$schema).toBe(DRAFT_04);
  });

  it('adds acknowledged extra types and fields, once each', () => {
    const schemas = registrySchemas('braze.currents', {
      eventTypes: [
        'users.messages.hologram.Beam',
        'users.messages.email.Open',
        'users.messages.hologram.Beam',
      ],
      eventFields: {
        'users.messages.email.Open': ['user.loyalty_tier', 'properties.ai_summary'],
        'users.messages.hologram.Beam': ['properties.beam_id'],
      },
    });
    expect(schemas).toHaveLength(97);
    const beam = schemas.find((entry) => entry.eventType === 'users.messages.hologram.Beam');
    expect(beam).toMatchObject({
      inCatalog: false,
      schemaName: 'braze.currents@users.messages.hologram.Beam',
    });
    const open = schemas.find((entry) => entry.eventType === 'users.messages.email.Open');
    const sections = detailSections(open?.schema ?? {});
    expect(Object.keys(sections.user?.properties ?? {})).toContain('loyalty_tier');
    expect(Object.keys(sections.properties?.properties ?? {})).toContain('ai_summary');
  });

  it('refuses a source that cannot be part of a schema name', () => {
    expect(() => schemaName('braze/currents', 'users.behaviors.Purchase')).toThrow(
      /not one EventBridge Schemas accepts/,
    );
    expect(() => registrySchemas('braze currents')).toThrow(/eventSource/);
  });
});

describe('an event type schema', () => {
  it('accepts a realistic event of every type, wrapped as the receiver publishes it', () => {
    for (const { eventType, schema } of registrySchemas(DEFAULT_EVENT_SOURCE)) {
      const { event } = onTheBus(factory.make(eventType), DEFAULT_EVENT_SOURCE, ['app_group=brand-a']);
      expect(validator.errors(schema, event), eventType).toEqual([]);
    }
  });

  it('carries the catalog types and required flags of the Braze fields', () => {
    const schema = eventSchema('users.behaviors.Purchase', DEFAULT_EVENT_SOURCE);
    const sections = detailSections(schema);
    const properties = sections.properties;
    expect(properties?.required).toEqual(expect.arrayContaining(['currency', 'price', 'product_id']));
    expect(properties?.properties.price).toEqual({ type: 'number' });
    expect(properties?.properties.ad_id).toEqual({ type: ['string', 'null'] });
    expect(sections.user?.properties.timezone).toEqual({ type: ['string', 'null'] });
  });

  it('rejects a missing required field, a wrongly typed field, another type or another source', () => {
    // Prepare
    const schema = eventSchema('users.behaviors.Purchase', DEFAULT_EVENT_SOURCE);
    const purchase = () => factory.make('users.behaviors.Purchase');
    const noCurrency = purchase();
    delete noCurrency.properties.currency;
    const textPrice = purchase();
    textPrice.properties.price = '12.34';
    // Act
    const errors = {
      noCurrency: validator.errors(schema, onTheBus(noCurrency).event),
      textPrice: validator.errors(schema, onTheBus(textPrice).event),
      otherType: validator.errors(schema, onTheBus(factory.make('users.behaviors.CustomEvent')).event),
      otherSource: validator.errors(schema, onTheBus(purchase(), 'other.source').event),
    };
    // Assess
    expect(errors.noCurrency.join()).toMatch(/\/detail\/properties must have required property 'currency'/);
    expect(errors.textPrice.join()).toMatch(/\/detail\/properties\/price must be number/);
    expect(errors.otherType.join()).toMatch(/\/detail-type must be equal to one of the allowed values/);
    expect(errors.otherSource.join()).toMatch(/\/source must be equal to one of the allowed values/);
  });

  it('allows fields it does not know, and null in optional fields', () => {
    const schema = eventSchema('users.behaviors.Purchase', DEFAULT_EVENT_SOURCE);
    const event = factory.make('users.behaviors.Purchase', { brand_new_top_level: [1] });
    event.user.loyalty_tier = 'gold';
    event.properties.ad_id = null;
    event.properties.new_nested = { a: 1 };
    expect(validator.errors(schema, onTheBus(event).event)).toEqual([]);
  });

  it('accepts the claim-check pointer published for an oversized event, and nothing half-way', () => {
    // Prepare
    const schema = eventSchema('users.behaviors.CustomEvent', DEFAULT_EVENT_SOURCE);
    const { item } = onTheBus(factory.make('users.behaviors.CustomEvent'));
    const pointer = toPointer(item, 'archive-bucket', 'claim-check/dt=2026-11-30/x.json');
    const broken = { ...JSON.parse(pointer.entry.Detail), currents_bridge_claim_check: { bucket: 'b' } };
    const bare = { event_type: 'users.behaviors.CustomEvent', id: 'x' };
    // Act
    const pointerErrors = validator.errors(schema, toEventBridgeEvent(pointer.entry));
    const brokenErrors = validator.errors(schema, onTheBus(broken).event);
    const bareErrors = validator.errors(schema, onTheBus(bare).event);
    // Assess
    expect(JSON.parse(pointer.entry.Detail)).toHaveProperty('currents_bridge_claim_check.key');
    expect(pointerErrors).toEqual([]);
    expect(brokenErrors.join()).toMatch(/must have required property 'key'/);
    expect(bareErrors.join()).toMatch(/must match a schema in anyOf/);
  });
});
