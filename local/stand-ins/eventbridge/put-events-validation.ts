/**
 * PutEvents' request and entry checks, as the service applies them: the whole call is refused
 * (`ValidationException`) for more than 10 entries or more than the request size limit; each
 * entry is otherwise accepted or refused on its own, with the service's error codes and words.
 */
import { PUT_EVENTS_LIMITS } from '../../../lambdas/shared/contract';

export interface PutEventsEntryInput {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  /** Epoch seconds on the JSON wire. */
  Time?: unknown;
  EventBusName?: unknown;
  TraceHeader?: unknown;
}

export interface EntryError {
  ErrorCode: string;
  ErrorMessage: string;
}

/**
 * Size as EventBridge counts it ("Calculating PutEvents event entry size", EventBridge user guide).
 * Deliberately not the receiver's `entrySize`: the stand-in checks the receiver's chunking, and a
 * shared function would agree with itself even if it miscounted.
 */
export function entrySize(entry: PutEventsEntryInput): number {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail]) {
    if (typeof text === 'string') size += Buffer.byteLength(text, 'utf8');
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources) {
      if (typeof resource === 'string') size += Buffer.byteLength(resource, 'utf8');
    }
  }
  return size;
}

/** The reason the whole call is refused, or undefined when the entries may be looked at one by one. */
export function requestValidationError(entries: readonly PutEventsEntryInput[]): string | undefined {
  if (entries.length === 0) {
    return "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1";
  }
  if (entries.length > PUT_EVENTS_LIMITS.maxEntriesPerRequest) {
    return `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_LIMITS.maxEntriesPerRequest}`;
  }
  const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > PUT_EVENTS_LIMITS.maxRequestBytes) {
    return 'Total size of the entries in the request is over the limit.';
  }
  return undefined;
}

export function entryValidationError(entry: PutEventsEntryInput): EntryError | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[field];
    if (typeof value !== 'string' || value.length === 0) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  if (!isJsonObjectText(entry.Detail as string)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** `my-bus` and `arn:aws:events:us-east-1:123456789012:event-bus/my-bus` name the same bus. */
export function eventBusNameOf(entry: PutEventsEntryInput): string {
  const name =
    typeof entry.EventBusName === 'string' && entry.EventBusName.length > 0 ? entry.EventBusName : 'default';
  const arnMarker = ':event-bus/';
  return name.includes(arnMarker) ? name.slice(name.indexOf(arnMarker) + arnMarker.length) : name;
}

/** JSON-protocol timestamps are epoch seconds (maybe fractional); strings are accepted as ISO dates. */
export function entryTime(entry: PutEventsEntryInput): Date | undefined {
  if (typeof entry.Time === 'number' && Number.isFinite(entry.Time)) return new Date(entry.Time * 1000);
  if (typeof entry.Time === 'string') {
    const parsed = new Date(entry.Time);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  return undefined;
}

function isJsonObjectText(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}
