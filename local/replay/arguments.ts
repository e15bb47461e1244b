/**
 * The arguments of `npm run replay`, checked before anything is read or published: every mistake
 * is a usage error (`lib/cli.ts`, exit status 2) with a one-line message naming the option, what is
 * wrong and what to give instead.
 */

import path from 'node:path';
import { parseArgs } from 'node:util';
import { distance } from 'fastest-levenshtein';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { KNOWN_EVENT_TYPE_NAMES } from '#lambdas/shared/event-type-names';
import { familyPrefix, isFamily, selects } from '#lambdas/shared/event-types';
import { eventSourceProblem } from '#lambdas/shared/settings';
import { usageError } from '#lib/cli';
import { REPLAY_NAME } from '#lib/constructs/replay-archive';
import { cdkJsonExtraEventTypes } from '../cdk-json';

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
                        (default: every type in the archive). Must be a type of the event
                        catalog or of extraEventTypes in cdk.json
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

/** Where the rules of `--bus` come from (PutEventsRequestEntry `EventBusName`). */
export const EVENT_BUS_NAME_DOC =
  'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html';
/** Where the rules of `--bucket` come from. */
export const BUCKET_NAME_DOC = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html';

/**
 * PutEventsRequestEntry `EventBusName`: 1 to 1,600 characters of
 * `(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[.\-_A-Za-z0-9]+` (the API
 * reference, {@link EVENT_BUS_NAME_DOC}); a bus name itself has at most 256 characters
 * (CreateEventBus `Name`). Partner buses (`aws.partner/…`) take no PutEvents.
 */
const EVENT_BUS_ARN = /^arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/(.*)$/;
const EVENT_BUS_NAME = /^[.\-_A-Za-z0-9]{1,256}$/;

/** Why `bus` cannot be PutEvents' `EventBusName`, or undefined when it can. */
export function eventBusProblem(bus: string): string | undefined {
  const arn = EVENT_BUS_ARN.exec(bus);
  const name = arn ? (arn[1] as string) : bus;
  if (bus.startsWith('arn:') && !arn) {
    return `--bus "${bus}" is not an event bus ARN (arn:aws:events:<region>:<12-digit account>:event-bus/<name>); see ${EVENT_BUS_NAME_DOC}`;
  }
  if (!EVENT_BUS_NAME.test(name)) {
    return `--bus "${bus}": an event bus name has 1 to 256 letters, digits, ".", "-" or "_" (give the bus name or ARN, e.g. the stack's EventBusName output); see ${EVENT_BUS_NAME_DOC}`;
  }
  return undefined;
}

/**
 * S3 general purpose bucket names (the S3 user guide, {@link BUCKET_NAME_DOC}): 3 to 63 lowercase
 * letters, digits, "." and "-", starting and ending with a letter or digit, no "..", not an IP
 * address.
 */
export function bucketNameProblem(bucket: string): string | undefined {
  if (
    !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) ||
    bucket.includes('..') ||
    /^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  ) {
    return `--bucket "${bucket}" is not an S3 bucket name (3 to 63 lowercase letters, digits, "." or "-"; give the stack's ArchiveBucketName output); see ${BUCKET_NAME_DOC}`;
  }
  return undefined;
}

/** The event types `--event-type` may name: the catalog's and the `extraEventTypes` of `cdk.json`. */
export function defaultKnownEventTypes(): string[] {
  return [...new Set([...KNOWN_EVENT_TYPE_NAMES, ...(cdkJsonExtraEventTypes() ?? [])])];
}

/** Levenshtein distance, case-insensitive (fastest-levenshtein; a few hundred short names: cheap). */
function editDistance(a: string, b: string): number {
  return distance(a.toLowerCase(), b.toLowerCase());
}

/**
 * Up to three names close to `input`: a different case, a few typos away, or the full name of a
 * tail (`email.Open` → `users.messages.email.Open`).
 */
export function closeMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const lower = input.toLowerCase();
  const scored = candidates
    .map((candidate) => {
      const name = candidate.toLowerCase();
      const distance = name.endsWith(`.${lower}`) || name === lower ? 0 : editDistance(input, candidate);
      return { candidate, distance };
    })
    .filter(({ distance }) => distance <= Math.max(2, Math.floor(input.length / 8)))
    .sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1));
  // Only the closest: a name differing in case alone is the answer, not one a few typos away.
  const best = scored[0]?.distance ?? 0;
  return scored
    .filter(({ distance }) => distance <= (best === 0 ? 0 : best + 1))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** Every family selector of the types: `users.messages.email.Open` → `users.*`, `users.messages.*`, … */
