/**
 * The arguments of `npm run replay`, checked: every mistake is a {@link UsageError} with a
 * one-line message (the CLI prints it with the usage, no stack).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { isFamily } from '#lambdas/shared/event-types';
import { REPLAY_NAME } from '#lib/constructs/replay-archive';

/** Local mode's data directory when neither --data-dir nor CURRENTS_DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = '.local-data';

export const USAGE = `Usage: npm run replay -- --since <ISO time> --until <ISO time> --bus <name> [options]

Publishes archived Braze events again, each as the receiver first published it (Source,
DetailType = event_type, Detail = the archived line verbatim, Time = the event's time), marked
with Resources ["replay:<name>"]. Partitions are chosen by the UTC hour the archive received the
events (the table's dt/hour): every hour that overlaps [--since, --until) is read.

  --since ISO           start, e.g. 2026-11-30T00:00:00Z (a time without zone is UTC)
  --until ISO           end (exclusive)
  --bus NAME            event bus to publish to (name or ARN)
  --event-type T        an event type, or a family such as users.messages.email.*; repeatable
                        (default: every type in the archive)
  --bucket NAME         read the archive from this S3 bucket (AWS_ENDPOINT_URL_S3 honoured);
                        without it: local mode's archive under the data dir
  --data-dir DIR        local mode's data dir (default $CURRENTS_DATA_DIR or ${DEFAULT_DATA_DIR})
  --source NAME         Source of the entries (default ${DEFAULT_EVENT_SOURCE}, the stack's eventSource)
  --name NAME           replay name in the mark replay:<name> (default replay-<start time>)
  --rate N              at most N entries per second on average (default: as fast as accepted)
  --dry-run             read and count only; publish nothing
  --json                print the summary as JSON
  -h, --help            this text

EventBridge is reached with the usual AWS settings (AWS_REGION, credentials, profile) and
AWS_ENDPOINT_URL_EVENTBRIDGE. Exits 1 when any archived event was not published (they are
listed and written to replay-<name>-failed.ndjson), 2 for bad arguments.`;

export class UsageError extends Error {}

export interface ReplayArguments {
  since: Date;
  until: Date;
  bus: string;
  selectors: string[];
  bucket?: string;
  dataDir: string;
  source: string;
  name: string;
  rate?: number;
  dryRun: boolean;
  json: boolean;
}

function parseTime(value: string | undefined, flag: string): Date {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00';
  if (/T\d{2}$/.test(text)) text += ':00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += 'Z';
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(`${flag} must be an ISO 8601 time such as 2026-11-30T14:00:00Z, not "${value}"`);
  }
  return time;
}

export function parseReplayArguments(argv: string[], env: NodeJS.ProcessEnv): ReplayArguments | 'help' {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
  const since = parseTime(values.since, '--since');
  const until = parseTime(values.until, '--until');
  if (since.getTime() >= until.getTime()) throw new UsageError('--since must be before --until');
  if (!values.bus) throw new UsageError('--bus is required (the event bus to publish to)');
  const selectors = values['event-type'] ?? [];
  for (const selector of selectors) {
    const star = selector.indexOf('*');
    if (selector.trim() === '' || (star !== -1 && !(isFamily(selector) && star === selector.length - 1))) {
      throw new UsageError(
        `--event-type "${selector}" must be an event type, or a family ending in .* such as users.messages.email.*`,
      );
    }
  }
  let rate: number | undefined;
  if (values.rate !== undefined) {
    rate = Number(values.rate);
    if (!Number.isFinite(rate) || rate <= 0)
      throw new UsageError('--rate must be a positive number of entries per second');
  }
  const name = values.name ?? `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (!REPLAY_NAME.test(name)) {
    throw new UsageError('--name must be 1 to 64 letters, digits, ".", "_" or "-"');
  }
  return {
    since,
    until,
    bus: values.bus,
    selectors,
    ...(values.bucket ? { bucket: values.bucket } : {}),
    dataDir: path.resolve(values['data-dir'] ?? env.CURRENTS_DATA_DIR ?? DEFAULT_DATA_DIR),
    source: values.source ?? DEFAULT_EVENT_SOURCE,
    name,
    ...(rate !== undefined ? { rate } : {}),
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
  };
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      bus: { type: 'string' },
      'event-type': { type: 'string', multiple: true },
      bucket: { type: 'string' },
      'data-dir': { type: 'string' },
      source: { type: 'string' },
      name: { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
