import { SQSClient } from '@aws-sdk/client-sqs';
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

function record(messageId: string): SQSRecord {
  return toSqsRecord(
    { MessageId: messageId, ReceiptHandle: `rh-${messageId}`, Body: '{}' },
    'arn:q',
    'us-east-1',
  );
}

async function until<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
  let loop: RedriveLoop | undefined;
  afterEach(async () => {
    await loop?.stop();
    await sqs?.stop();
    loop = undefined;
    sqs = undefined;
  });

  it('hands spilled messages to the handler, deletes successes and sees a failure come back', async () => {
    // Prepare
    sqs = new SqsStandIn({ queues: [{ name: 'spill', attributes: { VisibilityTimeout: '1' } }] });
    const { url } = await sqs.start();
    for (const body of ['one', 'two', 'three']) sqs.enqueue('spill', body);
    const client = new SQSClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const seen: string[] = [];
    let failedOnce = false;
    const handler = async (event: SQSEvent) => {
      const failures: Array<{ itemIdentifier: string }> = [];
      for (const r of event.Records) {
        seen.push(r.body);
        if (r.body === 'two' && !failedOnce) {
          failedOnce = true;
          failures.push({ itemIdentifier: r.messageId });
        }
      }
      return { batchItemFailures: failures };
    };

    // Act
    loop = startRedriveLoop({
      sqs: client,
      queueUrl: sqs.queueUrl('spill'),
      queueArn: sqs.queueArn('spill'),
      region: 'us-east-1',
      handler,
      context: () => lambdaContext({ functionName: 'redrive', timeoutMs: 30_000 }),
      waitTimeSeconds: 1,
    });
    const stand = sqs;
    await until(() => {
      const counts = stand.counts('spill');
      return counts.visible + counts.inFlight === 0 && seen.length === 4 ? true : undefined;
    });

    // Assess
    expect(seen.filter((b) => b === 'two')).toHaveLength(2);
    expect(seen.filter((b) => b === 'one')).toHaveLength(1);
    expect(seen.filter((b) => b === 'three')).toHaveLength(1);
  });
});
