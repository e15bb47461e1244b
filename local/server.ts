/**
 * The local stand-in for API Gateway (HTTP API, Lambda proxy integration, payload format 2.0) in
 * front of the real receiver handler: it builds the event exactly as API Gateway would, invokes the
 * handler with a Lambda-like context, and writes the structured result back. Routing and the
 * errors API Gateway itself answers (404, 405, 413, 500) are reproduced here, because the handler
 * never sees those requests in AWS either.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { RECEIVER_PATH } from '../lambdas/shared/contract';
import { lambdaContext } from './runtime/lambda-context';

export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string>;

/** API Gateway's own payload limit for HTTP APIs. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface ReceiverServerOptions {
  handler: HttpApiHandler;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  maxPayloadBytes?: number;
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
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
}

const TEXT_CONTENT_TYPE =
  /^(text\/[^;]+|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]+\+(json|xml))\s*(;|$)/i;

/**
 * API Gateway passes text bodies as they are and base64-encodes everything else: unknown or
 * missing content types, and any body with a content encoding such as gzip.
 */
export function isTextBody(headers: IncomingHttpHeaders): boolean {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  const contentType = headers['content-type'];
  return contentType !== undefined && TEXT_CONTENT_TYPE.test(contentType.trim());
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
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter((c) => c !== '');
      continue;
    }
    headers[lower] = Array.isArray(value) ? value.join(',') : value;
  }
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      const previous = queryStringParameters[key];
      queryStringParameters[key] = previous === undefined ? value : `${previous},${value}`;
    }
  }

  const text = isTextBody(headers);
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
 * cannot be frozen, so it runs on, but the client gets the answer it would get in AWS.
 */
async function withinTimeout<T>(invocation: Promise<T>, context: Context): Promise<T> {
  const timeoutMs = context.getRemainingTimeInMillis();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Task timed out after ${timeoutMs / 1000} seconds`)),
      timeoutMs,
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
      headers: req.headers,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    });
    const context = lambdaContext({
      functionName,
      timeoutMs: options.functionTimeoutMs ?? 29_000,
      region: options.region,
    });
    let result: APIGatewayProxyStructuredResultV2 | string;
    try {
      result = await withinTimeout(options.handler(event, context), context);
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
