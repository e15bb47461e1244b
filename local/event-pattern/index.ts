/**
 * A local EventBridge event-pattern matcher: validates a rule's pattern as the service does (same
 * reasons, same wording) and matches events with the service's semantics — exact values, prefix,
 * suffix, equals-ignore-case, anything-but in all its forms, numeric, exists, cidr, wildcard, `$or`,
 * nested objects, arrays, null and empty values.
 *
 * Why we wrote it ourselves: no maintained npm package implements EventBridge's full pattern
 * semantics and validation. The AWS SDK has only the remote `TestEventPattern` call, which needs an
 * account; AWS's own engine (event-ruler) is Java; the one JavaScript matcher we found
 * (`eb-patterns`) claims neither every operator nor the service's validation, and is not on the
 * registry this project installs from. Local mode applies the synthesized stack's rules to every
 * event, and a rule that matches locally must match when deployed, so this matcher is held to the
 * service's own conformance cases (`test/conformance/eventbridge-patterns.test.ts`).
 */
import { parseEventJson } from './event-json';
import { branchMatches, flattenEvent, planVisit } from './match';
import { documentFromValue, parsePatternText } from './pattern-json';
import { validatePattern } from './validate';

export {
  type EnvelopeOptions,
  type EventBridgeEvent,
  type PutEventsEntryLike,
  toEventBridgeEvent,
  toEventTime,
} from './envelope';
export { InvalidEventPatternError, type PatternTextLocation } from './errors';
export { isLosslessNumber, LosslessNumber, parseEventJson, stringifyEventJson } from './event-json';

export interface CompiledEventPattern {
  /** Whether the event (an object, as EventBridge delivers it) matches; anything else never matches. */
  matches(event: unknown): boolean;
}

/** The event given to {@link testEventPattern} is not a JSON object; worded as `TestEventPattern` words it. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor() {
    super('Parameter Event is not valid.');
  }
}

/**
 * Validates the pattern (a parsed object, or JSON text — text is read the way the service reads it,
 * so a repeated key and syntax errors behave as they do there) and prepares it for fast matching.
 * Throws {@link InvalidEventPatternError} for a pattern EventBridge would refuse.
 */
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  const document = typeof pattern === 'string' ? parsePatternText(pattern) : documentFromValue(pattern);
  const { branches } = validatePattern(document);
  const plan = planVisit(branches.flat());
  return {
    matches(event: unknown): boolean {
      if (!isObject(event)) return false;
      const flat = flattenEvent(event, plan);
      return branches.some((branch) => branchMatches(branch, flat));
    },
  };
}

/**
 * One-off check, like the `TestEventPattern` API: the pattern as in {@link compileEventPattern}, the
 * event as an object or JSON text. Throws {@link InvalidEventError} when the event is not an object.
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  const compiled = compileEventPattern(pattern);
  const parsed = typeof event === 'string' ? parseEventText(event) : event;
  if (!isObject(parsed)) throw new InvalidEventError();
  return compiled.matches(parsed);
}

function parseEventText(text: string): unknown {
  try {
    return parseEventJson(text);
  } catch {
    throw new InvalidEventError();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
