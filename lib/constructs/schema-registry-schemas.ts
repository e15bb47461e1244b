/**
 * The JSON Schema (draft 4) of each Braze event type as it arrives on the bus: the whole
 * EventBridge event (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`,
 * `resources`, `detail`), with `detail` the Braze event and its fields, types and required flags
 * from the project's catalog. Generated at synth from the catalog and the acknowledged extras; the
 * schema registry holds one per type. Pure: no CDK, no I/O.
 *
 * - Unknown fields are allowed everywhere (`additionalProperties` true): Braze adds fields without
 *   notice, and a consumer validating against the schema must not reject them.
 * - Optional Braze fields may also be `null` (Braze's glossary: "may be missing or null").
 * - A claim-check pointer event (an event too large for EventBridge, see `ClaimCheckDetail`) is
 *   valid too: `detail` needs either the full event (`id`, `time`, `user`, `properties`) or the
 *   `currents_bridge_claim_check` pointer.
 */
import { type CatalogExtras, NO_EXTRAS, splitFieldPath } from '#lambdas/shared/catalog-extras';
import { CLAIM_CHECK_FIELD } from '#lambdas/shared/contract';
import {
  BRAZE_EVENT_TYPES,
  catalogEntry,
  type FieldSpec,
  type FieldType,
  propertyFields,
  userFields,
} from '#lambdas/shared/event-types';

export type JsonSchema = Record<string, unknown>;

/** The draft the registry's `JSONSchemaDraft4` type speaks. */
export const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/**
 * EventBridge Schemas: a schema name is at most 385 of `[A-Za-z0-9-_.@]` (CreateSchema); schema
 * discovery names a schema `<source>@<detail-type>`, and so do we.
 */
const SCHEMA_NAME = /^[A-Za-z0-9_.@-]{1,385}$/;

/** One schema of the registry. */
export interface RegistrySchema {
  eventType: string;
  /** `<source>@<event_type>`, the name schema discovery would give it. */
  schemaName: string;
  /** Whether the type is one of the catalog's (false: acknowledged in `extraEventTypes`). */
  inCatalog: boolean;
  schema: JsonSchema;
}

/** `<source>@<event_type>`; throws when the name is not one EventBridge Schemas accepts. */
export function schemaName(source: string, eventType: string): string {
  const name = `${source}@${eventType}`;
  if (!SCHEMA_NAME.test(name)) {
    throw new Error(
      `the schema name "${name}" is not one EventBridge Schemas accepts (at most 385 of A-Z a-z 0-9 - _ . @): ` +
        'choose an eventSource of those characters',
    );
  }
  return name;
}

const JSON_TYPES: Record<FieldType, JsonSchema> = {
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  int: { type: 'integer' },
  long: { type: 'integer' },
  float: { type: 'number' },
  object: { type: 'object' },
  // The storage schema lets items of media_urls be null.
  'array<string>': { type: 'array', items: { type: ['string', 'null'] } },
};

/** The JSON schema of one catalog field; an optional field may also be `null`. */
export function fieldSchema(field: FieldSpec): JsonSchema {
  const base = JSON_TYPES[field.type] ?? {};
  if (field.required || typeof base.type !== 'string') return { ...base };
  return { ...base, type: [base.type, 'null'] };
}

function objectSchema(
  fields: readonly FieldSpec[],
  extraNames: readonly string[],
  description: string,
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields) properties[field.name] = fieldSchema(field);
  for (const name of extraNames) {
    properties[name] ??= { description: 'acknowledged in the extraEventFields setting; type unknown' };
  }
  const required = fields.filter((field) => field.required).map((field) => field.name);
  return {
    type: 'object',
    description,
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: true,
  };
}

/**
 * The schema of one event type, as published with `Source` = `source`. `extraFieldPaths` are the
 * type's acknowledged fields (`user.<f>`, `properties.<f>`), added as optional and untyped.
 */
export function eventSchema(
  eventType: string,
  source: string,
  extraFieldPaths: readonly string[] = [],
): JsonSchema {
  const entry = catalogEntry(eventType);
  const extra = { user: [] as string[], properties: [] as string[] };
  for (const path of extraFieldPaths) {
    const [section, name] = splitFieldPath(path);
    extra[section].push(name);
  }
  const about = entry
    ? `Braze Currents ${eventType} (${entry.category.replace('_', ' ')} event${entry.legacy ? ', legacy' : ''})`
    : `${eventType}: an event type the project's catalog does not know yet (acknowledged in extraEventTypes)`;
  const detail: JsonSchema = {
    type: 'object',
    description:
      'The Braze event exactly as Braze sent it; or, for an event too large for EventBridge, a claim-check ' +
      `pointer (${CLAIM_CHECK_FIELD}) to the full event in S3.`,
    properties: {
      event_type: { type: 'string', enum: [eventType] },
      id: { type: 'string', description: 'Globally unique id of the event (the dedupe key)' },
      time: { type: 'integer', description: 'When the event happened, UNIX epoch seconds (UTC)' },
      user: objectSchema(userFields(eventType), extra.user, 'Who the event is about'),
      properties: objectSchema(propertyFields(eventType), extra.properties, 'What happened'),
      [CLAIM_CHECK_FIELD]: {
        type: 'object',
        description: 'Only on a claim-check pointer: where the full event is kept',
        properties: {
          bucket: { type: 'string' },
          key: { type: 'string' },
          bytes: { type: 'integer', description: 'Size of the full event in bytes' },
        },
        required: ['bucket', 'key', 'bytes'],
        additionalProperties: true,
      },
    },
    required: ['event_type'],
    anyOf: [{ required: ['id', 'time', 'user', 'properties'] }, { required: [CLAIM_CHECK_FIELD] }],
    additionalProperties: true,
  };
  return {
    $schema: DRAFT_04,
    title: eventType,
    description: `${about}, as currents-bridge publishes it to EventBridge (source ${source}).`,
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': eventType,
    type: 'object',
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [eventType] },
      source: { type: 'string', enum: [source] },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: {
        type: 'array',
        items: { type: 'string' },
        description: 'The query parameters of the connector URL, one key=value each',
      },
      detail,
    },
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    additionalProperties: true,
  };
}

/**
 * Every schema of the registry: the 96 types a Custom HTTP connector sends (the storage-only
 * `users.RandomBucketNumberUpdate` never reaches the receiver), then the acknowledged extra types,
 * each with its acknowledged fields.
 */
export function registrySchemas(source: string, extras: CatalogExtras = NO_EXTRAS): RegistrySchema[] {
  const known = new Set<string>(BRAZE_EVENT_TYPES);
  const types = [...BRAZE_EVENT_TYPES, ...extras.eventTypes.filter((type) => !known.has(type))];
  return [...new Set(types)].map((eventType) => ({
    eventType,
    schemaName: schemaName(source, eventType),
    inCatalog: known.has(eventType),
    schema: eventSchema(eventType, source, extras.eventFields[eventType] ?? []),
  }));
}
