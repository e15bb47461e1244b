/**
 * `npm run query -- [options] "<SQL>"`: SQL over the local archive with DuckDB, the same table
 * `events` and the same named queries as Athena in the stack (see `docs/query.md`).
 */
import { parseArgs } from 'node:util';
import { UserError, usageError } from '#lib/cli';
import { NAMED_QUERIES, namedQuery, projectedEventTypes } from '#lib/constructs/query-schema';
import { cdkJsonExtraEventTypes } from '../cdk-json';
import { ArchiveNotFoundError, LocalArchiveQuery, QuerySqlError } from './archive-query';
import { FORMATS, formatResult, type OutputFormat } from './format';

/**
 * Local mode's default data dir (`DEFAULT_DATA_DIR` of `local/runtime/start-local.ts`, which a test
 * holds equal): not imported, so the query tool does not load the pipeline and the CDK to start.
 */
export const DEFAULT_DATA_DIR = '.local-data';

const USAGE = `Usage: npm run query -- [options] "<SQL>"
       npm run query -- [options] --named <name> [--param VALUE ...]

Runs SQL over the local archive (what npm start archived) with DuckDB: the table events has the
columns and partitions of the Athena table in the stack (id, time, user, properties,
currents_bridge_claim_check; event_type, dt, hour). Works while npm start runs and after it stops.

  --format table|json|csv   output format (default table)
  --data-dir DIR            local mode's data dir (default $CURRENTS_DATA_DIR or ${DEFAULT_DATA_DIR})
  --bucket NAME             the archive bucket, when the data dir holds several
  --named NAME              run a named query of the stack instead of SQL
  --param VALUE             a value for the next ? of the query (repeatable)
  --list                    list the named queries
  -h, --help                this text

Named queries: ${NAMED_QUERIES.map((query) => query.name).join(', ')}
Trino functions available locally and how they differ: docs/query.md`;

export interface QueryCliArgs {
  sql: string;
  parameters: string[];
  format: OutputFormat;
  dataDir: string;
  bucket: string | undefined;
}

export type ParsedArgs = { help: true } | { list: true } | ({ help?: false; list?: false } & QueryCliArgs);

const HELP_HINT = '(npm run query -- --help lists the options)';

/**
 * Parses the command line; `env` supplies `CURRENTS_DATA_DIR`.
 * @throws UserError (exit status 2) for a usage mistake, naming it and what to give instead
 */
export function parseQueryArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const parsed = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'data-dir': { type: 'string' },
      bucket: { type: 'string' },
      named: { type: 'string' },
      param: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (values.list) return { list: true };
  const format = (values.format ?? 'table') as OutputFormat;
  if (!FORMATS.includes(format)) {
    throw usageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }
  let sql: string;
  if (values.named !== undefined) {
    if (positionals.length > 0) throw usageError(`give either --named or SQL, not both ${HELP_HINT}`);
    const named = namedQuery(values.named);
    if (!named) {
      throw usageError(
        `no named query "${values.named}"; the named queries are ${NAMED_QUERIES.map((query) => query.name).join(', ')} (--list describes them)`,
      );
    }
    const given = values.param?.length ?? 0;
    if (given !== named.parameters.length) {
      throw usageError(
        `${named.name} takes ${named.parameters.length} --param (${named.parameters.join(', ') || 'none'}), ${given} given`,
      );
    }
    sql = named.sql;
  } else {
    if (positionals.length !== 1 || positionals[0]?.trim() === '') {
      throw usageError(
        `give one SQL statement, in quotes, e.g. npm run query -- "SELECT count(*) FROM events" (or --named NAME) ${HELP_HINT}`,
      );
    }
    sql = positionals[0] as string;
  }
  return {
    sql,
    parameters: values.param ?? [],
    format,
    dataDir: values['data-dir'] ?? env.CURRENTS_DATA_DIR ?? DEFAULT_DATA_DIR,
    bucket: values.bucket,
  };
}

/**
 * The event types the deployed table would project: the catalog's and `extraEventTypes` from
 * `cdk.json` (a list, or a comma-separated string as `-c` gives it), as partition values.
 * Read without the stack's config module, which loads the CDK. Undefined when `cdk.json` is unreadable.
 */
export function athenaProjectedEventTypes(cdkJsonUrl?: URL): Set<string> | undefined {
  const extra = cdkJsonExtraEventTypes(cdkJsonUrl);
  return extra === undefined ? undefined : new Set(projectedEventTypes(extra));
}

export interface QueryCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Runs the CLI; returns 0 (rows or an empty result). Run it through `runCli` (`lib/cli.ts`), which
 * prints what it throws.
 * @throws UserError for what the user can fix: exit status 2 for a usage mistake, 1 for a missing
 *   archive or SQL DuckDB refuses; anything else is a bug and keeps its stack
 */
export async function runQueryCli(
  argv: readonly string[],
  io: QueryCliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = parseQueryArgs(argv, env);
  if ('help' in args && args.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if ('list' in args && args.list) {
    for (const query of NAMED_QUERIES) {
      const parameters = query.parameters.map((parameter) => ` --param <${parameter}>`).join('');
      io.stdout(`${query.name}${parameters}\n  ${query.description}\n`);
    }
    return 0;
  }
  const { sql, parameters, format, dataDir, bucket } = args as QueryCliArgs;
  let session: LocalArchiveQuery | undefined;
  try {
    session = await LocalArchiveQuery.open({ dataDir, ...(bucket ? { bucket } : {}) });
    const result = await session.query(sql, parameters);
    io.stdout(formatResult(result, format));
    if (result.rows.length === 0) {
      io.stderr(`query: no rows. The archive holds event types: ${session.presentEventTypes().join(', ')}\n`);
    }
    const projected = athenaProjectedEventTypes();
    const unprojected = projected ? session.presentEventTypes().filter((type) => !projected.has(type)) : [];
    if (unprojected.length > 0) {
      io.stderr(
        `query: note: ${unprojected.join(', ')} ${unprojected.length === 1 ? 'is' : 'are'} in this archive but not in the Athena table's projection; ` +
          'add to extraEventTypes in cdk.json to query them in AWS (docs/query.md)\n',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ArchiveNotFoundError) {
      throw new UserError(error.message, { cause: error });
    }
    if (error instanceof QuerySqlError) {
      throw new UserError(
        `the SQL failed (fix it and run again; docs/query.md lists what both engines speak): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    session?.close();
  }
}
