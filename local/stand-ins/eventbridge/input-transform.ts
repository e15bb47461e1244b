/**
 * What a rule target receives: the whole event, the part an `InputPath` selects, a constant
 * `Input`, or an `InputTransformer` template filled from the event. Pure.
 */
import type { EventBridgeEvent } from '../../event-pattern/envelope';
import type { RouteTarget } from './routes';

/**
 * The JSON text the target receives. EventBridge sends the selected value as JSON; a template
 * that is not JSON is sent as the filled-in text.
 */
export function targetInput(target: RouteTarget, event: EventBridgeEvent, ruleName: string): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(selectJsonPath(event, target.inputPath) ?? null);
  if (target.inputTransformer) return fillTemplate(target.inputTransformer, event, ruleName);
  return JSON.stringify(event);
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
  // Inside quotes a string is inserted as its characters; elsewhere any value goes in as JSON.
  return transformer.InputTemplate.replace(
    /("?)<([\w.-]+)>("?)/g,
    (whole, open: string, name: string, close: string) => {
      if (!(name in values)) return whole;
      const value = values[name];
      if (open && close) {
        const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
        return `"${JSON.stringify(text).slice(1, -1)}"`;
      }
      return `${open}${value === undefined ? 'null' : JSON.stringify(value)}${close}`;
    },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
