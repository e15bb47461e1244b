/**
 * Schema drift: what Braze sends that the project's catalog does not know. Braze adds event types
 * and fields "typically with two weeks notice, but sometimes not"; the receiver still publishes
 * every such event verbatim, and this module makes the change visible:
 *
 * - an event type neither in the catalog nor acknowledged (`EXTRA_EVENT_TYPES`) counts once per
 *   event in `UnknownEventTypes`;
 * - a top-level field of `user` or `properties` that the catalog does not list for a known type,
 *   nor `EXTRA_EVENT_FIELDS` acknowledges, counts once per event and field in `UnknownFields`.
 *   Fields of unknown or acknowledged-extra types are not checked: there is no list to check against.
 *
 * Each finding is logged once per function instance (type, and field path such as `user.timezone`;
 * never a value, which may be personal data). The hot path is a Map lookup per event and a Set
 * lookup per field: the field sets are built once, at cold start, from the catalog's generated names
 * (`event-type-names.ts`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type CatalogExtras, NO_EXTRAS, splitFieldPath } from '../shared/catalog-extras';
import { METRIC } from '../shared/contract';
import { KNOWN_EVENT_FIELDS } from '../shared/event-type-names';
import { count } from '../shared/telemetry';

/** The log line's `message`; the Logs Insights query of the SchemaDrift runbook filters on `driftKind`. */
export const DRIFT_LOG_MESSAGE = 'schema drift: Braze sent what the catalog does not know (published as is)';

/**
 * Distinct findings logged per function instance at most: a sender inventing a new field name per
 * event must not grow the instance's memory or its log without bound. Counting goes on past it.
 */
export const MAX_LOGGED_FINDINGS = 1000;

/** Longest event type or field name written to a log line (EventBridge's DetailType limit). */
const MAX_NAME_CHARS = 256;

export type DriftKind = 'unknown-event-type' | 'unknown-field';

export interface DriftFinding {
  driftKind: DriftKind;
  eventType: string;
  /** `user.<name>` or `properties.<name>`; only for `unknown-field`. */
  field?: string;
}

export interface DriftCounts {
  unknownEventTypes: number;
  unknownFields: number;
}

/** What the receiver hands over per event: its type and the event as parsed. */
export interface DriftInput {
  eventType: string;
  event: Record<string, unknown>;
}

export interface DriftDetector {
  /**
   * Inspects a batch: counts the metrics (only when non-zero), logs each finding not logged before
   * by this instance, and returns the counts.
   */
  record(items: Iterable<DriftInput>): DriftCounts;
}

interface KnownFields {
  user: ReadonlySet<string>;
  properties: ReadonlySet<string>;
}

/** Per event type, the field names the catalog and the acknowledged extras list. */
export function knownFieldSets(extras: CatalogExtras = NO_EXTRAS): {
  fields: ReadonlyMap<string, KnownFields>;
  fieldlessTypes: ReadonlySet<string>;
} {
  const fields = new Map<string, { user: Set<string>; properties: Set<string> }>();
  // The generated names, not `EVENT_CATALOG` itself: the receiver's bundle then carries the names
  // without their types (test/unit/event-catalog.test.ts checks they agree).
  const names = (list: string) => new Set(list === '' ? [] : list.split(' '));
  for (const [eventType, user, properties] of KNOWN_EVENT_FIELDS) {
    fields.set(eventType, { user: names(user), properties: names(properties) });
  }
  for (const [eventType, paths] of Object.entries(extras.eventFields)) {
    const known = fields.get(eventType);
    if (!known) continue;
    for (const path of paths) {
      const [section, name] = splitFieldPath(path);
      known[section].add(name);
    }
  }
  const fieldlessTypes = new Set(extras.eventTypes.filter((eventType) => !fields.has(eventType)));
  return { fields, fieldlessTypes };
}

/**
 * A detector with the catalog and the extras compiled in. `logger` and `metrics` are the
 * receiver's Powertools instances (the metric is flushed with the invocation's others).
 */
export function createDriftDetector(
  logger: Pick<Logger, 'warn'>,
  metrics: Metrics,
  extras: CatalogExtras = NO_EXTRAS,
): DriftDetector {
  const { fields, fieldlessTypes } = knownFieldSets(extras);
  const logged = new Set<string>();
  let limitNoted = false;

  function note(finding: DriftFinding): void {
    const key = `${finding.eventType}\u0000${finding.field ?? ''}`;
    if (logged.has(key)) return;
    if (logged.size >= MAX_LOGGED_FINDINGS) {
      if (!limitNoted) {
        limitNoted = true;
        logger.warn(`${DRIFT_LOG_MESSAGE}; more findings than ${MAX_LOGGED_FINDINGS}, not logged any more`, {
          driftKind: 'log-limit',
        });
      }
      return;
    }
    logged.add(key);
    logger.warn(DRIFT_LOG_MESSAGE, {
      driftKind: finding.driftKind,
      eventType: finding.eventType.slice(0, MAX_NAME_CHARS),
      ...(finding.field === undefined ? {} : { field: finding.field.slice(0, MAX_NAME_CHARS) }),
    });
  }

  function unknownIn(
    eventType: string,
    section: 'user' | 'properties',
    value: unknown,
    known: ReadonlySet<string>,
  ) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 0;
    let unknown = 0;
    for (const name in value) {
      if (known.has(name)) continue;
      unknown++;
      note({ driftKind: 'unknown-field', eventType, field: `${section}.${name}` });
    }
    return unknown;
  }

  return {
    record(items) {
      let unknownEventTypes = 0;
      let unknownFields = 0;
      for (const { eventType, event } of items) {
        const known = fields.get(eventType);
        if (known === undefined) {
          if (fieldlessTypes.has(eventType)) continue;
          unknownEventTypes++;
          note({ driftKind: 'unknown-event-type', eventType });
          continue;
        }
        unknownFields += unknownIn(eventType, 'user', event.user, known.user);
        unknownFields += unknownIn(eventType, 'properties', event.properties, known.properties);
      }
      count(metrics, METRIC.unknownEventTypes, unknownEventTypes);
      count(metrics, METRIC.unknownFields, unknownFields);
      return { unknownEventTypes, unknownFields };
    },
  };
}
