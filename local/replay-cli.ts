/**
 * `npm run replay -- --since <ISO> --until <ISO> --bus <name> [options]`: publishes archived Braze
 * events again, from S3 (`--bucket`) or from local mode's archive. Run with `--help` for the options;
 * docs/replay.md has the walkthrough.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { eventBridgeClientConfig, eventBridgePort, s3ClientConfig } from '#lambdas/shared/aws';
import { quietSdkNodeVersionNotice, runCli, UserError } from '#lib/cli';
import { replayMark } from '#lib/constructs/replay-archive';
import {
  findLocalArchiveBucket,
  localArchiveStore,
  partitionHours,
  s3ArchiveStore,
} from './replay/archive-reader';
import { parseReplayArguments, type ReplayArguments, USAGE } from './replay/arguments';
import { type ReplayProgress, type ReplaySummary, replay } from './replay/replay';

function progressLine(progress: ReplayProgress, dryRun: boolean): string {
  const hour = `${progress.hour.toISOString().slice(0, 13)}h`;
  return dryRun
    ? `replay: ${hour}  objects ${progress.objects}  read ${progress.read}`
    : `replay: ${hour}  objects ${progress.objects}  read ${progress.read}  published ${progress.published}  failed ${progress.failed}`;
}

function formatSummary(
  summary: ReplaySummary,
  args: ReplayArguments,
  location: string,
  failuresFile?: string,
): string {
  const lines = [
    `${summary.dryRun ? 'Dry run: would replay' : 'Replayed'} from ${location}, hours ${args.since.toISOString()} to ${args.until.toISOString()}, to bus ${args.bus}, marked ${replayMark(args.name)}`,
    `  archive objects read  ${summary.objects}`,
    `  events read           ${summary.read}`,
  ];
  if (!summary.dryRun) lines.push(`  published             ${summary.published}`);
  lines.push(`  not published         ${summary.failed.length}`);
  for (const [eventType, count] of Object.entries(summary.byEventType).sort()) {
    lines.push(`    ${String(count).padStart(8)}  ${eventType}`);
  }
  const shown = summary.failed.slice(0, 10);
  for (const failure of shown) {
    lines.push(
      `  ✗ ${failure.key}${failure.line ? `:${failure.line}` : ''}  ${failure.errorCode}: ${failure.errorMessage}`,
    );
  }
  if (summary.failed.length > shown.length)
    lines.push(`  … and ${summary.failed.length - shown.length} more`);
  if (failuresFile) lines.push(`  the lines not published are in ${failuresFile}`);
  return lines.join('\n');
}

/** Network failures of an AWS call: the endpoint is wrong or unreachable, not a bug. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/**
 * An AWS SDK failure the user can act on (an error the service answered, missing credentials or
 * Region, an unreachable endpoint) as a {@link UserError} naming what was being done; undefined for
 * anything else, which stays a bug with its stack.
 */
export function awsFailure(error: unknown, doing: string): UserError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { name, message } = error;
  const code = (error as NodeJS.ErrnoException).code;
  if ('$metadata' in error || '$fault' in error) {
    return new UserError(`${doing} failed: ${name}: ${message}`, { cause: error });
  }
  if (name === 'CredentialsProviderError') {
    return new UserError(
      `${doing} failed: no AWS credentials (${message}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
      { cause: error },
    );
  }
  if (/region is missing/i.test(message)) {
    return new UserError(`${doing} failed: no AWS Region; set AWS_REGION`, { cause: error });
  }
  if (/region not accepted/i.test(message)) {
    return new UserError(`${doing} failed: ${message}; set AWS_REGION to a Region such as us-east-1`, {
      cause: error,
    });
  }
  if ((code !== undefined && NETWORK_CODES.has(code)) || name === 'TimeoutError') {
    return new UserError(
      `${doing} failed: cannot reach the endpoint (${code ?? name}: ${message}); check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_EVENTBRIDGE and the network`,
      { cause: error },
    );
  }
  return undefined;
}

export interface ReplayCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is drawn only there). */
  stderrIsTty: boolean;
}

const processIo: ReplayCliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
};

/**
 * Runs `npm run replay`; returns 0 when every archived event selected was published (or counted,
 * in a dry run), 1 when some were not (listed, and written to `replay-<name>-failed.ndjson`). Run it
 * through `runCli` (`lib/cli.ts`), which prints what it throws.
 * @throws UserError for what the user can fix: bad arguments (exit status 2), no local archive, an
 *   AWS error, missing credentials or an unreachable endpoint (1)
 */
export async function runReplayCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: ReplayCliIo = processIo,
): Promise<number> {
  const args = parseReplayArguments(argv, env);
  if (args === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const clients: { destroy(): void }[] = [];
  try {
    let store: ReturnType<typeof localArchiveStore>;
    if (args.bucket) {
      const s3 = new S3Client(s3ClientConfig());
      clients.push(s3);
      store = s3ArchiveStore(s3, args.bucket);
    } else {
      store = localArchiveStore(await findLocalArchiveBucket(args.dataDir));
    }
    let port: ReturnType<typeof eventBridgePort> | undefined;
    if (!args.dryRun) {
      const eventBridge = new EventBridgeClient(eventBridgeClientConfig());
      clients.push(eventBridge);
      // Region and credentials before reading anything: missing, every entry would fail only after
      // the publisher's retry window, one line per archived event.
      try {
        await eventBridge.config.region();
        await eventBridge.config.credentials();
      } catch (error) {
        throw awsFailure(error, 'publishing to EventBridge') ?? error;
      }
      port = eventBridgePort(eventBridge, args.bus);
    }
    const tty = io.stderrIsTty;
    let lastDrawn = 0;
    let summary: ReplaySummary;
    try {
      summary = await replay({
        store,
        hours: partitionHours(args.since, args.until),
        selectors: args.selectors,
        source: args.source,
        replayName: args.name,
        ...(port ? { port } : {}),
        ...(args.rate !== undefined ? { rate: args.rate } : {}),
        onProgress: (progress) => {
          if (!tty || Date.now() - lastDrawn < 250) return;
          lastDrawn = Date.now();
          io.stderr(`\r${progressLine(progress, args.dryRun)}\u001b[K`);
        },
      });
    } catch (error) {
      throw awsFailure(error, `reading the archive in ${store.location}`) ?? error;
    } finally {
      if (tty && lastDrawn > 0) io.stderr('\r\u001b[K');
    }
    let failuresFile: string | undefined;
    if (summary.failed.length > 0) {
      failuresFile = path.resolve(`replay-${args.name}-failed.ndjson`);
      await writeFile(failuresFile, summary.failed.map((failure) => `${JSON.stringify(failure)}\n`).join(''));
    }
    if (args.json) {
      io.stdout(
        `${JSON.stringify({ ...summary, failed: summary.failed.length, failuresFile, location: store.location, replayName: args.name }, null, 2)}\n`,
      );
    } else {
      io.stdout(`${formatSummary(summary, args, store.location, failuresFile)}\n`);
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    for (const client of clients) client.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  quietSdkNodeVersionNotice();
  await runCli(() => runReplayCli(process.argv.slice(2)));
}
