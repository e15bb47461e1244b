/**
 * The one definition of the archive's SQL table `events` and of the named queries, shared by the
 * stack (Glue table, Athena named queries: `query.ts`) and local mode (`npm run query`, DuckDB:
 * `local/query/`). Nothing here depends on the CDK, so local mode imports it as it is.
 *
 * The table reads the archive Firehose writes (`events/event_type=<t>/dt=YYYY-MM-DD/hour=HH/*.gz`,
 * one Braze event per line) with Athena's OpenX JSON SerDe.
 */
import { eventTypePartitionValue } from '#lambdas/shared/archive-partition';
import { CLAIM_CHECK_FIELD } from '#lambdas/shared/contract';
import { EVENT_CATALOG } from '#lambdas/shared/event-catalog';
import { type FieldType, parseFieldSpec } from '#lambdas/shared/event-types';

/** The table's name; the named queries refer to it as `events`, in the workgroup's database. */
export const EVENTS_TABLE = 'events';

/** A column of the table, in Hive DDL type syntax (what Glue stores and Athena reads). */
export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

/** Hive types for the catalog's field types; an `object` stays raw JSON text, like `properties`. */
const HIVE_TYPE: Record<FieldType, string> = {
  string: 'string',
  boolean: 'boolean',
  int: 'bigint',
  long: 'bigint',
  float: 'double',
  object: 'string',
  'array<string>': 'array<string>',
};

/**
 * Every `user` field any catalog event type has, with one Hive type each (a name the catalog types
 * differently in two event types becomes `string`, which the SerDe fills from any JSON scalar).
 * Sorted, so the table does not change when the catalog's order does.
 */
export function userStructFields(): Array<{ name: string; type: string }> {
  const types = new Map<string, Set<string>>();
  for (const entry of EVENT_CATALOG) {
    for (const spec of entry.user) {
      const field = parseFieldSpec(spec);
      const seen = types.get(field.name) ?? new Set<string>();
      seen.add(HIVE_TYPE[field.type]);
      types.set(field.name, seen);
    }
  }
  return [...types.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, seen]) => ({ name, type: seen.size === 1 ? ([...seen][0] as string) : 'string' }));
}

/** `struct<a:string,b:bigint>` in Hive DDL syntax. */
function hiveStruct(fields: ReadonlyArray<{ name: string; type: string }>): string {
  return `struct<${fields.map(({ name, type }) => `${name}:${type}`).join(',')}>`;
}

/** The claim-check pointer an oversized event is archived as (see `ClaimCheckDetail`). */
export const CLAIM_CHECK_STRUCT_FIELDS = [
  { name: 'bucket', type: 'string' },
  { name: 'key', type: 'string' },
  { name: 'bytes', type: 'bigint' },
] as const;

/** The data columns, in table order; their names are the Braze event's top-level keys. */
export function eventColumns(): ColumnSpec[] {
  return [
    { name: 'id', type: 'string', comment: 'Braze event id (globally unique; deduplicate on it)' },
    { name: 'time', type: 'bigint', comment: 'Braze event time, epoch seconds (UTC), as Braze sends it' },
    {
      name: 'user',
      type: hiveStruct(userStructFields()),
      comment: 'the user fields of the event (every user field the event catalog knows)',
    },
    {
      name: 'properties',
      type: 'string',
      comment: 'the properties object as JSON text; read fields with json_extract_scalar',
    },
    {
      name: CLAIM_CHECK_FIELD,
      type: hiveStruct(CLAIM_CHECK_STRUCT_FIELDS),
      comment: 'set on an event too large for EventBridge: the S3 object holding it in full',
    },
  ];
}

/**
 * The partition columns, in key order. `event_type` is the partition value of the S3 key, which is
 * the event type itself for every Braze type (contract: `lambdas/shared/archive-partition.ts`).
 * `dt`/`hour` are the UTC hour the archive received the event, not Braze's `time`.
 */
export const PARTITION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'event_type', type: 'string', comment: 'Braze event type (its S3 partition value)' },
  { name: 'dt', type: 'string', comment: 'UTC day the archive received the event, YYYY-MM-DD' },
  { name: 'hour', type: 'string', comment: 'UTC hour the archive received the event, 00-23' },
];

/**
 * The OpenX JSON SerDe and its settings (https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html).
 * - A JSON object read into a `string` column becomes the SerDe's re-serialization of it
 *   (`JSONObject.toString()` in rcongiu/Hive-JSON-Serde): the same keys and values, in no
 *   particular key order. That keeps `properties` readable with `json_extract_scalar` whatever
 *   fields Braze adds.
 * - `case.insensitive` off: with the default (on) the SerDe lower-cases every key it parses,
 *   nested ones included, so `properties` would lose the case of custom event property names.
 *   Every column and `user` field name is the lower-case key Braze sends, so no mapping is needed.
 * - `ignore.malformed.json` on: a line that is not one JSON object (Braze never sends one; a
 *   duplicated key is the likely case) becomes a row whose data columns are all NULL, instead of
 *   failing every query that reads its file. `WHERE id IS NULL` finds them.
 */
export const JSON_SERDE = {
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
  parameters: {
    'case.insensitive': 'FALSE',
    'ignore.malformed.json': 'TRUE',
    'dots.in.keys': 'FALSE',
  },
} as const;

/** The first day the table's `dt` projection covers (before any archive of this tool existed). */
export const PROJECTION_FIRST_DAY = '2024-01-01';

