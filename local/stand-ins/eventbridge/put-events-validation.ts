/**
 * PutEvents' request and entry checks, as the service applies them: the whole call is refused
 * (`ValidationException`) for no entry or more than 10, a member outside its length or pattern
 * constraint, or more than the request size limit; each entry is otherwise accepted or refused on
 * its own, with the service's error codes (and its words, where they are on record).
 *
 * Independent of the receiver on purpose: the stand-in checks the receiver's chunking and
 * validation, and limits shared with it would agree with themselves even if they were wrong.
 */

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

/**
 * PutEvents' limits, each from the EventBridge API reference (PutEvents, PutEventsRequestEntry,
 * PutEventsResultEntry: https://docs.aws.amazon.com/eventbridge/latest/APIReference/), written down
 * here on their own rather than imported from the receiver, which this stand-in checks.
 */
export const PUT_EVENTS_RULES = {
  /** `Entries`: "Array Members: Minimum number of 1 item. Maximum number of 10 items." */
  minEntries: 1,
  maxEntries: 10,
  /** The total entry size, counted by {@link entrySize}: 1 MB ("Amazon EventBridge quotas"). */
  maxRequestBytes: 1024 * 1024,
  /** `DetailType`: "Free-form string, with a maximum of 128 characters". */
  maxDetailTypeLength: 128,
  /** `EventBusName`: "Length Constraints: Minimum length of 1. Maximum length of 1600." and a pattern. */
  maxEventBusNameLength: 1600,
  eventBusNamePattern:
    /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[.\-_A-Za-z0-9]+$/,
  eventBusNamePatternText:
    '(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+',
  /** Each of `Resources`: "Length Constraints: Maximum length of 2048." */
  maxResourceLength: 2048,
  /** `TraceHeader`: "Length Constraints: Minimum length of 1. Maximum length of 500." */
  maxTraceHeaderLength: 500,
  /** PutEvents: "PutEvents will only process nested JSON up to 1000 levels deep." */
  maxDetailDepth: 1000,
  /**
   * PutEvents: "For the JSON number (integer) data type, the constraints are: a minimum value of
   * -9,223,372,036,854,775,808 and a maximum value of 9,223,372,036,854,775,807."
   */
  minInteger: -(2n ** 63n),
  maxInteger: 2n ** 63n - 1n,
} as const;

/**
 * The reason the whole call is refused (`ValidationException`), or undefined when the entries may be
 * looked at one by one: the number of entries, the members' length and pattern constraints (worded
 * as AWS's request validation words every constraint failure: `N validation error(s) detected:
 * Value '…' at 'entries.1.member.eventBusName' failed to satisfy constraint: …`), and the total
 * size.
 */
