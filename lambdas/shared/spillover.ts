/**
 * The spillover queue's message format and how entries are packed into it. A message body is
 * `{"version":1,"batchId":"…","entries":[…]}`, each entry a PutEvents entry without
 * `EventBusName` (`Time` as an ISO string), so the redrive publishes to whatever bus it is given.
 */
import * as z from 'zod/mini';
import './zod-locale';
import { SQS_LIMITS } from './aws-limits';
import type { BusEntry } from './bus-entry';
import { chunkBySize } from './chunking';
import { withDeadline } from './deadline';

export const SPILLOVER_MESSAGE_VERSION = 1;

/** SQS accepts messages, and SendMessageBatch requests, of up to 1 MiB (sources in `aws-limits.ts`). */
export { SQS_LIMITS };

export interface SpilloverMessage {
  id: string;
  body: string;
}

/** SendMessageBatch on the spillover queue; returns the ids SQS did not take. Throws when the call fails. */
export interface SpilloverPort {
  sendMessages(messages: readonly SpilloverMessage[], signal?: AbortSignal): Promise<{ failedIds: string[] }>;
}

export class SpilloverError extends Error {
  override name = 'SpilloverError';
}

/**
 * SQS refuses a body with characters outside XML 1.0's set. JSON.stringify already escapes control
 * characters and lone surrogates; U+FFFE and U+FFFF are the only ones left to escape.
 */
function sqsSafe(json: string): string {
  return json.replace(/[\uFFFE\uFFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
}

function serializeEntry(entry: BusEntry): string {
  return sqsSafe(
    JSON.stringify({
      Source: entry.Source,
      DetailType: entry.DetailType,
      Detail: entry.Detail,
      Time: entry.Time.toISOString(),
      ...(entry.Resources ? { Resources: entry.Resources } : {}),
    }),
  );
}

/** Packs entries into as few message bodies of at most `maxMessageBytes` as order allows. */
export function buildSpilloverBodies(
  batchId: string,
  entries: readonly BusEntry[],
  maxMessageBytes: number = SQS_LIMITS.maxMessageBytes,
): string[] {
  const head = `{"version":${SPILLOVER_MESSAGE_VERSION},"batchId":${JSON.stringify(batchId)},"entries":[`;
  const tail = ']}';
  const envelopeBytes = Buffer.byteLength(head) + tail.length;
  const serialized = entries.map((entry) => {
    const json = serializeEntry(entry);
    return { json, bytes: Buffer.byteLength(json) + 1 };
  });
  const tooLarge = serialized.find((item) => item.bytes + envelopeBytes > maxMessageBytes);
  if (tooLarge) {
    throw new SpilloverError(`an entry of ${tooLarge.bytes} bytes does not fit in one spillover message`);
  }
  return chunkBySize(serialized, (item) => item.bytes, {
    maxItems: Number.POSITIVE_INFINITY,
    maxBytes: maxMessageBytes - envelopeBytes,
  }).map((group) => head + group.map((item) => item.json).join(',') + tail);
}

/**
 * Sends bodies in SendMessageBatch calls of at most 10 messages and 1 MiB, all calls at once, and
 * sends what SQS did not take once more, each call within `timeLeftMs()`. Throws {@link SpilloverError} when anything is still
 * unsent, so the caller can answer 503 and let Braze retry.
 */
export async function sendToSpillover(
  bodies: readonly string[],
  port: SpilloverPort,
  /** Milliseconds each call may still take (the caller's deadline); unbounded by default. */
  timeLeftMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<void> {
  const messages = bodies.map((body, index) => ({ id: String(index), body }));
  const sendGroup = async (group: SpilloverMessage[]): Promise<SpilloverMessage[]> => {
    try {
      const { failedIds } = await withDeadline(
        timeLeftMs(),
        (signal) => port.sendMessages(group, signal),
        'SendMessageBatch',
      );
      return group.filter((message) => failedIds.includes(message.id));
    } catch {
      return group;
    }
  };
  const sendAll = async (pending: SpilloverMessage[]): Promise<SpilloverMessage[]> => {
    const groups = chunkBySize(pending, (message) => Buffer.byteLength(message.body), {
      maxItems: SQS_LIMITS.maxBatchEntries,
      maxBytes: SQS_LIMITS.maxBatchBytes,
    });
    return (await Promise.all(groups.map(sendGroup))).flat();
  };
  let unsent = await sendAll(messages);
  if (unsent.length > 0) unsent = await sendAll(unsent);
  if (unsent.length > 0) {
    throw new SpilloverError(`${unsent.length} of ${messages.length} spillover messages were not accepted`);
  }
}

const spilloverEntrySchema = z.object({
  Source: z.string().check(z.minLength(1)),
  DetailType: z.string().check(z.minLength(1)),
  Detail: z.string().check(z.minLength(2)),
  Time: z.pipe(
    z.iso.datetime(),
    z.transform((value: string) => new Date(value)),
  ),
  Resources: z.optional(z.array(z.string())),
});

const spilloverMessageSchema = z.object({
  version: z.literal(SPILLOVER_MESSAGE_VERSION),
  batchId: z.string(),
  entries: z.array(spilloverEntrySchema).check(z.minLength(1)),
});

export interface ParsedSpilloverMessage {
  batchId: string;
  entries: BusEntry[];
}

/** Parses a spillover message body; throws with a readable reason when it is not one. */
export function parseSpilloverMessage(body: string): ParsedSpilloverMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new SpilloverError(`not JSON: ${(error as Error).message}`);
  }
  const parsed = spilloverMessageSchema.safeParse(json);
  if (!parsed.success) throw new SpilloverError(`not a spillover message: ${z.prettifyError(parsed.error)}`);
  return { batchId: parsed.data.batchId, entries: parsed.data.entries };
}
