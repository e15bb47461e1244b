import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createAwsClients,
  eventBridgeClientConfig,
  eventBridgePort,
  objectStorePort,
  PUT_EVENTS_REQUEST_TIMEOUT_MS,
  spilloverPort,
} from '#lambdas/shared/aws';
import { testClients } from '../receiver/support';

const eventBridge = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  eventBridge.reset();
  s3.reset();
  sqs.reset();
});

const entry = { Source: 's', DetailType: 't', Detail: '{}', Time: new Date(0) };

describe('eventBridgePort', () => {
  it('adds the bus to every entry and returns the per-entry outcomes', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const port = eventBridgePort(testClients().eventBridge, 'my-bus');
    const outcomes = await port.putEvents([entry], 5_000);
    expect(outcomes).toEqual([{ EventId: 'e1' }]);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [{ ...entry, EventBusName: 'my-bus' }],
    });
  });

  it('passes an abort signal only when the budget is shorter than the client timeout', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const port = eventBridgePort(testClients().eventBridge, 'my-bus');
    await port.putEvents([entry], PUT_EVENTS_REQUEST_TIMEOUT_MS + 1);
    await port.putEvents([entry], 100);
    // The typed stub only knows the command; the options are the call's second argument.
    const [roomy, tight] = eventBridge.send.getCalls().map((call) => (call.args as unknown[])[1]);
    expect(roomy).toBeUndefined();
    expect((tight as { abortSignal?: AbortSignal } | undefined)?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it('configures the client with no SDK retries and a request timeout that throws', () => {
    expect(eventBridgeClientConfig()).toMatchObject({
      maxAttempts: 1,
      requestHandler: { requestTimeout: PUT_EVENTS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
    });
  });
});

describe('objectStorePort', () => {
  it('puts the object in its bucket as JSON', async () => {
    s3.on(PutObjectCommand).resolves({});
    await objectStorePort(testClients().s3, 'bucket-1').putObject('quarantine/k.json', '{"a":1}');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'bucket-1',
      Key: 'quarantine/k.json',
      Body: '{"a":1}',
      ContentType: 'application/json',
    });
  });
});

describe('spilloverPort', () => {
  it('sends one SendMessageBatch and reports the ids SQS refused', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const result = await spilloverPort(testClients().sqs, 'https://queue').sendMessages([
      { id: '0', body: 'a' },
      { id: '1', body: 'b' },
    ]);
    expect(result).toEqual({ failedIds: ['1'] });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: 'https://queue',
      Entries: [
        { Id: '0', MessageBody: 'a' },
        { Id: '1', MessageBody: 'b' },
      ],
    });
  });
});

describe('createAwsClients', () => {
  const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' };

  it('builds the S3 and SQS clients on first use, once each, S3 with its path-style setting', async () => {
    const clients = createAwsClients(env);
    expect(clients.s3).toBeTypeOf('function');
    expect(clients.sqs).toBeTypeOf('function');
    const load = (client: unknown) => (client as () => Promise<S3Client | SQSClient>)();
    const [s3a, s3b, sqsa, sqsb] = await Promise.all([
      load(clients.s3),
      load(clients.s3),
      load(clients.sqs),
      load(clients.sqs),
    ]);
    expect(s3a).toBeInstanceOf(S3Client);
    expect(s3b).toBe(s3a);
    expect(sqsa).toBeInstanceOf(SQSClient);
    expect(sqsb).toBe(sqsa);
    expect((s3a as S3Client).config.forcePathStyle).toBe(true);
  });

  it('lets the ports use the clients built on first use', async () => {
    s3.on(PutObjectCommand).resolves({});
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }] });
    const clients = createAwsClients(env);
    await objectStorePort(clients.s3, 'bucket-2').putObject('claim-check/k.json', '{}');
    const result = await spilloverPort(clients.sqs, 'https://queue').sendMessages([{ id: '0', body: 'a' }]);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'bucket-2', Key: 'claim-check/k.json' });
    expect(result).toEqual({ failedIds: [] });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: 'https://queue' });
  });
});
