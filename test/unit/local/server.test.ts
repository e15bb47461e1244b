import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpApiHandler, isTextBody, startReceiverServer, toHttpApiEvent } from '../../../local/server';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function serve(handler: HttpApiHandler, maxPayloadBytes?: number) {
  const server = await startReceiverServer({ handler, port: 0, maxPayloadBytes, functionTimeoutMs: 10_000 });
  stop = server.close;
  return server;
}

function recording(result: Awaited<ReturnType<HttpApiHandler>> = { statusCode: 200, body: '{"ok":true}' }) {
  const calls: Array<{ event: APIGatewayProxyEventV2; context: Context; remaining: number }> = [];
  const handler: HttpApiHandler = async (event, context) => {
    calls.push({ event, context, remaining: context.getRemainingTimeInMillis() });
    return result;
  };
  return { handler, calls };
}

describe('toHttpApiEvent', () => {
  it('builds the payload format 2.0 event API Gateway sends', () => {
    // Prepare
    const now = new Date('2026-03-12T19:03:58Z');

    // Act
    const event = toHttpApiEvent(
      {
        method: 'post',
        url: '/currents?app_group=brand-a&x=1&x=2',
        headers: {
          'Content-Type': 'application/json',
          host: 'localhost:3000',
          'x-dup': ['a', 'b'],
          cookie: 'c1=1; c2=2',
        },
        body: Buffer.from('{"events":[]}'),
        sourceIp: '10.0.0.1',
      },
      now,
    );

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /currents',
      rawPath: '/currents',
      rawQueryString: 'app_group=brand-a&x=1&x=2',
      queryStringParameters: { app_group: 'brand-a', x: '1,2' },
      headers: { 'content-type': 'application/json', host: 'localhost:3000', 'x-dup': 'a,b' },
      cookies: ['c1=1', 'c2=2'],
      body: '{"events":[]}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/currents', sourceIp: '10.0.0.1' },
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: now.getTime(),
      },
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves out the query parameters and the body when there are none', () => {
    // Act
    const event = toHttpApiEvent({
      method: 'POST',
      url: '/currents',
      headers: {},
      body: Buffer.alloc(0),
      sourceIp: '::1',
    });

    // Assess
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.rawQueryString).toBe('');
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it.each([
    [{ 'content-type': 'application/json' }, true],
    [{ 'content-type': 'application/json; charset=utf-8' }, true],
    [{ 'content-type': 'text/plain' }, true],
    [{ 'content-type': 'application/vnd.braze+json' }, true],
    [{ 'content-type': 'application/octet-stream' }, false],
    [{}, false],
    [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, false],
  ])('treats %j as text: %s', (headers, expected) => {
    expect(isTextBody(headers)).toBe(expected);
  });
});

describe('startReceiverServer', () => {
  it('invokes the handler with the event and a live Lambda context, and writes its result back', async () => {
    // Prepare
    const { handler, calls } = recording({
      statusCode: 202,
      headers: { 'Retry-After': '5' },
      body: '{"accepted":1}',
    });
    const { url } = await serve(handler);

    // Act
    const response = await fetch(`${url}?app_group=a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"events":[{"event_type":"x"}]}',
    });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('apigw-requestid')).toBe(calls[0]?.event.requestContext.requestId);
    expect(await response.text()).toBe('{"accepted":1}');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.event.body).toBe('{"events":[{"event_type":"x"}]}');
    expect(calls[0]?.event.headers.authorization).toBe('Bearer t');
    expect(calls[0]?.event.queryStringParameters).toEqual({ app_group: 'a' });
    expect(calls[0]?.event.requestContext.http.sourceIp).toBe('127.0.0.1');
    expect(calls[0]?.remaining).toBeGreaterThan(0);
    expect(calls[0]?.remaining).toBeLessThanOrEqual(10_000);
    expect(calls[0]?.context.functionName).toBe('currents-bridge-receiver');
  });

  it('passes gzip bodies base64-encoded, byte for byte', async () => {
    // Prepare
    const { handler, calls } = recording();
    const { url } = await serve(handler);
    const gzipped = gzipSync('{"events":[]}');

    // Act
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipped,
    });

    // Assess
    expect(calls[0]?.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(calls[0]?.event.body ?? '', 'base64')).toEqual(gzipped);
  });

  it('answers other paths with 404 and other methods with 405, as API Gateway does, without invoking', async () => {
    // Prepare
    const { handler, calls } = recording();
    const { url } = await serve(handler);

    // Act
    const notFound = await fetch(url.replace('/currents', '/other'), { method: 'POST', body: '{}' });
    const notAllowed = await fetch(url, { method: 'GET' });

    // Assess
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ message: 'Not Found' });
    expect(notAllowed.status).toBe(405);
    expect(await notAllowed.json()).toEqual({ message: 'Method Not Allowed' });
    expect(calls).toHaveLength(0);
  });

  it('answers 413 for a body over the payload cap without invoking', async () => {
    // Prepare
    const { handler, calls } = recording();
    const { url } = await serve(handler, 1024);

    // Act
    const response = await fetch(url, { method: 'POST', body: 'x'.repeat(2048) });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(calls).toHaveLength(0);
  });

  it('hides a handler failure behind a generic 500', async () => {
    // Prepare
    const { url } = await serve(async () => {
      throw new Error('secret detail');
    });
    const quiet = console.error;
    console.error = () => undefined;

    // Act
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', body: '{}' });
    } finally {
      console.error = quiet;
    }

    // Assess
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });
});

describe('startReceiverServer and the function timeout', () => {
  it('answers 500 like API Gateway when the handler runs past the function timeout', async () => {
    // Prepare
    const server = await startReceiverServer({
      handler: () => new Promise(() => undefined),
      port: 0,
      functionTimeoutMs: 50,
    });
    const quiet = console.error;
    const logged: string[] = [];
    console.error = (message: string) => logged.push(message);

    // Act
    let response: Response;
    try {
      response = await fetch(server.url, { method: 'POST', body: '{}' });
    } finally {
      console.error = quiet;
      await server.close();
    }

    // Assess
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
    expect(logged.join('\n')).toContain('Task timed out after 0.05 seconds');
  });
});
