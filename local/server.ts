/**
 * The local stand-in for API Gateway (HTTP API, Lambda proxy integration, payload format 2.0) in
 * front of the real receiver handler: it builds the event exactly as API Gateway would, invokes the
 * handler with a Lambda-like context, and writes the structured result back. Routing and the
 * errors API Gateway itself answers (404, 405, 413, 500) are reproduced here, because the handler
 * never sees those requests in AWS either.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { RECEIVER_PATH } from '#lambdas/shared/contract';
import { lambdaContext } from './runtime/lambda-context';

export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string>;

/**
 * API Gateway's own payload limit for HTTP APIs: 10 MB ("Payload size", HTTP API quotas,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
 */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Lambda's limit on a synchronous invocation's request payload: 6 MB, counted as 6,291,456 bytes
 * ("Invocation payload (request and response)", Lambda quotas,
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; the service's own words:
 * "Request must be smaller than 6291456 bytes for the InvokeFunction operation"). What counts is
 * the whole payload 2.0 event as JSON, not the body alone.
 */
export const LAMBDA_MAX_INVOKE_REQUEST_BYTES = 6_291_456;

export interface ReceiverServerOptions {
  handler: HttpApiHandler;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** API Gateway's body limit; default {@link API_GATEWAY_MAX_PAYLOAD_BYTES}. */
  maxPayloadBytes?: number;
  /** Lambda's invocation payload limit; default {@link LAMBDA_MAX_INVOKE_REQUEST_BYTES}. */
  maxInvokePayloadBytes?: number;
  /** The function's memory, for `context.memoryLimitInMB`; default 1024. */
  memoryLimitInMB?: number;
  /** The receiver function's timeout, for `context.getRemainingTimeInMillis()`; default 29 s. */
  functionTimeoutMs?: number;
  functionName?: string;
  region?: string;
  /** Called after each request the server answered, e.g. for a request log. */
  onResponse?: (info: { method: string; path: string; status: number }) => void;
}

export interface ReceiverServer {
  /** The connector URL, `http://host:port/currents`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RawRequest {
  method: string;
  /** Path and query string as received, e.g. `/currents?app_group=a`. */
  url: string;
  /**
   * The headers as they came on the wire, names and values alternating, repeats kept (Node's
   * `req.rawHeaders`). Not `req.headers`: Node keeps only the first of some repeated headers
   * (`authorization` among them), where API Gateway joins them all.
   */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
}

/**
 * The media types HTTP API passes to Lambda as text. AWS does not list them for HTTP APIs; this is
 * the split verified against a real HTTP API (payload 2.0, Lambda proxy) in
 * https://github.com/ministackorg/ministack/pull/766: `text/*`, `application/json`,
 * `application/xml` and `application/javascript` arrive as text; everything else, a missing
 * `Content-Type` and `application/x-www-form-urlencoded` included, arrives base64-encoded. It is
 * also the list AWS documents for the same decision in Application Load Balancer's Lambda events
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html).
 * Structured-syntax suffixes (`application/vnd.braze+json`) are not in any verified list, so they
 * count as binary: a base64 body is never altered, and the receiver decodes both forms.
 */
const TEXT_MEDIA_TYPE = /^(text\/[^\s;/]+|application\/(json|xml|javascript))$/;

/**
 * Whether API Gateway would pass this body as text (`isBase64Encoded: false`) rather than base64.
 *
 * Text only when all of these hold, anything else is base64 (the side that cannot alter a body):
 * - the media type, parameters aside and in any case, is one of {@link TEXT_MEDIA_TYPE};
 * - a `charset` parameter, if any, is UTF-8: the event is JSON, so a body in another charset
 *   could only be passed as text by transcoding it, which no source confirms API Gateway does;
 * - no `Content-Encoding` other than `identity` (compressed bytes are not text; ALB documents the
 *   same rule);
 * - the bytes are valid UTF-8. What API Gateway does with invalid UTF-8 in a text body is not
 *   documented anywhere we found; replacing bytes (as a lossy decoder does) would alter the
 *   batch, so such a body is passed base64-encoded, byte for byte.
 *
 * `headers` are the event's headers (lower-case names, repeats joined with commas).
 */
