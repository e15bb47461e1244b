/**
 * HTTP answers and the one place errors become responses. Only statuses below 500 carry a message
 * of ours; a 5xx says no more than its status, so no internal detail (or token) can leak.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Braze backs off on 5xx anyway; this tells it (and anyone else) when trying again makes sense. */
export const RETRY_AFTER_SECONDS = 30;

export function serviceUnavailable(message: string): HttpError {
  return new HttpError(503, message, { 'retry-after': String(RETRY_AFTER_SECONDS) });
}

const STATUS_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HttpError && error.statusCode < 500) {
    return jsonResponse(error.statusCode, { message: error.message }, error.headers);
  }
  const statusCode = error instanceof HttpError ? error.statusCode : 500;
  const headers = error instanceof HttpError ? error.headers : {};
  return jsonResponse(statusCode, { message: STATUS_TEXT[statusCode] ?? 'Error' }, headers);
}

/** The last middleware: maps any error to a response, and logs what is not a planned answer. */
export function httpErrorMapper(logger: Logger): MiddlewareObj {
  return {
    onError: function mapErrorToHttpResponse(request) {
      const { error } = request;
      if (!(error instanceof HttpError)) {
        logger.error('unexpected error', { error: error as Error });
      } else if (error.statusCode >= 500) {
        logger.error('batch not accepted', { statusCode: error.statusCode, reason: error.message });
      }
      request.response = errorResponse(error);
    },
  };
}
