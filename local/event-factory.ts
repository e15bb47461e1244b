/**
 * Makes realistic Braze Currents events of any type from the project's event catalog: the
 * Custom HTTP shape (`event_type`, `id`, `time`, `user`, `properties`), every required field,
 * most optional ones, values shaped like Braze's (24-hex user ids, UUIDs, epoch seconds, JSON
 * strings where Braze sends JSON strings). Used by the simulator, the benchmarks and the tests.
 */
import { randomUUID } from 'node:crypto';
import {
  BRAZE_EVENT_TYPES,
  type FieldSpec,
  isFamily,
  isKnownEventType,
  propertyFields,
  selects,
  userFields,
} from '#lambdas/shared/event-types';

export interface BrazeEvent {
  event_type: string;
  id: string;
  time: number;
  user: Record<string, unknown>;
  properties: Record<string, unknown>;
  [field: string]: unknown;
}

export interface EventFactoryOptions {
  /** Seed for repeatable values; ids stay unique unless `idPrefix` makes them repeatable too. */
  seed?: number;
  /** Epoch seconds for `time`; default now. */
  time?: number;
  /** Share of optional fields that are filled, 0..1; default 0.8. */
  optionalFill?: number;
}

/** A small, fast, seedable PRNG (mulberry32): fixtures must be reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLATFORMS = ['ios', 'android', 'web', 'kindle', 'roku'];
const TIMEZONES = ['America/Chicago', 'Europe/Berlin', 'Asia/Tokyo', 'America/New_York', 'UTC'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'AED'];
/** Properties Braze sends as strings that contain JSON. */
const JSON_STRING_FIELDS = new Set([
  'message_extras',
  'conversion_behavior',
  'tool_arguments',
  'custom_attributes',
  'flow_response_json',
]);

export class EventFactory {
  private readonly random: () => number;
  private readonly time: number | undefined;
  private readonly optionalFill: number;

  constructor(options: EventFactoryOptions = {}) {
    this.random = seededRandom(options.seed ?? Date.now());
    this.time = options.time;
    this.optionalFill = options.optionalFill ?? 0.8;
  }

  /** One event of the given type; unknown types get a plausible generic shape. */
  make(eventType: string, overrides: Partial<BrazeEvent> = {}): BrazeEvent {
    return {
      event_type: eventType,
      id: randomUUID(),
      time: this.time ?? Math.floor(Date.now() / 1000),
      // A known type gets exactly its catalog fields (agentconsole.ToolInvocation's user is `{}`).
      user: isKnownEventType(eventType) ? this.fill(userFields(eventType)) : this.fill(defaultUserFields),
      properties: this.fill(propertyFields(eventType)),
      ...overrides,
    };
  }

  /** `count` events cycling through the given types (default: all 96), in a shuffled order. */
  many(count: number, types: readonly string[] = BRAZE_EVENT_TYPES): BrazeEvent[] {
    const events: BrazeEvent[] = [];
    for (let i = 0; i < count; i++) {
      events.push(this.make(types[i % types.length] as string));
    }
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [events[i], events[j]] = [events[j] as BrazeEvent, events[i] as BrazeEvent];
    }
    return events;
  }

  private fill(fields: FieldSpec[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      if (field.required || this.random() < this.optionalFill) {
        out[field.name] = this.value(field);
      }
    }
    return out;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)] as T;
  }

  private hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  private int(max: number): number {
    return Math.floor(this.random() * max);
  }

  private value(field: FieldSpec): unknown {
    const { name, type } = field;
    switch (type) {
      case 'boolean':
        return this.random() < 0.5;
      case 'int':
      case 'long':
        if (name === 'time_ms') return Date.now() - this.int(60_000);
        return this.int(name === 'duration' ? 30_000 : 1000);
      case 'float':
        if (name === 'latitude') return Math.round((this.random() * 180 - 90) * 1e6) / 1e6;
        if (name === 'longitude') return Math.round((this.random() * 360 - 180) * 1e6) / 1e6;
        return Math.round(this.random() * 100_000) / 100;
      case 'object':
        return {
          stringProperty: `value-${this.hex(4)}`,
          numberProperty: this.int(100),
          listProperty: ['a', 'b'],
        };
      case 'array<string>':
        return [`${name}-${this.hex(4)}`];
      default:
        return this.stringValue(name);
    }
  }

  private stringValue(name: string): string {
    if (JSON_STRING_FIELDS.has(name)) return JSON.stringify({ key: `value-${this.hex(6)}`, n: this.int(10) });
    if (name === 'user_id') return this.hex(24);
    if (name === 'email_address' || name === 'from_address' || name === 'to_address')
      return `user-${this.hex(8)}@example.com`;
    if (name === 'timezone') return this.pick(TIMEZONES);
    if (name === 'platform') return this.pick(PLATFORMS);
    if (name === 'currency') return this.pick(CURRENCIES);
    if (name === 'machine_open') return this.random() < 0.5 ? 'true' : 'false';
    if (name.endsWith('phone_number')) return `+1555${String(this.int(10_000_000)).padStart(7, '0')}`;
    if (name === 'url' || name.endsWith('_url')) return `https://example.com/${this.hex(8)}`;
    if (name.endsWith('_id') || name === 'id') return randomUUID();
    if (name.endsWith('_name')) return `${name.replace(/_name$/, '')} ${this.hex(4)}`;
    return `${name}-${this.hex(6)}`;
  }
}

const defaultUserFields: FieldSpec[] = [
  { name: 'user_id', type: 'string', required: true },
  { name: 'external_user_id', type: 'string', required: false },
];

/** The Custom HTTP request body Braze posts. */
export function batchBody(events: readonly unknown[]): string {
  return JSON.stringify({ events });
}

/** Expands selectors (exact types or families) to the known event types they select. */
export function expandSelectors(selectors: readonly string[]): string[] {
  return selectors.flatMap((selector) =>
    isFamily(selector) ? BRAZE_EVENT_TYPES.filter((t) => selects(selector, t)) : [selector],
  );
}
