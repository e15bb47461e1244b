import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsJsonServer, AwsServiceError } from '#local/stand-ins/aws-json-server';

describe('AwsJsonServer (the AWS JSON protocol side of the stand-ins)', () => {
  let server: AwsJsonServer;
  let url: string;
  const seen: Record<string, unknown>[] = [];

  beforeEach(async () => {
    seen.length = 0;
    server = new AwsJsonServer({
      targetPrefix: 'AWSEvents',
      contentType: 'application/x-amz-json-1.1',
      operations: {
        Echo: (input) => {
          seen.push(input);
          return { Echoed: input.Value };
        },
        Refuse: () => {
          throw new AwsServiceError('ValidationException', 'no', 400);
        },
        Crash: () => {
          throw new Error('boom');
        },
      },
    });
    ({ url } = await server.start());
  });

  afterEach(async () => {
    await server.stop();
  });

  const call = (target: string | undefined, body: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        ...(target ? { 'x-amz-target': target } : {}),
      },
      body,
    });

  const errorType = async (response: Response) => ((await response.json()) as { __type: string }).__type;

  it('routes on X-Amz-Target and answers JSON', async () => {
    const response = await call('AWSEvents.Echo', '{"Value":42}');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({ Echoed: 42 });
    expect(seen).toEqual([{ Value: 42 }]);
  });

  it('answers service errors as __type and message, with the status chosen by the operation', async () => {
    const response = await call('AWSEvents.Refuse', '{}');

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await response.json()).toEqual({ __type: 'ValidationException', message: 'no' });
  });

  it('answers an unexpected failure as a 500 InternalFailure', async () => {
    const response = await call('AWSEvents.Crash', '{}');

    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ __type: 'InternalFailure' });
  });

  it('refuses unknown operations, other services, missing targets and bodies that are not JSON', async () => {
    const unknown = await call('AWSEvents.Nope', '{}');
    const otherService = await call('AmazonSQS.Echo', '{}');
    const noTarget = await call(undefined, '{}');
    const notJson = await call('AWSEvents.Echo', 'not json');

    expect(await errorType(unknown)).toBe('UnknownOperationException');
    expect(await errorType(otherService)).toBe('UnknownOperationException');
    expect(await errorType(noTarget)).toBe('UnknownOperationException');
    expect(await errorType(notJson)).toBe('SerializationException');
    expect(seen).toEqual([]);
  });
});

describe('the wire format SDK v3 uses for the services the stand-ins speak', () => {
  /** Points a real client at a bare server and reports how its first request looked. */
  async function firstRequestOf(send: (endpoint: string) => Promise<unknown>) {
    let seen: { target?: string; contentType?: string } = {};
    const server = createServer((request, response) => {
      seen = {
        target: String(request.headers['x-amz-target']),
        contentType: String(request.headers['content-type']),
      };
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await send(`http://127.0.0.1:${port}`).catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    return seen;
  }

  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('EventBridge: AWS JSON 1.1 with X-Amz-Target AWSEvents.<Operation>', async () => {
    const seen = await firstRequestOf((endpoint) =>
      new EventBridgeClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }).send(
        new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
      ),
    );

    expect(seen).toEqual({ target: 'AWSEvents.PutEvents', contentType: 'application/x-amz-json-1.1' });
  });

  it('SQS: AWS JSON 1.0 with X-Amz-Target AmazonSQS.<Operation>', async () => {
    const seen = await firstRequestOf((endpoint) =>
      new SQSClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }).send(
        new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/q`, MessageBody: 'm' }),
      ),
    );

    expect(seen).toEqual({ target: 'AmazonSQS.SendMessage', contentType: 'application/x-amz-json-1.0' });
  });
});
