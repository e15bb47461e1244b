/**
 * The HTTP side of the receiver: ONE table answers each outcome of the use case with a status and
 * headers, row for row like docs/receiver.md's "HTTP contract (as built)" (a test holds them together).
 * Only statuses below 500 carry a message of ours; a 5xx says no more than its status, so no
 * internal detail (or token) can leak.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ReceiveOutcome } from './receive';

/** Braze backs off on 5xx anyway; this tells it (and anyone else) when trying again makes sense. */
export const RETRY_AFTER_SECONDS = 30;

export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Status and headers per outcome, in the order the contract table of docs/receiver.md first names them;
 * `unexpected-error` answers a bug (anything the use case throws).
 */
export const HTTP_ANSWERS = {
  // RFC 6750 §3: a 401 names the scheme it wants.
  unauthenticated: { statusCode: 401, headers: { 'www-authenticate': 'Bearer' } },
  forbidden: { statusCode: 403, headers: {} },
  accepted: { statusCode: 200, headers: {} },
  // Braze splits a batch answered 400 or 413 and resends the halves.
  'invalid-body': { statusCode: 400, headers: {} },
  'body-too-large': { statusCode: 413, headers: {} },
  unavailable: { statusCode: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
  'unexpected-error': { statusCode: 500, headers: {} },
} as const satisfies Readonly<Record<ReceiveOutcome['kind'] | 'unexpected-error', HttpAnswer>>;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The response for an outcome: 200 with the batch summary; 4xx with the outcome's message;
 * 5xx with its status text only.
 */
export function httpResponse(outcome: ReceiveOutcome): APIGatewayProxyStructuredResultV2 {
  const { statusCode, headers } = HTTP_ANSWERS[outcome.kind];
  switch (outcome.kind) {
    case 'accepted':
      return jsonResponse(statusCode, outcome.batch.summary, headers);
    case 'unavailable':
      return jsonResponse(statusCode, { message: STATUS_TEXT[statusCode] }, headers);
    default:
      return jsonResponse(statusCode, { message: outcome.message }, headers);
  }
}

/** The last middleware: answers anything thrown (a bug, never a planned answer) with a bare 500, and logs it. */
export function unexpectedErrorMapper(logger: Pick<Logger, 'error'>): MiddlewareObj {
  return {
    onError: function answerUnexpectedError(request) {
      logger.error('unexpected error', { error: request.error as Error });
      const { statusCode, headers } = HTTP_ANSWERS['unexpected-error'];
      request.response = jsonResponse(statusCode, { message: STATUS_TEXT[statusCode] }, headers);
    },
  };
}