export function isTextBody(headers: Readonly<Record<string, string>>, body?: Uint8Array): boolean {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  const contentType = headers['content-type'];
  if (contentType === undefined) return false;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  if (!TEXT_MEDIA_TYPE.test(mediaType.toLowerCase())) return false;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() !== 'charset') continue;
    if (!/^"?utf-?8"?$/i.test(value)) return false;
  }
  return body === undefined || isValidUtf8(body);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The payload 2.0 `headers` and `cookies` from the raw headers: names lower-cased, repeats joined
 * with commas (no space) in the order received, every `Cookie` header split into the `cookies`
 * list instead ("Duplicate headers are combined with commas and included in the headers field";
 * "All cookie headers in the request are combined with commas and added to the cookies field",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
export function payloadHeaders(rawHeaders: readonly string[]): {
  headers: Record<string, string>;
  cookies: string[] | undefined;
} {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter((cookie) => cookie !== '')];
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return { headers, cookies };
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** The payload format 2.0 event API Gateway sends for a request. */
export function toHttpApiEvent(request: RawRequest, now: Date = new Date()): APIGatewayProxyEventV2 {
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);

  // Duplicate headers and query parameters are joined with commas; cookies get their own field.
  const { headers, cookies } = payloadHeaders(request.rawHeaders);
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      const previous = queryStringParameters[key];
      queryStringParameters[key] = previous === undefined ? value : `${previous},${value}`;
    }
  }

  const text = isTextBody(headers, request.body);
  const hasBody = request.body.length > 0;
  const host = headers.host ?? 'localhost';
  const method = request.method.toUpperCase();
  const routeKey = `${method} ${RECEIVER_PATH}`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: text ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
}

/** Bytes of the event as Lambda receives it: the UTF-8 JSON of the whole payload 2.0 event. */
export function invocationPayloadBytes(event: APIGatewayProxyEventV2): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8');
}

function sendJson(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify({ message }));
}

/** Writes a Lambda proxy result back the way API Gateway maps it (payload format 2.0). */
function writeResult(
  res: ServerResponse,
  result: APIGatewayProxyStructuredResultV2 | string,
  requestId: string,
): void {
  // A bare string (or object without statusCode) means 200 with that JSON, as API Gateway infers.
  if (typeof result === 'string' || result.statusCode === undefined) {
    res.writeHead(200, { 'content-type': 'application/json', 'apigw-requestid': requestId });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  headers['content-type'] ??= 'application/json';
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode, headers);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/**
 * Lambda ends an invocation at the function timeout and API Gateway answers 500. A local handler
 * cannot be frozen, so it runs on, but the client gets the answer it would get in AWS. The log line
 * names the configured timeout, as Lambda's `Task timed out after 20.00 seconds` does, whatever
 * time had passed before the handler was called.
 */
async function withinTimeout<T>(invocation: Promise<T>, context: Context, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
      context.getRemainingTimeInMillis(),
    );
  });
  try {
    return await Promise.race([invocation, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the whole body, or stops counting once it is over the cap (the rest is drained). */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > cap;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startReceiverServer(options: ReceiverServerOptions): Promise<ReceiverServer> {
  const cap = options.maxPayloadBytes ?? API_GATEWAY_MAX_PAYLOAD_BYTES;
  const invokeLimit = options.maxInvokePayloadBytes ?? LAMBDA_MAX_INVOKE_REQUEST_BYTES;
  const functionName = options.functionName ?? 'currents-bridge-receiver';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== RECEIVER_PATH) {
      req.resume();
      return sendJson(res, 404, 'Not Found');
    }
    if (method !== 'POST') {
      req.resume();
      return sendJson(res, 405, 'Method Not Allowed', { allow: 'POST' });
    }
    const body = await readBody(req, cap);
    if (body === 'too-large') return sendJson(res, 413, 'Request Entity Too Large');

    const event = toHttpApiEvent({
      method,
      url: req.url ?? path,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    });
    const eventBytes = invocationPayloadBytes(event);
    if (eventBytes > invokeLimit) {
      // Lambda refuses the invocation (RequestEntityTooLargeException) and the function never runs;
      // HTTP API answers a failed Lambda integration with its generic 500 (settled by issue #8:
      // /work/briefs/apigw-oversize.md; HTTP API troubleshooting, Lambda integrations).
      console.error(
        `receiver not invoked: the event is ${eventBytes} bytes, over Lambda's ${invokeLimit}-byte invocation limit`,
      );
      return sendJson(res, 500, 'Internal Server Error');
    }
    const timeoutMs = options.functionTimeoutMs ?? 29_000;
    const context = lambdaContext({
      functionName,
      timeoutMs,
      region: options.region,
      ...(options.memoryLimitInMB ? { memoryLimitInMB: options.memoryLimitInMB } : {}),
    });
    let result: APIGatewayProxyStructuredResultV2 | string;
    try {
      result = await withinTimeout(options.handler(event, context), context, timeoutMs);
    } catch (error) {
      // API Gateway hides a failed invocation behind a generic 500; the local log keeps the cause.
      console.error(`receiver handler failed: ${(error as Error).stack ?? String(error)}`);
      return sendJson(res, 500, 'Internal Server Error');
    }
    writeResult(res, result, event.requestContext.requestId);
  }

  const server = createServer((req, res) => {
    res.on('finish', () =>
      options.onResponse?.({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: res.statusCode,
      }),
    );
    handle(req, res).catch((error: unknown) => {
      console.error(`local server error: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${RECEIVER_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        // Keep-alive sockets of clients that went away would hold close() open forever.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
