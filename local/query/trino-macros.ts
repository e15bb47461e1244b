/**
 * The Trino (Athena engine 3) functions local mode provides on DuckDB, as SQL macros, so the same
 * SQL runs in both places. Every time is UTC, as in Athena (its session time zone is UTC).
 *
 * DuckDB already has, with Trino's name and meaning: `count`, `count(DISTINCT …)`, `count_if`,
 * `arbitrary`, `min_by`/`max_by`, `date_trunc`, `date_diff`, `json_extract`, `json_array_length`,
 * `regexp_extract`, `regexp_replace`, `split`, `strpos`, `substr`, `lower`/`upper`, `coalesce`,
 * `current_date`, `CAST`, `INTERVAL '7' DAY`. The macros below add the rest the named queries and
 * common Braze questions use; `docs/query.md` lists the differences that remain.
 */

export interface TrinoMacro {
  /** The Trino function's name and arguments, as it is called. */
  readonly signature: string;
  /** DuckDB SQL body of the macro. */
  readonly body: string;
  /** What differs from Trino, if anything. */
  readonly note: string;
}

export const TRINO_MACROS: readonly TrinoMacro[] = [
  {
    signature: 'json_extract_scalar(json, path)',
    // Trino answers NULL for an object or array; DuckDB's json_extract_string would give its text.
    body: `CASE WHEN json_type(json, path) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(json, path) END`,
    note: 'JSONPath subset of DuckDB ($.a.b, $.a[0])',
  },
  {
    signature: 'from_unixtime(unixtime)',
    body: 'make_timestamp(CAST(round(CAST(unixtime AS DOUBLE) * 1000000) AS BIGINT))',
    note: 'a TIMESTAMP in UTC (Trino: timestamp(3) with time zone UTC); it prints without the zone',
  },
  {
    signature: 'to_unixtime(ts)',
    body: 'epoch(ts)',
    note: '',
  },
  {
    signature: 'date_add(unit, value, ts)',
    body: `CAST(ts AS TIMESTAMP) + value * CAST('1 ' || unit AS INTERVAL)`,
    note: 'always returns a TIMESTAMP (Trino keeps a date a date); compare or CAST it AS date',
  },
  {
    signature: 'date_format(ts, format)',
    body: `strftime(ts, replace(replace(format, '%i', '%M'), '%s', '%S'))`,
    note: 'specifiers %Y %m %d %H %i %s only',
  },
  {
    signature: 'approx_distinct(x)',
    body: 'approx_count_distinct(x)',
    note: 'a different estimator: close to Trino, not always equal',
  },
  {
    signature: 'regexp_like(string, pattern)',
    body: 'regexp_matches(string, pattern)',
    note: 'RE2 syntax in both',
  },
  {
    signature: 'cardinality(x)',
    body: 'len(x)',
    note: '',
  },
];

/** `CREATE OR REPLACE MACRO …` statements for every macro. */
export function trinoMacroStatements(): string[] {
  return TRINO_MACROS.map(({ signature, body }) => `CREATE OR REPLACE MACRO ${signature} AS ${body}`);
}
