/**
 * SQL over the local archive: DuckDB (the official `@duckdb/node-api` package, in memory) with a
 * view `events` that has the Athena table's columns, types and partitions (`query-schema.ts`),
 * read straight from the archive files. Local mode stores every archive object as a plain gzip
 * file of JSON lines at `<data-dir>/s3/<bucket>/events/event_type=<t>/dt=YYYY-MM-DD/hour=HH/<name>.gz`
 * (the local S3 layout contract), so no S3 client is needed, nothing is locked, and it works while
 * `npm start` runs and after it stops.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { S3_PREFIX } from '#lambdas/shared/contract';
import { EVENTS_TABLE, eventColumns } from '#lib/constructs/query-schema';
import { trinoMacroStatements } from './trino-macros';

/** Where the archive is: `<dataDir>/s3/<bucket>/events/`. */
export interface LocalArchiveLocation {
  readonly dataDir: string;
  /** The archive bucket; default the only bucket under `<dataDir>/s3/` holding `events/`. */
  readonly bucket?: string;
}

/** One result: column names and DuckDB types, and rows of plain JSON-able values. */
export interface QueryResult {
  readonly columns: ReadonlyArray<{ name: string; type: string }>;
  readonly rows: ReadonlyArray<readonly QueryValue[]>;
}

/** A value as the CLI prints it: integers beyond 2^53 as strings, nested types as arrays/objects. */
export type QueryValue = null | boolean | number | string | QueryValue[] | { [key: string]: QueryValue };

/** The archive is not there (no data dir, no bucket, or no archived object yet). */
export class ArchiveNotFoundError extends Error {
  override readonly name = 'ArchiveNotFoundError';
}

/** DuckDB refused or failed the SQL; the message is DuckDB's, with the line it points at. */
export class QuerySqlError extends Error {
  override readonly name = 'QuerySqlError';
}

/**
 * The archive bucket's directory: the given bucket, or the one bucket under `<dataDir>/s3/` that
 * has an `events/` prefix.
 * @throws ArchiveNotFoundError when there is none, or several and no `bucket` says which
 */
export function archiveDirectory(location: LocalArchiveLocation): string {
  const s3Dir = path.join(path.resolve(location.dataDir), 's3');
  if (location.bucket) {
    const dir = path.join(s3Dir, location.bucket, S3_PREFIX.archive);
    if (!existsSync(dir)) {
      throw new ArchiveNotFoundError(`no archive at ${dir} (is ${location.bucket} the archive bucket?)`);
    }
    return dir;
  }
  if (!existsSync(s3Dir)) {
    throw new ArchiveNotFoundError(
      `no local S3 data at ${s3Dir}: start local mode (npm start) with this data dir and send events (npm run simulate)`,
    );
  }
  const candidates = readdirSync(s3Dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(s3Dir, entry.name, S3_PREFIX.archive)))
    .map((entry) => entry.name);
  if (candidates.length === 0) {
    throw new ArchiveNotFoundError(
      `nothing archived yet under ${s3Dir}: send events (npm run simulate); the local Firehose writes them within a second`,
    );
  }
  if (candidates.length > 1) {
    throw new ArchiveNotFoundError(
      `several buckets hold an archive under ${s3Dir} (${candidates.join(', ')}): choose one with --bucket`,
    );
  }
  return path.join(s3Dir, candidates[0] as string, S3_PREFIX.archive);
}

/** Whether any archive object (`…/hour=HH/*.gz`) exists below `dir`. */
function hasArchiveObjects(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.gz')) return true;
  }
  return false;
}

/** DuckDB's spelling of a Hive DDL type of the schema module (`struct<a:string>` → `STRUCT("a" VARCHAR)`). */
export function duckDbType(hiveType: string): string {
  const primitive: Record<string, string> = {
    string: 'VARCHAR',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
  };
  const known = primitive[hiveType];
  if (known) return known;
  const array = /^array<(.+)>$/.exec(hiveType);
  if (array?.[1]) return `${duckDbType(array[1])}[]`;
  const struct = /^struct<(.+)>$/.exec(hiveType);
  if (struct?.[1]) {
    const fields: string[] = [];
    let depth = 0;
    let start = 0;
    const body = struct[1];
    for (let index = 0; index <= body.length; index++) {
      const char = body[index];
      if (char === '<') depth++;
      else if (char === '>') depth--;
      else if ((char === ',' && depth === 0) || index === body.length) {
        const field = body.slice(start, index);
        const colon = field.indexOf(':');
        fields.push(`"${field.slice(0, colon)}" ${duckDbType(field.slice(colon + 1))}`);
        start = index + 1;
      }
    }
    return `STRUCT(${fields.join(', ')})`;
  }
  throw new Error(`no DuckDB type for the Hive type ${hiveType}`);
}

