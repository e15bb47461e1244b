/**
 * What Lambda's SQS event source mapping does for the redrive function in AWS, done locally:
 * long-poll the spillover queue, hand the messages to the real redrive handler as an SQSEvent,
 * delete the ones it did not report in `batchItemFailures`, and leave the rest to reappear after
 * the visibility timeout. No library offers this mapping outside AWS, hence our own.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** The SQS record Lambda builds from a received message. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toRecordAttribute(value);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function toRecordAttribute(value: MessageAttributeValue): SQSMessageAttributes[string] {
  return {
    dataType: value.DataType ?? 'String',
    ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
    ...(value.BinaryValue === undefined
      ? {}
      : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
  };
}

/**
 * The messages Lambda deletes after an invocation: all but the reported failures. A thrown error
 * or an unreadable response fails the whole batch, as with `ReportBatchItemFailures`.
 */
export function messagesToDelete(
  records: readonly SQSRecord[],
  outcome: { response: SQSBatchResponse | undefined } | { error: unknown },
): SQSRecord[] {
  if ('error' in outcome) return [];
  const failures = outcome.response?.batchItemFailures;
  if (failures === undefined) return [...records];
  const ids = new Set(failures.map((failure) => failure.itemIdentifier));
  // An identifier that names no message of the batch is Lambda's signal of a broken response.
  if ([...ids].some((id) => !records.some((record) => record.messageId === id))) return [];
  return records.filter((record) => !ids.has(record.messageId));
}

export interface RedriveLoopOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: SqsHandler;
  context: () => Context;
  batchSize?: number;
  /** Long-poll wait; Lambda's pollers use 20 s. */
  waitTimeSeconds?: number;
  onInvoke?: (info: { received: number; deleted: number; error?: unknown }) => void;
  onPollError?: (error: unknown) => void;
}

export interface RedriveLoop {
  /** Resolves once the current poll or invocation is over. */
  stop(): Promise<void>;
  /** Invocations so far. */
  readonly invocations: number;
}

export function startRedriveLoop(options: RedriveLoopOptions): RedriveLoop {
  const abort = new AbortController();
  let invocations = 0;
  let pollFailures = 0;

  async function once(): Promise<void> {
    const received = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize ?? 10,
        WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return;
    const records = messages.map((message) => toSqsRecord(message, options.queueArn, options.region));
    invocations++;
    let outcome: Parameters<typeof messagesToDelete>[1];
    try {
      outcome = { response: await options.handler({ Records: records }, options.context()) };
    } catch (error) {
      outcome = { error };
    }
    const deletable = messagesToDelete(records, outcome);
    if (deletable.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: deletable.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
    }
    options.onInvoke?.({
      received: records.length,
      deleted: deletable.length,
      ...('error' in outcome ? { error: outcome.error } : {}),
    });
  }

  const running = (async () => {
    while (!abort.signal.aborted) {
      try {
        await once();
        pollFailures = 0;
      } catch (error) {
        if (abort.signal.aborted) break;
        options.onPollError?.(error);
        // The queue endpoint is down: back off like Lambda's pollers do, up to a few seconds.
        pollFailures++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** pollFailures)).unref());
      }
    }
  })();

  return {
    async stop() {
      abort.abort();
      await running;
    },
    get invocations() {
      return invocations;
    },
  };
}
