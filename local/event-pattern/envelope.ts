/**
 * The event as EventBridge delivers it to rules and targets, built from a PutEvents entry: the
 * envelope fields around the entry's `Detail`, parsed. Local routing matches rules against exactly
 * this shape, so a pattern on `source`, `detail-type`, `resources` or `detail.*` behaves as deployed.
 */
import { randomUUID } from 'node:crypto';
import { parseEventJson } from './event-json';

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601, second precision, UTC (`2026-11-23T16:04:09Z`). */
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface PutEventsEntryLike {
  Source: string;
  DetailType: string;
  /** JSON text, as in PutEvents. */
  Detail: string;
  Time?: Date;
  Resources?: string[];
}

export interface EnvelopeOptions {
  /** Default `000000000000`, the account id local AWS stand-ins conventionally use. */
  account?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default a random UUID, as the service assigns one per entry. */
  id?: string;
  /** Used for `time` when the entry has no `Time`; default the current time. */
  now?: Date;
}

export const DEFAULT_LOCAL_ACCOUNT = '000000000000';
export const DEFAULT_LOCAL_REGION = 'us-east-1';

/**
 * Throws a SyntaxError when `Detail` is not JSON; callers validate entries first, as PutEvents does.
 * Numbers in `detail` keep their text (see `event-json.ts`).
 */
export function toEventBridgeEvent(
  entry: PutEventsEntryLike,
  options: EnvelopeOptions = {},
): EventBridgeEvent {
  return {
    version: '0',
    id: options.id ?? randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: options.account ?? DEFAULT_LOCAL_ACCOUNT,
    time: toEventTime(entry.Time ?? options.now ?? new Date()),
    region: options.region ?? DEFAULT_LOCAL_REGION,
    resources: [...(entry.Resources ?? [])],
    detail: parseEventJson(entry.Detail),
  };
}

/** EventBridge keeps whole seconds: `2026-11-23T16:04:09.734Z` becomes `2026-11-23T16:04:09Z`. */
export function toEventTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}
