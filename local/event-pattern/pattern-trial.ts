/**
 * Trying a rule pattern against Braze events before deploying it: each event is wrapped exactly as
 * the receiver publishes it (the receiver's own entry builder, then the envelope EventBridge adds),
 * and the pattern is matched as the service would. Used by `npm run pattern`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EVENT_SOURCE } from '#lambdas/shared/contract';
import { prepareEvents } from '#lambdas/shared/entries';
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
  /** Events the receiver would not publish (not an object, no string `event_type`); never matched. */
  notPublished: number;
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
  const { prepared, invalid } = prepareEvents(events, {
    source: options.source ?? DEFAULT_EVENT_SOURCE,
    resources: options.resources ?? [],
    receivedAt: options.receivedAt ?? new Date(),
  });
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
  return {
    matched: all.filter((tally) => tally.matched > 0),
    unmatched: all.filter((tally) => tally.matched === 0),
    eventsMatched,
    eventsTotal: events.length,
    notPublished: invalid.length,
  };
}

/** One realistic event of each of the 96 Braze event types, from the project's fixture factory. */
export function fixtureEvents(seed = 42): unknown[] {
  const factory = new EventFactory({ seed });
  return BRAZE_EVENT_TYPES.map((eventType) => factory.make(eventType));
}

/** Every event of every `*.json` file in the folder, each file a JSON array of Braze events (as in Braze's samples). */
export function sampleEvents(directory: string): unknown[] {
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`no .json sample files in ${directory}`);
  return files.flatMap((file) => {
    const content: unknown = JSON.parse(readFileSync(join(directory, file), 'utf8'));
    if (!Array.isArray(content)) throw new Error(`${file} is not a JSON array of events`);
    return content;
  });
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
