/**
 * The Currents envelope `{"events":[…]}`. Braze checks credentials with an empty body, `{}` or
 * `{"events":[]}`; those are valid and carry nothing.
 */
import { sliceEvents, type ValueShape } from '../shared/event-slices';

export type EnvelopeResult =
  /**
   * `texts[i]` is the source text of `events[i]`, and `shapes[i]` its nesting and digit runs, when
   * the scanner could tell.
   */
  | { kind: 'events'; events: unknown[]; texts?: string[]; shapes?: ValueShape[] }
  | { kind: 'invalid'; message: string };

export function parseEnvelope(text: string): EnvelopeResult {
  // Stops at the first non-blank character; trim() would copy the whole body.
  if (!/\S/.test(text)) return { kind: 'events', events: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'invalid', message: 'body is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'invalid', message: 'body is not a JSON object' };
  }
  if (!Object.hasOwn(parsed, 'events')) {
    return Object.keys(parsed).length === 0
      ? { kind: 'events', events: [] }
      : { kind: 'invalid', message: 'body has no events array' };
  }
  const events = (parsed as { events: unknown }).events;
  if (!Array.isArray(events)) return { kind: 'invalid', message: 'events is not an array' };
  const shapes: ValueShape[] = [];
  const texts = sliceEvents(text, shapes);
  // A count that does not match would mean a scanner bug: then every Detail is re-serialized.
  return texts?.length === events.length && shapes.length === events.length
    ? { kind: 'events', events, texts, shapes }
    : { kind: 'events', events };
}
