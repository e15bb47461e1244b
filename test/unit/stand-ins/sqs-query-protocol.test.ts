/**
 * The SQS stand-in's Query (XML) protocol, proved with the requests an older client builds:
 * `@aws-sdk/client-sqs` 3.438.0 (installed as `sqs-query-client`, tests only), the last SDK
 * generation that speaks Query to SQS, with its own XML parser and MD5 checks of received bodies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from 'sqs-query-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsStandIn } from '#local/stand-ins/sqs/sqs-stand-in';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('SQS stand-in, Query protocol, with a client that speaks it (SDK 3.438.0)', () => {
  let dataDir: string;
  let standIn: SqsStandIn;
  let sqs: SQSClient;
  const sent: { headers: Record<string, string>; body: string }[] = [];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sqs-query-'));
    standIn = new SqsStandIn({ dataDir });
    const { url } = await standIn.start();
    sqs = new SQSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
    sent.length = 0;
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body: string };
        sent.push({ headers: { ...request.headers }, body: String(request.body) });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequest' },
    );
  });

  afterEach(async () => {
    sqs.destroy();
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is really the Query protocol on the wire: form-encoded Action and Version, no X-Amz-Target', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'wire', Attributes: { VisibilityTimeout: '7' } }));
    expect(sent[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent[0]?.headers['x-amz-target']).toBeUndefined();
    expect(sent[0]?.body).toContain('Action=CreateQueue');
    expect(sent[0]?.body).toContain('Version=2012-11-05');
    expect(sent[0]?.body).toContain('Attribute.1.Name=VisibilityTimeout');
  });

  it('creates, finds, lists, describes, changes and deletes queues', async () => {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'consumer',
        Attributes: { VisibilityTimeout: '7', DelaySeconds: '0' },
      }),
    );
    expect(created.QueueUrl).toBe(standIn.queueUrl('consumer'));
    await sqs.send(new CreateQueueCommand({ QueueName: 'other' }));
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'consumer' }))).QueueUrl).toBe(
      created.QueueUrl,
    );
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'cons' }));
    expect(listed.QueueUrls).toEqual([created.QueueUrl]);
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: created.QueueUrl, Attributes: { VisibilityTimeout: '9' } }),
    );
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: created.QueueUrl,
        AttributeNames: ['VisibilityTimeout', 'QueueArn'],
      }),
    );
    expect(attributes.Attributes).toEqual({
      VisibilityTimeout: '9',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:consumer',
    });
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: 'consumer', Attributes: { VisibilityTimeout: '1' } })),
    ).rejects.toMatchObject({ name: 'QueueNameExists' });
    await sqs.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'consumer' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('sends, receives (the client checks every MD5), changes visibility and deletes messages', async () => {
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'messages' }));
    const body = '{"text":"<b>&amp; \'quoted\' \\"x\\"</b>\r\nline two ✓ 𝄞"}';
    const one = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'email & <push>' },
          count: { DataType: 'Number', StringValue: '3' },
        },
      }),
    );
    expect(one.MessageId).toBeDefined();
    expect(one.MD5OfMessageAttributes).toBeDefined();
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'first', DelaySeconds: 0 },
          { Id: 'b', MessageBody: 'second' },
          { Id: 'bad', MessageBody: 'nul \u0001 byte' },
        ],
      }),
    );
    expect(batch.Successful?.map((entry) => entry.Id).sort()).toEqual(['a', 'b']);
    expect(batch.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);

    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        VisibilityTimeout: 30,
      }),
    );
    const messages = received.Messages ?? [];
    expect(messages.map((message) => message.Body).sort()).toEqual([body, 'first', 'second'].sort());
    const withAttributes = messages.find((message) => message.Body === body);
    expect(withAttributes?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'email & <push>' },
      count: { DataType: 'Number', StringValue: '3' },
    });
    expect(withAttributes?.Attributes?.ApproximateReceiveCount).toBe('1');

    const [first, second, third] = messages;
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const visibility = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'x', ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 60 },
          { Id: 'y', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 60 },
        ],
      }),
    );
    expect(visibility.Successful?.map((entry) => entry.Id)).toEqual(['x']);
    expect(visibility.Failed?.[0]).toMatchObject({ Id: 'y', Code: 'ReceiptHandleIsInvalid' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: third?.ReceiptHandle }));
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'd', ReceiptHandle: second?.ReceiptHandle }],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'd' }]);
    expect(standIn.counts('messages')).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect(standIn.counts('messages').visible).toBe(0);
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(empty.Messages ?? []).toEqual([]);
  });

  it('answers errors as <ErrorResponse> with the legacy code, and refuses values the JSON protocol refuses', async () => {
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'errors' }));
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [] })),
    ).rejects.toMatchObject({ name: 'EmptyBatchRequest' });

    const response = await fetch(standIn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetQueueUrl&Version=2012-11-05&QueueName=missing',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('text/xml');
    const text = await response.text();
    expect(text).toContain('<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">');
    expect(text).toContain('<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>');

    const unknown = await fetch(`${standIn.url}/?Action=NoSuchAction&Version=2012-11-05`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('answers with the action response element in the SQS namespace', async () => {
    const response = await fetch(standIn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=CreateQueue&Version=2012-11-05&QueueName=raw',
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /^<\?xml version="1.0"\?><CreateQueueResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><CreateQueueResult><QueueUrl>http:\/\/127.0.0.1:\d+\/000000000000\/raw<\/QueueUrl><\/CreateQueueResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/CreateQueueResponse>$/,
    );
  });
});
