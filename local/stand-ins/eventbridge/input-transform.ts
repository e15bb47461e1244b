/**
 * What a rule target receives: the whole event, the part an `InputPath` selects, a constant
 * `Input`, or an `InputTransformer` template filled from the event. Pure. Numbers are written as the
 * event had them (`stringifyEventJson`), never rounded through a double.
 */
import type { EventBridgeEvent } from '#local/event-pattern/envelope';
import { stringifyEventJson } from '#local/event-pattern/event-json';
import type { RouteTarget } from './routes';

/**
 * The JSON text the target receives. EventBridge sends the selected value as JSON; a template
 * that is not JSON is sent as the filled-in text.
 */
export function targetInput(target: RouteTarget, event: EventBridgeEvent, ruleName: string): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined)
    return stringifyEventJson(selectJsonPath(event, target.inputPath) ?? null);
  if (target.inputTransformer) return fillTemplate(target.inputTransformer, event, ruleName);
  return stringifyEventJson(event);
}

/** `$`, `$.detail`, `$.detail.user.id`, `$.resources[0]`: the paths InputPath and InputPathsMap use. */
export function selectJsonPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$.')) throw new Error(`Unsupported JSON path: ${path}`);
  let current: unknown = value;
  for (const segment of path.slice(2).split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(segment);
    if (!match?.[1]) throw new Error(`Unsupported JSON path: ${path}`);
    current = isRecord(current) ? current[match[1]] : undefined;
    for (const index of match[2]?.match(/\d+/g) ?? []) {
      current = Array.isArray(current) ? current[Number(index)] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function fillTemplate(
  transformer: NonNullable<RouteTarget['inputTransformer']>,
  event: EventBridgeEvent,
  ruleName: string,
): string {
  const values: Record<string, unknown> = {
    'aws.events.rule-name': ruleName,
    'aws.events.event': event,
    'aws.events.event.json': event,
    'aws.events.event.ingestion-time': event.time,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    values[name] = selectJsonPath(event, path);
  }
  // Inside a JSON string a value goes in as its text; elsewhere as JSON, as EventBridge does.
  let output = '';
  let insideString = false;
  for (let index = 0; index < transformer.InputTemplate.length; index += 1) {
    const character = transformer.InputTemplate[index] as string;
    if (character === '\\' && insideString) {
      output += character + (transformer.InputTemplate[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (character === '"') insideString = !insideString;
    const placeholder =
      character === '<' ? /^<([\w.-]+)>/.exec(transformer.InputTemplate.slice(index)) : null;
    if (placeholder?.[1] !== undefined && placeholder[1] in values) {
      const value = values[placeholder[1]];
      output += insideString
        ? JSON.stringify(typeof value === 'string' ? value : stringifyEventJson(value ?? null)).slice(1, -1)
        : stringifyEventJson(value ?? null);
      index += placeholder[0].length - 1;
      continue;
    }
    output += character;
  }
  return output;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
