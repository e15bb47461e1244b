/**
 * A fault-injecting HTTP proxy to put in front of any stand-in (or any HTTP endpoint): while
 * faults are on it answers as an overloaded AWS service would (503 `ServiceUnavailable`) or
 * resets the connection; otherwise it forwards the request untouched. This is how the tests
 * make "S3 unavailable for a while" or "SQS down" happen without touching the stand-in itself.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server';

/** `unavailable`: HTTP 503 `ServiceUnavailable` in the service's error format; `reset`: drop the connection. */
export type FaultMode = 'unavailable' | 'reset';

export interface FaultProxyStats {
  forwarded: number;
  faulted: number;
}

export class FaultProxy {
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private faultMode: FaultMode | undefined;
  private remainingFaults = Number.POSITIVE_INFINITY;
  private readonly target: URL;
  readonly stats: FaultProxyStats = { forwarded: 0, faulted: 0 };

  constructor(targetUrl: string) {
    this.target = new URL(targetUrl);
  }

  /** Every request fails until {@link heal}; with `count`, only the next `count` requests fail. */
  fail(mode: FaultMode = 'unavailable', count = Number.POSITIVE_INFINITY): void {
    this.faultMode = mode;
    this.remainingFaults = count;
  }

  /** Fails every request for `durationMs`, then heals by itself. */
  failFor(durationMs: number, mode: FaultMode = 'unavailable'): void {
    this.fail(mode);
    setTimeout(() => this.heal(), durationMs).unref();
  }

  heal(): void {
    this.faultMode = undefined;
    this.remainingFaults = Number.POSITIVE_INFINITY;
  }

  get failing(): boolean {
    return this.faultMode !== undefined && this.remainingFaults > 0;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('already started');
    const server = createServer((request, response) => this.handle(request, response));
    this.baseUrl = await listenOnLoopback(server, port, host);
    this.server = server;
    return { url: this.baseUrl };
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('not started');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeServer(server);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.failing && this.faultMode) {
      this.remainingFaults -= 1;
      this.stats.faulted += 1;
      if (this.faultMode === 'reset') {
        request.socket.destroy();
        return;
      }
      request.resume();
      answerUnavailable(request, response);
      return;
    }
    this.stats.forwarded += 1;
    const upstream = httpRequest(
      {
        hostname: this.target.hostname,
        port: this.target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  }
}

/** JSON-protocol services (EventBridge, SQS) and REST-XML ones (S3) read errors differently. */
function answerUnavailable(request: IncomingMessage, response: ServerResponse): void {
  const message = 'Injected fault: service unavailable';
  if (request.headers['x-amz-target']) {
    response.writeHead(503, {
      'content-type': String(request.headers['content-type'] ?? 'application/x-amz-json-1.1'),
      'x-amzn-errortype': 'ServiceUnavailable',
    });
    response.end(JSON.stringify({ __type: 'ServiceUnavailable', message }));
    return;
  }
  response.writeHead(503, { 'content-type': 'application/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code><Message>${message}</Message></Error>`,
  );
}
