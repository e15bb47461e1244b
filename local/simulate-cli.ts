/**
 * `npm run simulate -- [options]`: sends Braze Currents batches to a receiver, as Braze would.
 * Run with `--help` for the options.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ENV } from '#lambdas/shared/contract';
import { isFamily, isKnownEventType } from '#lambdas/shared/event-types';
import { runCli, USAGE_EXIT_CODE, UserError, usageError } from '#lib/cli';
import {
  factoryEvents,
  formatReport,
  readSampleFolder,
  type SimulationProgress,
  simulate,
  withFreshIds,
} from './simulator';

const USAGE = `Usage: npm run simulate -- [options]

Sends Braze Currents batches ({"events":[...]}, up to 100 per request) and reacts to every answer
as Braze does: 2xx ack; 5xx/429/network errors retried with backoff; 400 → events resent one by
one; 413 → batch halved; 401/403/404 → stop.

  --url URL             connector URL (default http://127.0.0.1:\${PORT:-3000}/currents)
  --token TOKEN         bearer token (default: first of $CURRENTS_TOKENS, else <data-dir>/token)
  --no-token            send no Authorization header
  --count N             events to send, at most 1000000 (default 1000; with --samples: one pass over the files)
  --types LIST          comma-separated event types or families, e.g. users.messages.email.*
  --samples DIR         replay the sample files of DIR (each a JSON array) with fresh ids
  --batch-size N        events per request, 1..100 (default 100)
  --concurrency N       requests in flight (default 4)
  --gzip                send gzip bodies (Content-Encoding: gzip)
  --max-attempts N      attempts per request before its events are dropped (default 10)
  --base-delay-ms N     first backoff delay (default 500)
  --max-delay-ms N      largest backoff delay (default 30000)
  --max-retry-after-ms N  cap on the server's Retry-After (default 60000)
  --seed N              seed for repeatable event contents
  --data-dir DIR        where local mode keeps its token (default $CURRENTS_DATA_DIR or .local-data)
  --json                print the final report as JSON
  -h, --help            this text`;

/** The most events one run generates (`--count`); more would exhaust Node's default heap. */
const MAX_COUNT = 1_000_000;

function integer(name: string, value: string | undefined, fallback: number, min = 0, max = Infinity): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    const range =
      max === Infinity ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
    throw usageError(`--${name} must be ${range}, got "${value}"`);
  }
  return parsed;
}

function connectorUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--url must be an http(s) URL such as http://127.0.0.1:3000/currents, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--url must be an http(s) URL, got "${value}"`);
  }
  return value;
}

/** The events to send; a sample folder or type list the user named that yields none is a usage error. */
async function loadEvents(load: () => unknown[] | Promise<unknown[]>, what: string): Promise<unknown[]> {
  try {
    return await load();
  } catch (error) {
    throw new UserError(`${what}: ${(error as Error).message}`, { exitCode: USAGE_EXIT_CODE, cause: error });
  }
}

async function defaultToken(dataDir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const fromEnv = env[ENV.tokens]?.split(',').find((token) => token.trim() !== '');
  if (fromEnv) return fromEnv.trim();
  try {
    return (await readFile(path.join(dataDir, 'token'), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Runs `npm run simulate` with these arguments and environment; run it through `runCli`. */
export async function main(
  args: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'no-token': { type: 'boolean' },
      count: { type: 'string' },
      types: { type: 'string' },
      samples: { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      gzip: { type: 'boolean' },
      'max-attempts': { type: 'string' },
      'base-delay-ms': { type: 'string' },
      'max-delay-ms': { type: 'string' },
      'max-retry-after-ms': { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dataDir = values['data-dir'] ?? env.CURRENTS_DATA_DIR ?? '.local-data';
  const url = connectorUrl(values.url ?? `http://127.0.0.1:${env.PORT || 3000}/currents`);
  const token = values['no-token'] ? undefined : (values.token ?? (await defaultToken(dataDir, env)));
  if (token === undefined && !values['no-token']) {
    throw usageError(
      'No token: pass --token, set CURRENTS_TOKENS, or start local mode first (it writes <data-dir>/token).',
    );
  }
  const options = {
    batchSize: integer('batch-size', values['batch-size'], 100, 1, 100),
    concurrency: integer('concurrency', values.concurrency, 4, 1),
    maxAttempts: integer('max-attempts', values['max-attempts'], 10, 1),
    backoff: {
      baseDelayMs: integer('base-delay-ms', values['base-delay-ms'], 500),
      maxDelayMs: integer('max-delay-ms', values['max-delay-ms'], 30_000),
      maxRetryAfterMs: integer('max-retry-after-ms', values['max-retry-after-ms'], 60_000),
    },
  };

  const { samples } = values;
  // Events are generated in memory before sending: a million is about 1 GB of heap.
  const count = values.count === undefined ? undefined : integer('count', values.count, 0, 0, MAX_COUNT);
  const seed = values.seed === undefined ? undefined : integer('seed', values.seed, 0);
  const types = values.types?.split(',').map((type) => type.trim());
  // A name the catalog does not know is sent as a new event type (to try the drift check or
  // `extraEventTypes`), but never silently: a typo would otherwise look like one.
  const unknownTypes = (types ?? []).filter((type) => !isFamily(type) && !isKnownEventType(type));
  if (!samples && unknownTypes.length > 0) {
    process.stderr.write(
      `note: not in the event catalog, sent as new event types: ${unknownTypes.join(', ')}\n`,
    );
  }
  if (samples && (values.types !== undefined || values.seed !== undefined)) {
    throw usageError(
      '--types and --seed choose factory events; with --samples the files are sent as they are',
    );
  }
  const events = samples
    ? withFreshIds(await loadEvents(() => readSampleFolder(samples), `--samples ${samples}`), count)
    : await loadEvents(
        () =>
          factoryEvents({
            count: count ?? 1000,
            types,
            seed,
          }),
        '--types',
      );

  const interactive = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const onProgress = (progress: SimulationProgress) => {
    const done = progress.acknowledged + progress.dropped;
    if (!interactive && done !== progress.total && Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    const line = `${done}/${progress.total} events: ${progress.acknowledged} acknowledged, ${progress.dropped} dropped, ${progress.requests} requests, ${progress.retries} retries`;
    process.stderr.write(interactive ? `\r\x1b[2K${line}` : `${line}\n`);
  };

  const report = await simulate({ url, token, events, gzip: values.gzip ?? false, ...options, onProgress });
  if (interactive) process.stderr.write('\n');
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.dropped === 0 && report.unsent === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli(() => main());
}
