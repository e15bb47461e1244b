/**
 * Trying a rule pattern against Braze events before deploying it: each event is wrapped exactly as
 * the receiver publishes it (the receiver's own entry builder, then the envelope EventBridge adds),
 * and the pattern is matched as the service would. Used by `npm run pattern`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { prepareEvents } from '#lambdas/shared/entries';
import { sliceEvents } from '#lambdas/shared/event-slices';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { EventFactory } from '../event-factory';
import { toEventBridgeEvent } from './envelope';
import { compileEventPattern } from './index';

export interface PatternTrialOptions {
  /** `Source` of the published entries; default `braze.currents`, as the receiver publishes. */
  source?: string;
  /** `key=value` strings the receiver takes from the connector URL's query (e.g. `app_group=brand-a`). */
  resources?: readonly string[];
  /** The time the receiver stamps on events without a valid Braze `time`; default now. */
  receivedAt?: Date;
  /**
   * The source text of each event (`events[i]`), published as `Detail` byte for byte, as the
   * receiver publishes what Braze sent (numbers beyond 2^53 intact). Default `JSON.stringify`.
   */
  texts?: readonly string[];
}

/** Events the receiver would not publish, by the reason it gives (`lambdas/shared/entries.ts`). */
export interface NotPublishedTally {
  reason: string;
  events: number;
}

export interface EventTypeTally {
  eventType: string;
  matched: number;
  total: number;
}

export interface PatternTrialResult {
  /** Event types with at least one matching event, in the order first seen. */
  matched: EventTypeTally[];
  /** Event types none of whose events matched. */
  unmatched: EventTypeTally[];
  eventsMatched: number;
  eventsTotal: number;
  /** Events the receiver would not publish (not an object, no string `event_type`, …); never matched. */
  notPublished: number;
  /** The same events by reason, most frequent first. */
  notPublishedReasons: NotPublishedTally[];
}

/**
 * Matches the pattern (object or JSON text) against the events. Throws
 * {@link InvalidEventPatternError} when the pattern is one EventBridge would refuse.
 */
export function tryPattern(
  pattern: unknown,
  events: readonly unknown[],
  options: PatternTrialOptions = {},
): PatternTrialResult {
  const rule = compileEventPattern(pattern);
  const { prepared, invalid } = prepareEvents(
    events,
    {
      source: options.source ?? DEFAULT_EVENT_SOURCE,
      resources: options.resources ?? [],
      receivedAt: options.receivedAt ?? new Date(),
    },
    options.texts,
  );
  const tallies = new Map<string, EventTypeTally>();
  let eventsMatched = 0;
  for (const { eventType, entry } of prepared) {
    const tally = tallies.get(eventType) ?? { eventType, matched: 0, total: 0 };
    tallies.set(eventType, tally);
    tally.total++;
    if (rule.matches(toEventBridgeEvent(entry))) {
      tally.matched++;
      eventsMatched++;
    }
  }
  const all = [...tallies.values()];
  const reasons = new Map<string, number>();
  for (const { error } of invalid) reasons.set(error, (reasons.get(error) ?? 0) + 1);
  return {
    matched: all.filter((tally) => tally.matched > 0),
    unmatched: all.filter((tally) => tally.matched === 0),
    eventsMatched,
    eventsTotal: events.length,
    notPublished: invalid.length,
    notPublishedReasons: [...reasons]
      .map(([reason, count]) => ({ reason, events: count }))
      .sort((a, b) => b.events - a.events || (a.reason < b.reason ? -1 : 1)),
  };
}

/** One realistic event of each of the 96 Braze event types, from the project's fixture factory. */
export function fixtureEvents(seed = 42): unknown[] {
  const factory = new EventFactory({ seed });
  return BRAZE_EVENT_TYPES.map((eventType) => factory.make(eventType));
}

/** Events read from sample files: each parsed, and its source text as it stands in the file. */
export interface SampleEvents {
  /** As `JSON.parse` reads them (what the receiver checks `event_type` and `time` on). */
  events: unknown[];
  /** The text of each event in its file, byte for byte: what the receiver would publish as `Detail`. */
  texts: string[];
}

/**
 * Every event of every `*.json` file in the folder, each file a JSON array of Braze events (as in
 * Braze's samples), with the source text of each: the receiver publishes an event's text as it
 * came, so numbers `JSON.parse` would round (integers beyond 2^53) reach rules intact.
 * @throws Error naming the folder or file that cannot be read, is not JSON or not an array
 */
export function sampleEvents(directory: string): SampleEvents {
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no .json sample files in ${directory}`);
  const samples: SampleEvents = { events: [], texts: [] };
  for (const file of files) {
    const text = readFileSync(join(directory, file), 'utf8');
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file} is not JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(content)) throw new Error(`${file} is not a JSON array of events`);
    // The receiver's own scanner finds each element's text (it reads `{"events":[…]}` bodies).
    const texts = sliceEvents(`{"events":${text}}`);
    if (texts?.length !== content.length) throw new Error(`${file}: cannot find the text of each event`);
    samples.events.push(...content);
    samples.texts.push(...texts);
  }
  return samples;
}

/**
 * The pattern in a rule file: the pattern itself, or the output of `aws events describe-rule` (whose
 * `EventPattern` holds the pattern as text).
 */
export function patternFromRuleFile(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'EventPattern' in parsed) {
      const { EventPattern } = parsed as { EventPattern: unknown };
      if (typeof EventPattern === 'string') return EventPattern;
    }
  } catch {
    // Not JSON: compiling it reports the syntax error in the service's words.
  }
  return text;
}