/**
 * The `event_type` values the Athena table projects: every catalog event type, then the
 * acknowledged extras, each as its partition value, without duplicates, in that order.
 */
export function projectedEventTypes(extraEventTypes: readonly string[]): string[] {
  const types = [
    ...EVENT_CATALOG.map((entry) => entry.eventType),
    ...extraEventTypes.filter((type) => type !== ''),
  ];
  return [...new Set(types.map(eventTypePartitionValue))];
}

/**
 * Glue table parameters for partition projection
 * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html):
 * Athena computes the partitions from these instead of reading them from the catalog, so there is
 * no crawler and no `MSCK REPAIR TABLE`, and a new hour is queryable as soon as Firehose writes it.
 * @param location `s3://<bucket>/events/` (a token at synth)
 */
export function projectionParameters(location: string, extraEventTypes: readonly string[]) {
  return {
    'projection.enabled': 'true',
    'projection.event_type.type': 'enum',
    'projection.event_type.values': projectedEventTypes(extraEventTypes).join(','),
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': `${PROJECTION_FIRST_DAY},NOW`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    'storage.location.template': `${location}event_type=\${event_type}/dt=\${dt}/hour=\${hour}/`,
  };
}

/** A query Braze customers ask most, as an Athena named query and `npm run query -- --named`. */
export interface NamedQuery {
  /** Short name: `npm run query -- --named <name>`; the Athena named query's name. */
  readonly name: string;
  readonly description: string;
  /** Trino SQL over `events`; `?` marks a parameter (Athena execution parameters, `--param`). */
  readonly sql: string;
  /** What each `?` stands for, in order. */
  readonly parameters: readonly string[];
}

/*
 * Written in the subset of Trino SQL local mode provides (docs/query.md): `"time"` and `"user"`
 * quoted, since both are SQL keywords; windows as `dt` ranges (partition pruning: `dt` is when the
 * archive received the event, a day past the window on the early side for events that arrived
 * late) plus a condition on Braze's `time`.
 */
export const NAMED_QUERIES: readonly NamedQuery[] = [
  {
    name: 'events-per-type-per-day',
    description: 'Events per event type per day (UTC, by Braze time) over the last 7 days',
    parameters: [],
    sql: `SELECT event_type,
       CAST(from_unixtime("time") AS date) AS day,
       count(*) AS events
FROM events
WHERE dt >= CAST(CAST(current_date - INTERVAL '8' DAY AS date) AS varchar)
  AND CAST(from_unixtime("time") AS date) >= CAST(current_date - INTERVAL '7' DAY AS date)
GROUP BY 1, 2
ORDER BY day, event_type`,
  },
  {
    name: 'email-funnel-by-campaign',
    description:
      'E-mail funnel per campaign over the last 7 days: unique users sent, delivered, opened, clicked',
    parameters: [],
    sql: `SELECT json_extract_scalar(properties, '$.campaign_id') AS campaign_id,
       count(DISTINCT CASE WHEN event_type = 'users.messages.email.Send' THEN "user".user_id END) AS sent,
       count(DISTINCT CASE WHEN event_type = 'users.messages.email.Delivery' THEN "user".user_id END) AS delivered,
       count(DISTINCT CASE WHEN event_type = 'users.messages.email.Open' THEN "user".user_id END) AS opened,
       count(DISTINCT CASE WHEN event_type = 'users.messages.email.Click' THEN "user".user_id END) AS clicked
FROM events
WHERE event_type IN ('users.messages.email.Send', 'users.messages.email.Delivery',
                     'users.messages.email.Open', 'users.messages.email.Click')
  AND dt >= CAST(CAST(current_date - INTERVAL '8' DAY AS date) AS varchar)
  AND CAST(from_unixtime("time") AS date) >= CAST(current_date - INTERVAL '7' DAY AS date)
  AND json_extract_scalar(properties, '$.campaign_id') IS NOT NULL
GROUP BY 1
ORDER BY sent DESC, campaign_id`,
  },
  {
    name: 'daily-active-users',
    description: 'Daily active users (unique users with a session start) per day (UTC) over the last 30 days',
    parameters: [],
    sql: `SELECT CAST(from_unixtime("time") AS date) AS day,
       count(DISTINCT "user".user_id) AS active_users
FROM events
WHERE event_type = 'users.behaviors.app.SessionStart'
  AND dt >= CAST(CAST(current_date - INTERVAL '31' DAY AS date) AS varchar)
  AND CAST(from_unixtime("time") AS date) >= CAST(current_date - INTERVAL '30' DAY AS date)
GROUP BY 1
ORDER BY day`,
  },
  {
    name: 'newest-events-of-user',
    description:
      'The 50 newest events of one user (external_user_id or Braze user_id) archived in the last 30 days',
    parameters: ['external_user_id or Braze user_id'],
    sql: `SELECT from_unixtime("time") AS event_time,
       event_type,
       id,
       properties
FROM events
WHERE CAST(? AS varchar) IN ("user".external_user_id, "user".user_id)
  AND dt >= CAST(CAST(current_date - INTERVAL '30' DAY AS date) AS varchar)
ORDER BY "time" DESC, id
LIMIT 50`,
  },
];

/** The named query called `name`, or undefined. */
export function namedQuery(name: string): NamedQuery | undefined {
  return NAMED_QUERIES.find((query) => query.name === name);
}
