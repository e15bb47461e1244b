import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsStandIn } from '#local/stand-ins/sqs/sqs-stand-in';
import { until } from '#test/wait';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function clientFor(url: string): SQSClient {
  return new SQSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
}

describe('SQS stand-in with a real SDK v3 client', () => {
  let dataDir: string;
  let standIn: SqsStandIn;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sqs-stand-in-'));
    standIn = new SqsStandIn({ dataDir });
    const { url } = await standIn.start();
    sqs = clientFor(url);
    ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'spillover' })));
  });

  afterEach(async () => {
    sqs.destroy();
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, finds and lists queues', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'other' }));

    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: 'spillover' }));
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'spill' }));

    expect(found.QueueUrl).toBe(queueUrl);
    expect(listed.QueueUrls).toEqual([queueUrl]);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    const lookup = sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' }));

    await expect(lookup).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('sends and receives with ids, MD5s and system attributes the SDK accepts', async () => {
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"id":"e-1"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'spill' } },
      }),
    );

    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );

    const [message] = received.Messages ?? [];
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe('{"id":"e-1"}');
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(message?.MessageAttributes?.kind?.StringValue).toBe('spill');
  });

  it('hides a received message for its visibility timeout and deletes it by receipt handle', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'a' }));

    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 30 }));
    const whileHidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );

    expect(first.Messages).toHaveLength(1);
    expect(whileHidden.Messages).toBeUndefined();
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(standIn.counts('spillover')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('makes a message visible again when its visibility is changed to 0, counting receives', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'again' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 60 }));

    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const second = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );

    expect(second.Messages?.[0]?.Body).toBe('again');
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('long-polls: a waiting receive returns as soon as a message is sent', async () => {
    let answered = false;
    const waiting = sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }))
      .finally(() => {
        answered = true;
      });
    // The send must come after the receive found the queue empty, or this proves nothing about
    // long polling; a receive that does not wait answers at once and ends the wait as well.
    await until(() => standIn.waitingReceives('spillover') === 1 || answered, 'a receive waiting');
    expect(answered).toBe(false);

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' }));

    const received = await waiting;
    expect(received.Messages?.[0]?.Body).toBe('late');
    expect(standIn.waitingReceives('spillover')).toBe(0);
  });

  it('sends and deletes in batches, reporting per-entry results', async () => {
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
        ],
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: (received.Messages ?? []).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );

    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['a', 'b']);
    expect(received.Messages?.map((message) => message.Body)).toEqual(['one', 'two']);
    expect(deleted.Successful).toHaveLength(2);
    expect(standIn.peekBodies('spillover')).toEqual([]);
  });

  it('rejects a message over 1 MiB and a batch of more than 10 entries', async () => {
    const tooLarge = sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(1024 * 1024 + 1) }),
    );
    const tooMany = sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 11 }, (_, index) => ({ Id: String(index), MessageBody: 'm' })),
      }),
    );

    await expect(tooLarge).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(tooMany).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    expect(standIn.peekBodies('spillover')).toEqual([]);
  });

  it('refuses bodies with characters SQS does not allow, and accepts any other Unicode', async () => {
    const refused = sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'bell \u0007' }));
    await expect(refused).rejects.toMatchObject({ name: 'InvalidMessageContents' });

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'tab\tline\n émoji 🎉' }));

    expect(standIn.peekBodies('spillover')).toEqual(['tab\tline\n émoji 🎉']);
  });

  it('refuses a receipt handle the queue never issued', async () => {
    const deletion = sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'made-up' }));

    await expect(deletion).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('purges a queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'gone' }));

    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));

    expect(standIn.counts('spillover').visible).toBe(0);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'spillover-dlq' }));
    const { QueueUrl: sourceUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'with-dlq',
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: standIn.queueArn('spillover-dlq'),
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: 'poison' }));

    const receives: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: sourceUrl, VisibilityTimeout: 0 }),
      );
      receives.push(received.Messages?.length ?? 0);
    }

    expect(receives).toEqual([1, 1, 0]);
    expect(standIn.peekBodies('spillover-dlq')).toEqual(['poison']);
    expect(standIn.peekBodies('with-dlq')).toEqual([]);

    await standIn.stop();
    const restarted = new SqsStandIn({ dataDir });
    await restarted.start();
    expect(restarted.peekBodies('spillover-dlq')).toEqual(['poison']);
    expect(restarted.peekBodies('with-dlq')).toEqual([]);
    await restarted.stop();
  });

  it('fails sends with HTTP 500 while failSends is set, and recovers when cleared', async () => {
    standIn.failSends = true;
    const failing = sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));

    await expect(failing).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });

    standIn.failSends = false;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'y' }));
    expect(standIn.peekBodies('spillover')).toEqual(['y']);
  });

  it('keeps messages across a restart on the same data directory', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'durable' }));
    await standIn.stop();

    const restarted = new SqsStandIn({ dataDir });
    const { url } = await restarted.start();
    const client = clientFor(url);
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: 'spillover' }));
      const received = await client.send(new ReceiveMessageCommand({ QueueUrl }));

      expect(received.Messages?.[0]?.Body).toBe('durable');
    } finally {
      client.destroy();
      await restarted.stop();
    }
  });
});
