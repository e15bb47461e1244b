/**
 * `npm start`: the whole pipeline on this machine (see `local/runtime/start-local.ts`), with the
 * connector URL, the token, where data lands, and a live line of counts. Ctrl-C stops cleanly.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { quietSdkNodeVersionNotice, runCli, UserError, usageError } from '#lib/cli';
import { type LocalCounts, type LocalPipeline, startLocal } from './runtime';

const USAGE = `Usage: npm start -- [options]

Runs the receiver and redrive handlers locally against local EventBridge, S3 and SQS stand-ins.

  --port N          HTTP port (default $PORT or 3000; 0 picks a free port)
  --data-dir DIR    where data is kept between runs (default $CURRENTS_DATA_DIR or .local-data)
  --verbose         handler logs at INFO and their EMF metric lines
  -h, --help        this text

Environment: CURRENTS_TOKENS (comma-separated active tokens; default a generated one kept in
<data-dir>/token), AWS_ENDPOINT_URL_EVENTBRIDGE / _S3 / _SQS (use that endpoint instead of
starting a stand-in), EVENT_BUS_NAME, ARCHIVE_BUCKET, ... (override the template's values).`;

/** How often the counts line is printed when stdout is not a terminal (only when it changed). */
const PLAIN_COUNTS_INTERVAL_MS = 2_000;
const TTY_REFRESH_MS = 250;

export function countsLine(counts: LocalCounts): string {
  return `received ${counts.received} · published ${counts.published} · archived ${counts.archived} · spilled ${counts.spilled} · quarantined ${counts.quarantined}`;
}

function relative(target: string): string {
  const shown = path.relative(process.cwd(), target);
  return shown === '' || shown.startsWith('..') ? target : shown;
}

function banner(pipeline: LocalPipeline, tokenSource: string): string {
  const { url, token, locations, endpoints } = pipeline;
  const sample = JSON.stringify({
    events: [
      {
        event_type: 'users.behaviors.CustomEvent',
        id: '8d7e3f1a-0c2b-4c55-9a61-4b1f2e3d4c5b',
        time: 1767225600,
        user: { user_id: '5fd3a2b1c4e5f60718293a4b', external_user_id: 'user-1' },
        properties: { name: 'local_test', custom_properties: { plan: 'pro' } },
      },
    ],
  });
  return [
    'currents-bridge local mode',
    '',
    `  Connector URL  ${url}`,
    `  Token          ${token}  (${tokenSource})`,
    `  Data           ${relative(pipeline.dataDir)}/`,
    `    archive      ${relative(locations.archive)}  (event_type=<t>/dt=YYYY-MM-DD/hour=HH/*.gz)`,
    `    quarantine   ${relative(locations.quarantine)}`,
    `    claim checks ${relative(locations.claimCheck)}`,
    `    bus log      ${relative(locations.busLog)}  (every event put on the bus)`,
    `    spillover    ${locations.spillover}`,
    `  Endpoints      EventBridge ${endpoints.eventBridge} · S3 ${endpoints.s3} · SQS ${endpoints.sqs}`,
    '',
    'Send one event:',
    `  curl -i -X POST '${url}' -H 'Authorization: Bearer ${token}' -H 'Braze-Currents-Version: 1' \\`,
    `    -H 'Content-Type: application/json' -d '${sample}'`,
    'Send 1,000 events like Braze does (another terminal):',
    `  npm run simulate -- --url ${url} --token ${token} --count 1000`,
    '',
    'Ctrl-C stops (the archive buffer is written first).',
    '',
  ].join('\n');
}

/** `--port` or `$PORT`: a whole number from 0 (any free port) to 65535; undefined for the default. */
function portOption(value: string | undefined, source: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw usageError(`${source} must be a port number from 0 to 65535 (0 picks a free port), got "${value}"`);
  }
  return port;
}

const FILE_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'EISDIR', 'EROFS', 'ENOSPC']);

/**
 * The reasons local mode cannot start that the user can fix (port taken or not allowed, data
 * directory not usable), as a {@link UserError}; anything else unchanged.
 */
function startFailure(error: unknown, port: number | undefined): unknown {
  const { code, message, path: file, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  const listening = (error as { port?: number } | undefined)?.port ?? port;
  const shownPort = listening === undefined ? 'the port' : `port ${listening}`;
  if (code === 'EADDRINUSE') {
    return new UserError(
      `local mode failed to start: ${shownPort} is already in use by another program. ` +
        'Stop it, or pick another port: npm start -- --port 0 (any free port).',
      { cause: error },
    );
  }
  if ((code === 'EACCES' || code === 'EPERM') && syscall === 'listen') {
    return new UserError(
      `local mode failed to start: not allowed to listen on ${shownPort} (ports below 1024 need privileges); ` +
        'pick another with --port.',
      { cause: error },
    );
  }
  if (code !== undefined && FILE_SYSTEM_CODES.has(code) && file !== undefined) {
    return new UserError(
      `local mode failed to start: cannot use ${file} (${message}). Check --data-dir / $CURRENTS_DATA_DIR.`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Runs `npm start` with these arguments and environment (run it through `runCli`): the pipeline
 * keeps running until SIGINT/SIGTERM.
 */
export async function main(
  args: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<undefined> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return undefined;
  }
  const port = portOption(values.port, '--port') ?? portOption(env.PORT, '$PORT');
  const verbose = values.verbose ?? false;
  const tokenSource = env.CURRENTS_TOKENS
    ? 'from CURRENTS_TOKENS'
    : 'generated once, kept in <data-dir>/token';
  let pipeline: LocalPipeline;
  try {
    pipeline = await startLocal({
      ...(port === undefined ? {} : { port }),
      ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
      logLevel: verbose ? 'INFO' : 'ERROR',
      echoMetrics: verbose,
    });
  } catch (error) {
    throw startFailure(error, port);
  }
  process.stdout.write(banner(pipeline, tokenSource));

  const tty = process.stdout.isTTY === true;
  let lastLine = '';
  const showCounts = (final = false) => {
    const line = countsLine(pipeline.counts());
    if (tty) {
      process.stdout.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (line !== lastLine || final) {
      process.stdout.write(`${line}\n`);
    }
    lastLine = line;
  };
  showCounts();
  const timer = setInterval(showCounts, tty ? TTY_REFRESH_MS : PLAIN_COUNTS_INTERVAL_MS);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now": skip the flush.
      process.exit(130);
    }
    stopping = true;
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
    process.stdout.write(`${signal}: writing the archive buffer and stopping…\n`);
    await pipeline.stop();
    showCounts(true);
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
  return undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  quietSdkNodeVersionNotice();
  await runCli(() => main());
}
