/**
 * The Currents envelope `{"events":[…]}`. Braze checks credentials with an empty body, `{}` or
 * `{"events":[]}`; those are valid and carry nothing.
 */
export type EnvelopeResult = { kind: 'events'; events: unknown[] } | { kind: 'invalid'; message: string };

export function parseEnvelope(text: string): EnvelopeResult {
  if (text.trim() === '') return { kind: 'events', events: [] };
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
  return { kind: 'events', events };
}
