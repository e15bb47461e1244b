/**
 * The HTTP side shared by the EventBridge and SQS stand-ins: both services speak the AWS JSON
 * protocol (`POST /`, `X-Amz-Target: <prefix>.<Operation>`, a JSON body, errors as
 * `{"__type": ..., "message": ...}`), so one small server serves both. The stand-ins are not
 * authenticated: SigV4 headers are accepted and ignored, as every local emulator does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server';

/** An error the service answers with, in the shape SDK v3 turns into a named exception. */
export class AwsServiceError extends Error {
  constructor(
    /** The exception name the SDK exposes as `error.name` (the `__type`). */
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    /**
     * For SQS (an `awsQueryCompatible` service): the legacy query error code, sent in the
     * `x-amzn-query-error` header that SDKs use for `error.Code`.
     */
    readonly queryErrorCode?: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type AwsJsonOperation = (input: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * A second wire protocol for the same operations (SQS's Query protocol: form-encoded `Action=`
 * requests and XML answers), tried for requests without `X-Amz-Target`. It turns a request into
 * an operation name and the JSON-shaped input the operations take, and their output or error
 * back into its own response body.
 */
export interface AlternateProtocol {
  /** Whether the request is in this protocol (only asked when `X-Amz-Target` is absent). */
  accepts(request: IncomingMessage): boolean;
  /** The operation and its input; throws an {@link AwsServiceError} for a request it cannot read. */
  parse(request: IncomingMessage, body: Buffer): { operation: string; input: Record<string, unknown> };
  success(operation: string, output: unknown, requestId: string): { contentType: string; body: string };
  failure(error: AwsServiceError, requestId: string): { contentType: string; body: string };
}

export interface AwsJsonServerOptions {
  /** `AWSEvents` or `AmazonSQS`: what comes before the dot in `X-Amz-Target`. */
  targetPrefix: string;
  /** `application/x-amz-json-1.1` (EventBridge) or `application/x-amz-json-1.0` (SQS). */
  contentType: string;
  /** Prefix for `__type` (SQS answers `com.amazonaws.sqs#QueueDoesNotExist`). */
  errorTypePrefix?: string;
  operations: Readonly<Record<string, AwsJsonOperation>>;
  /**
   * Called before every operation with its name and the raw body size; throwing an
   * {@link AwsServiceError} here answers that error instead (fault injection, size limits).
   */
  beforeOperation?: (operation: string, bodyBytes: number) => void;
  /** Another protocol the same operations are served in (see {@link AlternateProtocol}). */
  alternateProtocol?: AlternateProtocol;
}

/** Above any legal request to either service; protects the process from a runaway client. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export class AwsJsonServer {
  private server: Server | undefined;
  private baseUrl: string | undefined;

  constructor(private readonly options: AwsJsonServerOptions) {}

  /** Listens on `127.0.0.1:<port>` (0 = an ephemeral port) and resolves with the base URL. */
  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('already started');
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.answerError(response, new AwsServiceError('InternalFailure', String(error), 500));
      });
    });
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

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.headers['x-amz-target'];
    const alternate = this.options.alternateProtocol;
    if (typeof target !== 'string' && alternate?.accepts(request)) {
      await this.handleAlternate(alternate, request, response);
      return;
    }
    if (request.method !== 'POST' || typeof target !== 'string') {
      this.answerError(response, new AwsServiceError('UnknownOperationException', 'Missing X-Amz-Target'));
      request.resume();
      return;
    }
    const [prefix, operation = ''] = target.split('.');
    const handler = prefix === this.options.targetPrefix ? this.options.operations[operation] : undefined;
    const body = await readBody(request);
    if (body === undefined) {
      this.answerError(response, new AwsServiceError('ValidationException', 'Request too large', 413));
      return;
    }
    if (!handler) {
      this.answerError(
        response,
        new AwsServiceError('UnknownOperationException', `Operation ${target} is not supported here`),
      );
      return;
    }
    try {
      this.options.beforeOperation?.(operation, body.length);
      const input = parseInput(body);
      const output = await handler(input);
      response.writeHead(200, { 'content-type': this.options.contentType });
      response.end(JSON.stringify(output ?? {}));
    } catch (error) {
      this.answerError(
        response,
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError(
              'InternalFailure',
              error instanceof Error ? error.message : String(error),
              500,
            ),
      );
    }
  }

  private async handleAlternate(
    protocol: AlternateProtocol,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const requestId = randomUUID();
    const answer = (status: number, answer: { contentType: string; body: string }) => {
      if (response.headersSent) return;
      response.writeHead(status, { 'content-type': answer.contentType, 'x-amzn-requestid': requestId });
      response.end(answer.body);
    };
    try {
      const body = await readBody(request);
      if (body === undefined) throw new AwsServiceError('ValidationException', 'Request too large', 413);
      const { operation, input } = protocol.parse(request, body);
      const handler = this.options.operations[operation];
      if (!handler) {
        throw new AwsServiceError(
          'InvalidAction',
          `The action ${operation} is not valid for this endpoint.`,
          400,
          'InvalidAction',
        );
      }
      this.options.beforeOperation?.(operation, body.length);
      answer(200, protocol.success(operation, await handler(input), requestId));
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError(
              'InternalFailure',
              error instanceof Error ? error.message : String(error),
              500,
              'InternalFailure',
            );
      answer(serviceError.statusCode, protocol.failure(serviceError, requestId));
    }
  }

  private answerError(response: ServerResponse, error: AwsServiceError): void {
    if (response.headersSent) return;
    const headers: Record<string, string> = {
      'content-type': this.options.contentType,
      'x-amzn-errortype': error.code,
    };
    if (error.queryErrorCode) {
      headers['x-amzn-query-error'] =
        `${error.queryErrorCode};${error.statusCode < 500 ? 'Sender' : 'Receiver'}`;
    }
    response.writeHead(error.statusCode, headers);
    response.end(
      JSON.stringify({
        __type: `${this.options.errorTypePrefix ?? ''}${error.code}`,
        message: error.message,
      }),
    );
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseInput(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsServiceError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsServiceError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
