/**
 * Event types and fields the user acknowledges on top of the project's catalog (context settings
 * `extraEventTypes` and `extraEventFields`): Braze adds them "typically with two weeks notice, but
 * sometimes not", and users cannot regenerate the catalog. The stack validates them at synth and
 * hands them to the receiver as two environment variables; the schema registry, the drift check and
 * the Athena table read the same lists. Pure: no I/O.
 */

/** What a field path names: a top-level field of the event's `user` or `properties` object. */
export type FieldSection = 'user' | 'properties';

export interface CatalogExtras {
  /** Event types the catalog does not know yet, acknowledged by the user. */
  readonly eventTypes: readonly string[];
  /** Field paths (`user.<name>`, `properties.<name>`) per event type. */
  readonly eventFields: Readonly<Record<string, readonly string[]>>;
}

export const NO_EXTRAS: CatalogExtras = { eventTypes: [], eventFields: {} };

/**
 * An event type as EventBridge and the schema registry can carry it: a `DetailType` has 1 to 128
 * characters (PutEvents API reference; the receiver quarantines longer ones), and a schema name
 * `<source>@<event_type>` only `[A-Za-z0-9-_.@]` (EventBridge Schemas `CreateSchema`). Every Braze
 * type is dotted words.
 */
export const EVENT_TYPE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Why a field path is not one the drift check can use, or undefined when it is. */
export function fieldPathProblem(path: string): string | undefined {
  const dot = path.indexOf('.');
  const section = path.slice(0, dot);
  const name = path.slice(dot + 1);
  if (dot === -1 || (section !== 'user' && section !== 'properties') || name === '') {
    return `"${path}" must be user.<field> or properties.<field>`;
  }
  if (name.includes('.')) {
    return `"${path}" names a nested field; only top-level fields of user or properties are checked`;
  }
  return undefined;
}

/** `user.timezone` → `['user', 'timezone']`; call only with a path {@link fieldPathProblem} accepts. */
export function splitFieldPath(path: string): [FieldSection, string] {
  const dot = path.indexOf('.');
  return [path.slice(0, dot) as FieldSection, path.slice(dot + 1)];
}

/** Every problem of the extras, one line each; empty when they are usable. */
export function catalogExtrasProblems(extras: CatalogExtras): string[] {
  const problems: string[] = [];
  for (const eventType of extras.eventTypes) {
    if (!EVENT_TYPE_NAME.test(eventType)) {
      problems.push(`extraEventTypes: "${eventType}" must be 1 to 128 letters, digits, ".", "_" or "-"`);
    }
  }
  for (const [eventType, paths] of Object.entries(extras.eventFields)) {
    if (!EVENT_TYPE_NAME.test(eventType)) {
      problems.push(`extraEventFields: "${eventType}" is not an event type name`);
    }
    if (!Array.isArray(paths)) {
      problems.push(`extraEventFields.${eventType}: must be a list of field paths`);
      continue;
    }
    for (const path of paths) {
      const problem = typeof path === 'string' ? fieldPathProblem(path) : 'must be a string';
      if (problem) problems.push(`extraEventFields.${eventType}: ${problem}`);
    }
  }
  return problems;
}

/** The `EXTRA_EVENT_TYPES` value: the types joined by commas (no type contains one). */
export function formatExtraEventTypes(eventTypes: readonly string[]): string {
  return eventTypes.join(',');
}

/** The `EXTRA_EVENT_FIELDS` value: compact JSON. */
export function formatExtraEventFields(eventFields: Readonly<Record<string, readonly string[]>>): string {
  return JSON.stringify(eventFields);
}

/**
 * Reads the extras from the receiver's environment (`EXTRA_EVENT_TYPES`, `EXTRA_EVENT_FIELDS`,
 * both optional). Throws an Error naming the variable when a value is malformed, so a bad
 * deployment fails at cold start rather than reporting drift it should not.
 */
export function parseCatalogExtras(types: string | undefined, fields: string | undefined): CatalogExtras {
  const eventTypes = (types ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  let eventFields: Record<string, string[]> = {};
  if (fields !== undefined && fields.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fields);
    } catch {
      throw new Error('EXTRA_EVENT_FIELDS is not JSON: expected {"<event_type>": ["user.<field>", ...]}');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('EXTRA_EVENT_FIELDS must be a JSON object: {"<event_type>": ["user.<field>", ...]}');
    }
    eventFields = parsed as Record<string, string[]>;
  }
  const extras = { eventTypes, eventFields };
  const problems = catalogExtrasProblems(extras);
  if (problems.length > 0) {
    throw new Error(`EXTRA_EVENT_TYPES / EXTRA_EVENT_FIELDS: ${problems.join('; ')}`);
  }
  return extras;
}
