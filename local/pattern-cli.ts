/**
 * `npm run pattern -- '<pattern JSON>'` or `npm run pattern -- --pattern-file rule.json`: which Braze
 * event types would a rule with this pattern receive from currents-bridge? Exits 1 with EventBridge's
 * own error message when the service would refuse the pattern.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { runCli } from '#lib/cli';
import { InvalidEventPatternError } from './event-pattern';
import {
  type EventTypeTally,
  fixtureEvents,
  patternFromRuleFile,
  sampleEvents,
  tryPattern,
} from './event-pattern/pattern-trial';

/** EventBridge's default maximum length of a rule's event pattern (a service quota, adjustable to 4096). */
const DEFAULT_PATTERN_QUOTA = 2048;

export interface CliOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

const USAGE = `Usage:
  npm run pattern -- '<event pattern JSON>' [options]
  npm run pattern -- --pattern-file rule.json [options]

Matches the pattern, as EventBridge would, against Braze events wrapped exactly as the receiver
publishes them, and prints which event types a rule with this pattern would receive.

Options:
  --pattern-file FILE   read the pattern from FILE (the pattern, or \`aws events describe-rule\` output)
  --samples DIR         use every event of the *.json files in DIR (each a JSON array of Braze events),
                        e.g. ../shared/braze-currents/samples; default: one realistic event of each of
                        the 96 Braze event types from the project's fixture factory
  --source NAME         Source of the published events (default ${DEFAULT_EVENT_SOURCE})
  --resource KEY=VALUE  a query parameter of the connector URL, published as a resource (repeatable)
  --show-unmatched      also list the event types that do not match
  -h, --help            show this help

Exit status: 0 when the pattern is valid (whatever it matches), 1 when EventBridge would refuse it,
2 for a usage error.`;

/** Runs the CLI; returns the exit status. */
export function runPatternCli(argv: readonly string[], output: CliOutput): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    output.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    output.stdout(USAGE);
    return 0;
  }
  const patternSources = positionals.length + (values['pattern-file'] === undefined ? 0 : 1);
  if (patternSources !== 1) {
    output.stderr(`Give exactly one pattern: as an argument or with --pattern-file.\n\n${USAGE}`);
    return 2;
  }

  let pattern: string;
  let events: unknown[];
  let texts: string[] | undefined;
  let eventsDescription: string;
  try {
    pattern =
      values['pattern-file'] === undefined
        ? (positionals[0] as string)
        : patternFromRuleFile(readPatternFile(values['pattern-file']));
    if (values.samples === undefined) {
      events = fixtureEvents();
      eventsDescription = 'one event of each Braze event type, from the fixture factory';
    } else {
      ({ events, texts } = sampleEvents(values.samples));
      eventsDescription = `the samples in ${values.samples}`;
    }
  } catch (error) {
    output.stderr((error as Error).message);
    return 2;
  }

  const source = values.source ?? DEFAULT_EVENT_SOURCE;
  const resources = values.resource ?? [];
  const notKeyValue = resources.find((resource) => !resource.includes('='));
  if (notKeyValue !== undefined) {
    // The receiver publishes every query parameter as `key=value` (docs/receiver.md).
    output.stderr(`--resource must be KEY=VALUE (a connector URL query parameter), got "${notKeyValue}"`);
    return 2;
  }
  let result: ReturnType<typeof tryPattern>;
  try {
    result = tryPattern(pattern, events, { source, resources, ...(texts ? { texts } : {}) });
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      output.stderr(error.message);
      return 1;
    }
    throw error;
  }

  if (pattern.length > DEFAULT_PATTERN_QUOTA) {
    output.stdout(
      `Note: the pattern has ${pattern.length} characters; EventBridge's default quota for a rule's pattern is ${DEFAULT_PATTERN_QUOTA} (adjustable to 4096).`,
    );
  }
  const published =
    resources.length > 0 ? `source "${source}", resources ${resources.join(', ')}` : `source "${source}"`;
  output.stdout(`${result.eventsTotal} events (${eventsDescription}), published with ${published}`);
  output.stdout('');
  output.stdout(
    `Matched: ${plural(result.matched.length, 'event type')} (${result.eventsMatched} of ${result.eventsTotal} events)`,
  );
  for (const line of tallyLines(result.matched)) output.stdout(line);
  const unmatchedEvents = result.unmatched.reduce((sum, tally) => sum + tally.total, 0);
  output.stdout(
    `Not matched: ${plural(result.unmatched.length, 'event type')} (${plural(unmatchedEvents, 'event')})`,
  );
  if (values['show-unmatched']) for (const line of tallyLines(result.unmatched)) output.stdout(line);
  if (result.notPublished > 0) {
    output.stdout(
      `Not published by the receiver (kept in its quarantine): ${plural(result.notPublished, 'event')}`,
    );
    const width = Math.max(...result.notPublishedReasons.map((tally) => String(tally.events).length));
    for (const { reason, events: count } of result.notPublishedReasons) {
      output.stdout(`  ${String(count).padStart(width)}  ${reason}`);
    }
  }
  return 0;
}

/** The text of `--pattern-file`; an unreadable path is an Error naming the file and why. */
function readPatternFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EISDIR' ? 'is a directory' : code === 'ENOENT' ? 'does not exist' : (error as Error).message;
    throw new Error(`--pattern-file ${file}: ${why}`);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'pattern-file': { type: 'string' },
      samples: { type: 'string' },
      source: { type: 'string' },
      resource: { type: 'string', multiple: true },
      'show-unmatched': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function tallyLines(tallies: readonly EventTypeTally[]): string[] {
  const width = Math.max(0, ...tallies.map((tally) => tally.eventType.length));
  return tallies
    .slice()
    .sort((a, b) => a.eventType.localeCompare(b.eventType))
    .map(
      (tally) => `  ${tally.eventType.padEnd(width)}  ${tally.matched} of ${plural(tally.total, 'event')}`,
    );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli(() =>
    runPatternCli(process.argv.slice(2), {
      stdout: (line) => console.log(line),
      stderr: (line) => console.error(line),
    }),
  );
}
