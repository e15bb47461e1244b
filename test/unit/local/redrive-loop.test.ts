import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/runtime/lambda-context';
import {
  messagesToDelete,
  type RedriveLoop,
  startRedriveLoop,
  toSqsRecord,
} from '#local/runtime/redrive-loop';
import { SqsStandIn } from '#local/stand-ins/sqs/sqs-stand-in';
import { until } from '#test/wait';

function record(messageId: string): SQSRecord {
  return toSqsRecord(
    { MessageId: messageId, ReceiptHandle: `rh-${messageId}`, Body: '{}' },
    'arn:q',
    'us-east-1',
  );
}

describe('toSqsRecord', () => {
  it('shapes a received message as the record Lambda passes, attributes included', () => {
    // Act
    const built = toSqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'rh',
        Body: 'hello',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1000' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'spill' } },
      },
      'arn:aws:sqs:us-east-1:000000000000:spill',
      'us-east-1',
    );

    // Assess
    expect(built).toMatchObject({
      messageId: 'm1',
      receiptHandle: 'rh',
      body: 'hello',
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:spill',
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1000' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'spill', stringListValues: [] } },
    });
  });
});

describe('messagesToDelete', () => {
  const records = [record('a'), record('b'), record('c')];

  it('deletes every message but the reported failures', () => {
    const deleted = messagesToDelete(records, { response: { batchItemFailures: [{ itemIdentifier: 'b' }] } });
    expect(deleted.map((r) => r.messageId)).toEqual(['a', 'c']);
  });

  it('deletes all when the handler reports nothing', () => {
    expect(messagesToDelete(records, { response: undefined })).toHaveLength(3);
  });

  it('deletes none when the handler throws or names a message not in the batch', () => {
    expect(messagesToDelete(records, { error: new Error('x') })).toEqual([]);
    expect(
      messagesToDelete(records, { response: { batchItemFailures: [{ itemIdentifier: 'zzz' }] } }),
    ).toEqual([]);
  });
});

describe('startRedriveLoop', () => {
  let sqs: SqsStandIn | undefined;
  let client: SQSClient | undefined;
  let loop: RedriveLoop | undefined;
  afterEach(async () => {
    await loop?.stop();
    client?.destroy();
    await sqs?.stop();
    loop = undefined;
    client = undefined;
    sqs = undefined;
  });

  it('hands spilled messages to the handler, deletes successes and leaves a failure to come back', async () => {
    // Prepare: a visibility timeout no stall of a loaded machine reaches, so nothing comes back
    // unless the test makes it visible again (as the end of the timeout would).
    const stand = new SqsStandIn({ queues: [{ name: 'spill', attributes: { VisibilityTimeout: '43200' } }] });
    sqs = stand;
    const { url } = await stand.start();
    for (const body of ['one', 'two', 'three']) stand.enqueue('spill', body);
    const sqsClient = new SQSClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client = sqsClient;
    const seen: Array<{ body: string; receiveCount: string; receiptHandle: string }> = [];
    const invocations: Array<{ received: number; deleted: number }> = [];
    let failedOnce = false;
    const handler = async (event: SQSEvent) => {
      const failures: Array<{ itemIdentifier: string }> = [];
      for (const r of event.Records) {
        seen.push({
          body: r.body,
          receiveCount: r.attributes.ApproximateReceiveCount,
          receiptHandle: r.receiptHandle,
        });
        if (r.body === 'two' && !failedOnce) {
          failedOnce = true;
          failures.push({ itemIdentifier: r.messageId });
        }
      }
      return { batchItemFailures: failures };
    };

    // Act
    loop = startRedriveLoop({
      sqs: sqsClient,
      queueUrl: stand.queueUrl('spill'),
      queueArn: stand.queueArn('spill'),
      region: 'us-east-1',
      handler,
      context: () => lambdaContext({ functionName: 'redrive', timeoutMs: 30_000 }),
      waitTimeSeconds: 1,
      onInvoke: ({ received, deleted }) => invocations.push({ received, deleted }),
    });
    await until(() => seen.length >= 3 && invocations.length >= 1, 'the first invocation to end');
    // Only the failure is left, still hidden: the loop neither deleted it nor made it visible.
    expect(stand.peekBodies('spill')).toEqual(['two']);
    expect(stand.counts('spill')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    const failed = seen.find((entry) => entry.body === 'two');
    await sqsClient.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: stand.queueUrl('spill'),
        ReceiptHandle: failed?.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await until(() => {
      const counts = stand.counts('spill');
      return counts.visible + counts.inFlight + counts.delayed === 0 && invocations.length >= 2;
    }, 'the failed message to be handled again and deleted');

    // Assess
    expect(invocations).toEqual([
      { received: 3, deleted: 2 },
      { received: 1, deleted: 1 },
    ]);
    expect(seen.map(({ body, receiveCount }) => [body, receiveCount])).toEqual([
      ['one', '1'],
      ['two', '1'],
      ['three', '1'],
      ['two', '2'],
    ]);
  });
});