export function requestValidationError(entries: readonly PutEventsEntryInput[]): string | undefined {
  if (entries.length < PUT_EVENTS_RULES.minEntries) {
    return `1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to ${PUT_EVENTS_RULES.minEntries}`;
  }
  if (entries.length > PUT_EVENTS_RULES.maxEntries) {
    return `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_RULES.maxEntries}`;
  }
  const problems = entries.flatMap((entry, index) => memberConstraintProblems(entry, index + 1));
  if (problems.length > 0) {
    const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected`;
    return `${count}: ${problems.join('; ')}`;
  }
  const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > PUT_EVENTS_RULES.maxRequestBytes) {
    return 'Total size of the entries in the request is over the limit.';
  }
  return undefined;
}

function memberConstraintProblems(entry: PutEventsEntryInput, position: number): string[] {
  const problems: string[] = [];
  const at = (member: string, value: string, constraint: string) =>
    problems.push(
      `Value '${value}' at 'entries.${position}.member.${member}' failed to satisfy constraint: ${constraint}`,
    );
  const busName = entry.EventBusName;
  if (typeof busName === 'string') {
    if (busName.length < 1) at('eventBusName', busName, 'Member must have length greater than or equal to 1');
    if (busName.length > PUT_EVENTS_RULES.maxEventBusNameLength) {
      at(
        'eventBusName',
        busName,
        `Member must have length less than or equal to ${PUT_EVENTS_RULES.maxEventBusNameLength}`,
      );
    }
    if (busName.length > 0 && !PUT_EVENTS_RULES.eventBusNamePattern.test(busName)) {
      at(
        'eventBusName',
        busName,
        `Member must satisfy regular expression pattern: ${PUT_EVENTS_RULES.eventBusNamePatternText}`,
      );
    }
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources) {
      if (typeof resource === 'string' && resource.length > PUT_EVENTS_RULES.maxResourceLength) {
        at(
          'resources',
          `[${entry.Resources.join(', ')}]`,
          `Member must satisfy constraint: [Member must have length less than or equal to ${PUT_EVENTS_RULES.maxResourceLength}]`,
        );
        break;
      }
    }
  }
  const trace = entry.TraceHeader;
  if (typeof trace === 'string') {
    if (trace.length < 1) at('traceHeader', trace, 'Member must have length greater than or equal to 1');
    if (trace.length > PUT_EVENTS_RULES.maxTraceHeaderLength) {
      at(
        'traceHeader',
        trace,
        `Member must have length less than or equal to ${PUT_EVENTS_RULES.maxTraceHeaderLength}`,
      );
    }
  }
  return problems;
}

/**
 * Why one entry is refused, in the service's codes (PutEventsResultEntry `ErrorCode`), or undefined.
 *
 * - `Source`, `DetailType`, `Detail` missing or empty: `InvalidArgument`, `Parameter X is not valid.
 *   Reason: X is a required argument.` (the service's words, as recorded by AWS-validated tests).
 *   The API reference adds that a call none of whose entries has all three fails as a whole;
 *   AWS-validated tests show a single such entry failing on its own, so it is per entry here.
 * - A `DetailType` over 128 characters: `InvalidArgument` (the limit is documented; the message
 *   wording is ours).
 * - A `Source` starting with `aws.`: `NotAuthorizedForSourceException`.
 * - A `Detail` that is not a JSON object, nests deeper than 1000 levels, or holds an integer
 *   outside the signed 64-bit range: `MalformedDetail`, `Detail is malformed.` ("The JSON provided
 *   is not valid"; which code the service gives for depth and range is not documented).
 */
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
  const detailType = entry.DetailType as string;
  if (detailType.length > PUT_EVENTS_RULES.maxDetailTypeLength) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter DetailType is not valid. Reason: DetailType is longer than ${PUT_EVENTS_RULES.maxDetailTypeLength} characters.`,
    };
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  if (!isAcceptableDetail(entry.Detail as string)) {
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

/** A JSON object within the depth and integer limits of {@link PUT_EVENTS_RULES}. */
export function isAcceptableDetail(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  return withinDepthAndIntegerLimits(text);
}

/**
 * Walks valid JSON text once: the deepest nesting of objects and arrays (the Detail object itself
 * is level 1), and every integer literal (no fraction, no exponent) compared exactly as a BigInt.
 */
function withinDepthAndIntegerLimits(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) {
      // Skip the string, escapes included.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 92) i++;
        else if (inner === 34) break;
      }
    } else if (code === 123 || code === 91) {
      depth++;
      if (depth > PUT_EVENTS_RULES.maxDetailDepth) return false;
    } else if (code === 125 || code === 93) {
      depth--;
    } else if (code === 45 || (code >= 48 && code <= 57)) {
      let end = i + 1;
      let integer = true;
      for (; end < text.length; end++) {
        const next = text.charCodeAt(end);
        if (next === 46 || next === 101 || next === 69 || next === 43 || (next === 45 && end > i))
          integer = false;
        else if (!(next >= 48 && next <= 57)) break;
      }
      if (integer) {
        const value = BigInt(text.slice(i, end));
        if (value < PUT_EVENTS_RULES.minInteger || value > PUT_EVENTS_RULES.maxInteger) return false;
      }
      i = end - 1;
    }
  }
  return true;
}
