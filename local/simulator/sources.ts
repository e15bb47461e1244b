/**
 * Where simulated events come from: the project's fixture factory (any count, any mix of event
 * types or families) or a folder of Braze sample files replayed with fresh ids.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { type BrazeEvent, EventFactory, expandSelectors } from '../event-factory';

export interface FactoryEventsOptions {
  count: number;
  /** Exact event types and families (`users.messages.email.*`); default every type the connector sends. */
  types?: readonly string[];
  seed?: number;
  /** Epoch seconds for `time`; default now. */
  time?: number;
}

export function factoryEvents(options: FactoryEventsOptions): BrazeEvent[] {
  const types =
    options.types && options.types.length > 0 ? expandSelectors(options.types) : BRAZE_EVENT_TYPES;
  if (types.length === 0) throw new Error(`no known event type matches ${options.types?.join(', ')}`);
  return new EventFactory({ seed: options.seed, time: options.time }).many(options.count, types);
}

/** Reads every `*.json` file of a folder; each holds a JSON array of events (Braze's sample layout). */
export async function readSampleFolder(dir: string): Promise<unknown[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) throw new Error(`no .json sample files in ${dir}`);
  const events: unknown[] = [];
  for (const name of names) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path.join(dir, name), 'utf8'));
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${name}: expected a JSON array of events`);
    events.push(...parsed);
  }
  return events;
}

/**
 * Sample events with fresh ids, so each replay is a new set of events to the receiver's consumers.
 * With `count`, the samples are cycled (or cut) to that many. The id keeps its place among the keys,
 * so the events stay as Braze wrote them apart from the id value.
 */
export function withFreshIds(samples: readonly unknown[], count: number = samples.length): unknown[] {
  if (samples.length === 0) return [];
  const events: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const sample = samples[i % samples.length];
    events.push(
      typeof sample === 'object' && sample !== null && !Array.isArray(sample)
        ? { ...sample, id: randomUUID() }
        : sample,
    );
  }
  return events;
}