const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The `CREATE VIEW events` statement over the archive files under `archiveDir`.
 * - Data columns: read with the Athena table's types; `properties` (read as JSON) becomes its text.
 *   A line that is not JSON becomes a row whose data columns are NULL, as with the SerDe's
 *   `ignore.malformed.json`.
 * - Partitions from the path, as Athena takes them: `event_type` is the raw partition value (DuckDB's
 *   own Hive reader would URL-decode it), `dt` and `hour` strings.
 */
export function eventsViewStatement(archiveDir: string): string {
  const glob = path.join(archiveDir, 'event_type=*', 'dt=*', 'hour=*', '*.gz');
  const columns = eventColumns()
    .map(
      ({ name, type }) =>
        `${sqlString(name)}: ${sqlString(name === 'properties' ? 'JSON' : duckDbType(type))}`,
    )
    .join(', ');
  const select = eventColumns().map(({ name }) =>
    name === 'properties' ? 'CAST(properties AS VARCHAR) AS properties' : `"${name}"`,
  );
  return `CREATE OR REPLACE VIEW ${EVENTS_TABLE} AS
SELECT ${select.join(', ')},
       regexp_extract(filename, '/event_type=([^/]*)/dt=[^/]*/hour=[^/]*/[^/]*$', 1) AS event_type,
       regexp_extract(filename, '/dt=([^/]*)/hour=[^/]*/[^/]*$', 1) AS dt,
       regexp_extract(filename, '/hour=([^/]*)/[^/]*$', 1) AS hour
FROM read_json(${sqlString(glob)},
  format = 'newline_delimited', compression = 'gzip', filename = true, hive_partitioning = false,
  ignore_errors = true, columns = {${columns}})`;
}

/** A DuckDB value as JSON-able data: numbers a double holds exactly as numbers, others as strings. */
export function plainValue(value: DuckDBValue): QueryValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBDecimalValue) {
    // A decimal whose digits (the scaled-up integer) fit in 2^53 converts to the nearest double and
    // prints back the same; more digits than that would be rounded, so they stay text.
    const digits = value.value < 0n ? -value.value : value.value;
    return digits <= BigInt(Number.MAX_SAFE_INTEGER) ? value.toDouble() : value.toString();
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(plainValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([key, item]) => [key, plainValue(item)]));
  }
  if (value instanceof DuckDBMapValue) {
    return Object.fromEntries(
      value.entries.map(({ key, value: item }) => [String(plainValue(key)), plainValue(item)]),
    );
  }
  return value.toString();
}

/**
 * A DuckDB session over one local archive. Open it, run any number of queries, close it.
 * Each query reads the files as they are at that moment.
 */
export class LocalArchiveQuery {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
    /** The archive's `events/` directory. */
    readonly archiveDir: string,
  ) {}

  /**
   * @throws ArchiveNotFoundError when the archive or any archived object is missing
   */
  static async open(location: LocalArchiveLocation): Promise<LocalArchiveQuery> {
    const archiveDir = archiveDirectory(location);
    if (!hasArchiveObjects(archiveDir)) {
      throw new ArchiveNotFoundError(
        `no archived object under ${archiveDir} yet: send events (npm run simulate); the local Firehose writes them within a second`,
      );
    }
    // In memory: nothing is written next to the archive, and nothing is locked.
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const session = new LocalArchiveQuery(instance, connection, archiveDir);
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      for (const statement of trinoMacroStatements()) await connection.run(statement);
      await connection.run(eventsViewStatement(archiveDir));
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /**
   * Runs one SQL statement over `events`.
   * @param parameters values for the `?` placeholders, in order (bound as text)
   * @throws QuerySqlError for SQL DuckDB refuses or cannot run
   */
  async query(sql: string, parameters: readonly string[] = []): Promise<QueryResult> {
    let reader: Awaited<ReturnType<typeof this.connection.runAndReadAll>>;
    try {
      reader = await this.connection.runAndReadAll(sql, parameters.length > 0 ? [...parameters] : undefined);
    } catch (error) {
      throw new QuerySqlError((error as Error).message);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes();
    return {
      columns: names.map((name, index) => ({ name, type: String(types[index]) })),
      rows: reader.getRows().map((row) => row.map(plainValue)),
    };
  }

  /** The partition values of `event_type` present in the archive. */
  presentEventTypes(): string[] {
    return readdirSync(this.archiveDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name.startsWith('event_type='))
      .map((entry) => entry.name.slice('event_type='.length));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
