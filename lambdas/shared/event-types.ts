import { EVENT_CATALOG } from './event-catalog';
import { KNOWN_EVENT_TYPE_NAMES } from './event-type-names';

/** One Braze Currents event type as the catalog knows it. */
export type CatalogEntry = (typeof EVENT_CATALOG)[number];

/** Every event type the project knows, including the one that is storage-only. */
export type KnownEventType = CatalogEntry['eventType'];

/** The event types a Custom HTTP connector can send (96 of them). */
export type BrazeEventType = Extract<CatalogEntry, { customHttp: true }>['eventType'];

export type EventCategory = CatalogEntry['category'];

type FamiliesOf<S extends string> = S extends `${infer Head}.${infer Rest}`
  ? `${Head}.*` | `${Head}.${FamiliesOf<Rest>}`
  : never;

/** A family of event types, written as a dotted prefix and `*`, e.g. `users.messages.email.*`. */
export type EventTypeFamily = FamiliesOf<BrazeEventType>;

/**
 * What a consumer can select: a known event type, a family of them, or any other string, because
 * Braze adds event types with little notice (`string & {}` keeps the known names in autocomplete).
 */
export type EventTypeSelector = BrazeEventType | EventTypeFamily | (string & {});

export type FieldType = 'string' | 'boolean' | 'int' | 'long' | 'float' | 'object' | 'array<string>';

export interface FieldSpec {
  name: string;
  type: FieldType;
  required: boolean;
}

// The `@__PURE__` marks let esbuild drop the catalog from a bundle that uses none of it: the
// receiver needs only `isKnownEventType`, which reads the generated list of names.
const byType = /* @__PURE__ */ new Map<string, CatalogEntry>(
  /* @__PURE__ */ EVENT_CATALOG.map((entry) => [entry.eventType, entry]),
);
const knownNames: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPE_NAMES);

/** The 96 event types a Custom HTTP connector sends. */
export const BRAZE_EVENT_TYPES: readonly BrazeEventType[] = /* @__PURE__ */ EVENT_CATALOG.filter(
  (entry): entry is Extract<CatalogEntry, { customHttp: true }> => entry.customHttp,
).map((entry) => entry.eventType);

/** Whether the catalog knows `eventType` (the 96 a connector sends, or a storage-only one). */
export function isKnownEventType(eventType: string): eventType is KnownEventType {
  return knownNames.has(eventType);
}

export function catalogEntry(eventType: string): CatalogEntry | undefined {
  return byType.get(eventType);
}

/** Parses a catalog field spec such as `'canvas_id?: string'`. */
export function parseFieldSpec(spec: string): FieldSpec {
  const match = /^([^?:]+)(\?)?: (.+)$/.exec(spec);
  if (!match?.[1] || !match[3]) {
    throw new Error(`malformed field spec in the event catalog: ${spec}`);
  }
  return { name: match[1], required: match[2] !== '?', type: match[3] as FieldType };
}

export function propertyFields(eventType: string): FieldSpec[] {
  return (catalogEntry(eventType)?.properties ?? []).map(parseFieldSpec);
}

export function userFields(eventType: string): FieldSpec[] {
  return (catalogEntry(eventType)?.user ?? []).map(parseFieldSpec);
}

/** Whether a selector names a family (`users.messages.email.*`) rather than one event type. */
export function isFamily(selector: string): boolean {
  return selector.endsWith('.*');
}

/** The prefix a family selects: `users.messages.email.*` → `users.messages.email.`. */
export function familyPrefix(selector: string): string {
  return selector.slice(0, -1);
}

/** Whether an event type is selected by an exact name or a family. */
export function selects(selector: string, eventType: string): boolean {
  return isFamily(selector) ? eventType.startsWith(familyPrefix(selector)) : selector === eventType;
}
