/**
 * `npm run replay -- --since <ISO> --until <ISO> --bus <name> [options]`: publishes archived Braze
 * events again, from S3 (`--bucket`) or from local mode's archive. Run with `--help` for the options;
 * docs/replay.md has the walkthrough.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { eventBridgeClientConfig, eventBridgePort, s3ClientConfig } from '#lambdas/shared/aws';
import { replayMark } from '#lib/constructs/replay-archive';
import {
  findLocalArchiveBucket,
  localArchiveStore,
  partitionHours,
  s3ArchiveStore,
} from './replay/archive-reader';
import { parseReplayArguments, type ReplayArguments, USAGE, UsageError } from './replay/arguments';
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

async function main(): Promise<number> {
  let args: ReplayArguments | 'help';
  try {
    args = parseReplayArguments(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`replay: ${error.message}\n(npm run replay -- --help lists the options)\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
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
      port = eventBridgePort(eventBridge, args.bus);
    }
    const tty = process.stderr.isTTY;
    let lastDrawn = 0;
    const summary = await replay({
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
        process.stderr.write(`\r${progressLine(progress, args.dryRun)}\u001b[K`);
      },
    });
    if (tty && lastDrawn > 0) process.stderr.write('\r\u001b[K');
    let failuresFile: string | undefined;
    if (summary.failed.length > 0) {
      failuresFile = path.resolve(`replay-${args.name}-failed.ndjson`);
      await writeFile(failuresFile, summary.failed.map((failure) => `${JSON.stringify(failure)}\n`).join(''));
    }
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({ ...summary, failed: summary.failed.length, failuresFile, location: store.location, replayName: args.name }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(`${formatSummary(summary, args, store.location, failuresFile)}\n`);
    }
    return summary.failed.length > 0 ? 1 : 0;
  } catch (error) {
    const described =
      error instanceof Error
        ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
        : String(error);
    process.stderr.write(`replay: ${described}\n`);
    return 1;
  } finally {
    for (const client of clients) client.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`replay: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