function familiesOf(types: readonly string[]): string[] {
  const families = new Set<string>();
  for (const type of types) {
    for (let dot = type.indexOf('.'); dot !== -1; dot = type.indexOf('.', dot + 1)) {
      families.add(`${type.slice(0, dot + 1)}*`);
    }
  }
  return [...families];
}

/** Why `--event-type <selector>` selects nothing known, or undefined when it selects something. */
function selectorProblem(selector: string, knownEventTypes: readonly string[]): string | undefined {
  const star = selector.indexOf('*');
  if (selector.trim() === '' || (star !== -1 && !(isFamily(selector) && star === selector.length - 1))) {
    return `--event-type "${selector}" must be an event type, or a family ending in .* such as users.messages.email.*`;
  }
  if (knownEventTypes.some((eventType) => selects(selector, eventType))) return undefined;
  const candidates = isFamily(selector) ? familiesOf(knownEventTypes) : knownEventTypes;
  const close = closeMatches(selector, candidates);
  const what = isFamily(selector)
    ? `no event type of the catalog or of extraEventTypes starts with ${familyPrefix(selector)}`
    : `--event-type "${selector}" is not in the event catalog nor in extraEventTypes of cdk.json`;
  return `${what}${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''} (a type Braze added since: add it to extraEventTypes in cdk.json)`;
}

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
  if (value === undefined) throw usageError(`${flag} is required, e.g. ${flag} 2026-11-30T00:00:00Z`);
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00';
  if (/T\d{2}$/.test(text)) text += ':00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += 'Z';
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw usageError(`${flag} must be an ISO 8601 time such as 2026-11-30T14:00:00Z, not "${value}"`);
  }
  return time;
}

/**
 * Parses and checks the command line (`env` supplies `CURRENTS_DATA_DIR`; `knownEventTypes` what
 * `--event-type` may name, default {@link defaultKnownEventTypes}).
 * @throws UserError (exit status 2) naming the first mistake
 */
export function parseReplayArguments(
  argv: string[],
  env: NodeJS.ProcessEnv,
  knownEventTypes: readonly string[] = defaultKnownEventTypes(),
): ReplayArguments | 'help' {
  const { values, positionals } = parseOptions(argv);
  if (values.help) return 'help';
  if (positionals.length > 0) {
    throw usageError(
      `unexpected argument "${positionals[0]}": every value follows its option, e.g. --bus <name>`,
    );
  }
  const since = parseTime(values.since, '--since');
  const until = parseTime(values.until, '--until');
  if (since.getTime() >= until.getTime()) {
    throw usageError(
      `--since must be before --until (got ${since.toISOString()} and ${until.toISOString()})`,
    );
  }
  if (values.bus === undefined) {
    throw usageError('--bus is required: the name or ARN of the event bus to publish to');
  }
  const busProblem = eventBusProblem(values.bus);
  if (busProblem) throw usageError(busProblem);
  if (values.bucket !== undefined) {
    const problem = bucketNameProblem(values.bucket);
    if (problem) throw usageError(problem);
  }
  const selectors = values['event-type'] ?? [];
  for (const selector of selectors) {
    const problem = selectorProblem(selector, knownEventTypes);
    if (problem) throw usageError(problem);
  }
  if (values.source !== undefined) {
    const problem = eventSourceProblem(values.source);
    if (problem) throw usageError(`--source "${values.source}": ${problem}`);
  }
  let rate: number | undefined;
  if (values.rate !== undefined) {
    rate = Number(values.rate);
    if (values.rate.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
      throw usageError(`--rate must be a positive number of entries per second, got "${values.rate}"`);
    }
  }
  const name = values.name ?? `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (!REPLAY_NAME.test(name)) {
    throw usageError(`--name must be 1 to 64 letters, digits, ".", "_" or "-", got "${name}"`);
  }
  if (values['data-dir'] !== undefined && values['data-dir'].trim() === '') {
    throw usageError('--data-dir must name a directory');
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
