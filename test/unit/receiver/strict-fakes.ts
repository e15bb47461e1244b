/**
 * Strict fakes of PutEvents, SendMessageBatch and PutObject for the receiver's tests: each enforces
 * the documented AWS limits with AWS's error codes, written from the AWS pages (cited per check),
 * NOT from the receiver's code, and each can hang (never answer) to stand for a dependency that
 * is down. Install them on aws-sdk-client-mock mocks with `.callsFake(fake.handle)`.
 */

/** An error shaped like the SDK's service exceptions (name, HTTP status, $fault). */
export function awsError(name: string, status: number, message: string): Error {
  const error = new Error(message) as Error & { $metadata: object; $fault: string };
  error.name = name;
  error.$metadata = { httpStatusCode: status };
  error.$fault = status >= 500 ? 'server' : 'client';
  return error;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Never settles: a dependency that does not answer. */
export const hang = () => new Promise<never>(() => undefined);

/** Depth of a parsed JSON value, iteratively (an object or array is one level). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current === 'object' && current !== null) {
      max = Math.max(max, depth + 1);
      for (const child of Object.values(current)) stack.push([child, depth + 1]);
    }
  }
  return max;
}

/** Every integer literal of a JSON text (outside strings), as BigInt. */
function integerLiterals(text: string): bigint[] {
  const withoutStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return (withoutStrings.match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g) ?? [])
    .filter((literal) => /^-?\d+$/.test(literal))
    .map((literal) => BigInt(literal));
}

export interface StrictPutEvents {
  handle: (input: {
    Entries?: {
      Source?: string;
      DetailType?: string;
      Detail?: string;
      Resources?: string[];
      Time?: Date;
    }[];
  }) => Promise<unknown>;
  /** Every entry EventBridge accepted, in order. */
  accepted: { DetailType?: string; Detail?: string; Source?: string }[];
  calls: number;
  mode: 'accept' | 'throttle-all' | 'hang';
  /** Entries with this DetailType make the whole call fail with ValidationException. */
  poisonDetailType?: string;
}

/**
 * PutEvents per https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html and
 * API_PutEventsRequestEntry.html: 1–10 entries (else ValidationException for the call); the request
 * at most 1 MB counted per eb-putevent-size.html (14 for Time, UTF-8 bytes of Source, DetailType,
 * Detail, Resources; else ValidationException); per entry: DetailType 1–128 and Source 1–256
 * characters, each Resource at most 2,048 (ValidationException for the call, as the API's length
 * constraints are request validation); Detail a JSON object, nested at most 1,000 levels and with
 * integers in the signed 64-bit range (entry error MalformedDetail).
 */
export function strictPutEvents(): StrictPutEvents {
  const fake: StrictPutEvents = {
    accepted: [],
    calls: 0,
    mode: 'accept',
    handle: async (input) => {
      fake.calls++;
      if (fake.mode === 'hang') return hang();
      const entries = input.Entries ?? [];
      if (entries.length < 1 || entries.length > 10) {
        throw awsError('ValidationException', 400, 'Entries must have length between 1 and 10');
      }
      let total = 0;
      for (const entry of entries) {
        const source = entry.Source ?? '';
        const detailType = entry.DetailType ?? '';
        if (detailType.length < 1 || detailType.length > 128) {
          throw awsError('ValidationException', 400, 'DetailType must have length between 1 and 128');
        }
        if (source.length < 1 || source.length > 256) {
          throw awsError('ValidationException', 400, 'Source must have length between 1 and 256');
        }
        if ((entry.Resources ?? []).some((resource) => resource.length > 2048)) {
          throw awsError('ValidationException', 400, 'Resources members must have length <= 2048');
        }
        if (fake.poisonDetailType !== undefined && detailType === fake.poisonDetailType) {
          throw awsError('ValidationException', 400, 'refused as invalid');
        }
        total += (entry.Time ? 14 : 0) + utf8(source) + utf8(detailType) + utf8(entry.Detail ?? '');
        for (const resource of entry.Resources ?? []) total += utf8(resource);
      }
      if (total > 1024 * 1024) {
        throw awsError(
          'ValidationException',
          400,
          'Total size of the entries in the request is over the limit',
        );
      }
      if (fake.mode === 'throttle-all') {
        return {
          FailedEntryCount: entries.length,
          Entries: entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
        };
      }
      const results = entries.map((entry) => {
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail ?? '');
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        const isObject = typeof detail === 'object' && detail !== null && !Array.isArray(detail);
        const tooDeep = depthOf(detail) > 1000;
        const outOfRange = integerLiterals(entry.Detail ?? '').some(
          (value) => value < -(2n ** 63n) || value > 2n ** 63n - 1n,
        );
        if (!isObject || tooDeep || outOfRange) {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        fake.accepted.push(entry);
        return { EventId: `event-${fake.accepted.length}` };
      });
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
  };
  return fake;
}

/**
 * SendMessageBatch per https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html:
 * 1–10 entries (TooManyEntriesInBatchRequest / EmptyBatchRequest), each body and all bodies
 * together at most 1 MiB (BatchRequestTooLong), only XML 1.0 characters (InvalidMessageContents).
 */
export function strictSendMessageBatch() {
  const fake = {
    bodies: [] as string[],
    mode: 'accept' as 'accept' | 'hang' | 'fail',
    handle: async (input: { Entries?: { Id?: string; MessageBody?: string }[] }) => {
      if (fake.mode === 'hang') return hang();
      if (fake.mode === 'fail') throw awsError('InternalError', 500, 'SQS is down');
      const entries = input.Entries ?? [];
      if (entries.length === 0) throw awsError('EmptyBatchRequest', 400, 'empty batch');
      if (entries.length > 10) throw awsError('TooManyEntriesInBatchRequest', 400, 'too many entries');
      const total = entries.reduce((sum, entry) => sum + utf8(entry.MessageBody ?? ''), 0);
      if (total > 1024 * 1024) throw awsError('BatchRequestTooLong', 400, 'batch over 1 MiB');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 excludes
      const invalid = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
      if (entries.some((entry) => invalid.test(entry.MessageBody ?? ''))) {
        throw awsError('InvalidMessageContents', 400, 'invalid characters');
      }
      fake.bodies.push(...entries.map((entry) => entry.MessageBody ?? ''));
      return { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
    },
  };
  return fake;
}

/**
 * PutObject per https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: keys of
 * 1–1,024 UTF-8 bytes (KeyTooLongError). It also refuses (as a local file store would be hurt by
 * them) keys with an empty, `.` or `..` segment: no such key is ever acceptable from the receiver.
 */
export function strictPutObject() {
  const fake = {
    objects: new Map<string, string>(),
    mode: 'accept' as 'accept' | 'hang' | 'fail',
    handle: async (input: { Key?: string; Body?: unknown }) => {
      if (fake.mode === 'hang') return hang();
      if (fake.mode === 'fail') throw awsError('InternalError', 500, 'S3 is down');
      const key = input.Key ?? '';
      if (utf8(key) < 1 || utf8(key) > 1024) throw awsError('KeyTooLongError', 400, 'Your key is too long');
      if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
        throw new Error(`unsafe key ${key}`);
      }
      fake.objects.set(key, String(input.Body));
      return {};
    },
  };
  return fake;
}
