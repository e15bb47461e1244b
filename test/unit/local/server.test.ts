import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HttpApiHandler,
  invocationPayloadBytes,
  isTextBody,
  LAMBDA_MAX_INVOKE_REQUEST_BYTES,
  payloadHeaders,
  startReceiverServer,
  toHttpApiEvent,
} from '#local/server';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/** Writes a request as given (repeated headers kept) and resolves with the whole response text. */
function rawPost(port: number, head: string[], body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${head.join('\r\n')}\r\n\r\n${body}`));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

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
        rawHeaders: [
          'Content-Type',
          'application/json',
          'host',
          'localhost:3000',
          'X-Dup',
          'a',
          'x-dup',
          'b',
          'cookie',
          'c1=1; c2=2',
        ],
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
      rawHeaders: [],
      body: Buffer.alloc(0),
      sourceIp: '::1',
    });

    // Assess
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.rawQueryString).toBe('');
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  // The split verified against a real HTTP API: https://github.com/ministackorg/ministack/pull/766
  it.each([
    [{ 'content-type': 'application/json' }, true],
    [{ 'content-type': 'Application/JSON' }, true],
    [{ 'content-type': 'application/json; charset=utf-8' }, true],
    [{ 'content-type': 'application/json;charset="UTF-8"' }, true],
    [{ 'content-type': 'text/plain' }, true],
    [{ 'content-type': 'text/csv; header=present' }, true],
    [{ 'content-type': 'application/xml' }, true],
    [{ 'content-type': 'application/javascript' }, true],
    [{ 'content-type': 'application/json; charset=iso-8859-1' }, false],
    [{ 'content-type': 'application/vnd.braze+json' }, false],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, false],
    [{ 'content-type': 'application/jsonx' }, false],
    [{ 'content-type': 'application/octet-stream' }, false],
    [{ 'content-type': 'multipart/form-data; boundary=x' }, false],
    [{}, false],
    [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, false],
    [{ 'content-type': 'application/json', 'content-encoding': 'identity' }, true],
  ])('treats %j as text: %s', (headers, expected) => {
    expect(isTextBody(headers)).toBe(expected);
  });

  it('passes a text-typed body that is not valid UTF-8 base64-encoded, byte for byte', () => {
    // Prepare: "caf\xe9" is Latin-1, not UTF-8; a lossy decoder would make it "caf\ufffd".
    const body = Buffer.from([0x7b, 0x22, 0x63, 0x61, 0x66, 0xe9, 0x22, 0x7d]);

    // Act
    const event = toHttpApiEvent({
      method: 'POST',
      url: '/currents',
      rawHeaders: ['content-type', 'application/json'],
      body,
      sourceIp: '127.0.0.1',
    });

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(body);
  });

  it('passes valid UTF-8 as text unaltered, a byte order mark and U+FFFD included', () => {
    // Prepare
    const text = '\ufeff{"name":"Zoë \ufffd 🚀"}';

    // Act
    const event = toHttpApiEvent({
      method: 'POST',
      url: '/currents',
      rawHeaders: ['content-type', 'application/json'],
      body: Buffer.from(text, 'utf8'),
      sourceIp: '127.0.0.1',
    });

    // Assess
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe(text);
  });
});

describe('payloadHeaders', () => {
  it('joins repeated headers with commas in the order received, whatever the case of their names', () => {
    // Act
    const { headers, cookies } = payloadHeaders([
      'Authorization',
      'Bearer a',
      'X-Other',
      '1',
      'authorization',
      'Bearer b',
    ]);

    // Assess
    expect(headers).toEqual({ authorization: 'Bearer a,Bearer b', 'x-other': '1' });
    expect(cookies).toBeUndefined();
  });

  it('puts every cookie of every Cookie header into cookies, and none into headers', () => {
    // Act
    const { headers, cookies } = payloadHeaders(['Cookie', 'a=1; b=2', 'cookie', 'c=3']);

    // Assess
    expect(cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(headers).toEqual({});
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

  it('gives the handler both Authorization headers of a request, joined, as API Gateway does', async () => {
    // Prepare
    const { handler, calls } = recording();
    const { port } = await serve(handler);
    const body = '{"events":[]}';

    // Act: fetch would merge the headers itself, so the request is written by hand.
    const response = await rawPost(
      port,
      [
        'POST /currents HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Authorization: Bearer good',
        'Authorization: Bearer other',
        `Content-Length: ${body.length}`,
        'Connection: close',
      ],
      body,
    );

    // Assess
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(calls[0]?.event.headers.authorization).toBe('Bearer good,Bearer other');
  });

  it('refuses an event over the invocation limit with a 500 and does not invoke the function', async () => {
    // Prepare: a body under API Gateway's limit whose escaped JSON event is over a (small) Lambda limit.
    const { handler, calls } = recording();
    const server = await startReceiverServer({ handler, port: 0, maxInvokePayloadBytes: 4096 });
    stop = server.close;
    const quiet = console.error;
    const logged: string[] = [];
    console.error = (message: string) => logged.push(message);

    // Act
    let response: Response;
    try {
      response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ text: '"'.repeat(2500) }] }),
      });
    } finally {
      console.error = quiet;
    }

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(calls).toHaveLength(0);
    expect(logged.join('\n')).toMatch(/not invoked: the event is \d+ bytes, over Lambda's 4096-byte/);
  });

  it('invokes the function with an event just under the limit', async () => {
    // Prepare
    const { handler, calls } = recording();
    const server = await startReceiverServer({ handler, port: 0, maxInvokePayloadBytes: 4096 });
    stop = server.close;

    // Act
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ text: 'x'.repeat(2500) }] }),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(invocationPayloadBytes(calls[0]?.event as APIGatewayProxyEventV2)).toBeLessThanOrEqual(4096);
  });

  it('counts the limit as Lambda does: 6,291,456 bytes of event JSON', () => {
    // Prepare
    const event = toHttpApiEvent({
      method: 'POST',
      url: '/currents',
      rawHeaders: ['content-type', 'application/json'],
      body: Buffer.from('"é"'),
      sourceIp: '127.0.0.1',
    });

    // Act
    const bytes = invocationPayloadBytes(event);

    // Assess: the body counts escaped ("\\"é\\"" is 7 characters, é 2 bytes), inside the whole event.
    expect(LAMBDA_MAX_INVOKE_REQUEST_BYTES).toBe(6_291_456);
    expect(bytes).toBe(Buffer.byteLength(JSON.stringify(event)));
    expect(JSON.stringify(event)).toContain('"body":"\\"é\\""');
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
