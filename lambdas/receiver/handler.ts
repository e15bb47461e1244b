/**
 * The receiver as a middy handler: Powertools context and metrics middlewares first, the
 * unexpected-error mapper last, and in between a thin adapter: request in, use case, metrics from
 * its outcome, the outcome's HTTP answer out. `buildReceiverDeps` wires the real adapters; tests
 * call it with their own config and clients (mocked with aws-sdk-client-mock).
 */

import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type AwsClients, eventBridgePort, objectStorePort, spilloverPort } from '../shared/aws';
import type { ReceiverConfig } from '../shared/config';
import { DEFAULT_BACKOFF, realClock } from '../shared/publisher';
import type { Telemetry } from '../shared/telemetry';
import { sourceIpAllowList } from './auth';
import { createDriftDetector } from './drift';
import { httpResponse, unexpectedErrorMapper } from './http';
import { recordOutcome } from './metrics';
import { createReceiver, type ReceiverDeps } from './receive';
import { secretTokenSource, staticTokenSource } from './token-source';

/** The use case's ports plus the Powertools instances the handler's middlewares flush. */
export type ReceiverHandlerDeps = ReceiverDeps & Telemetry;

export function buildReceiverDeps(
  config: ReceiverConfig,
  clients: Pick<AwsClients, 'eventBridge' | 's3' | 'sqs' | 'secretsManager'>,
  telemetry: Telemetry,
  overrides: Partial<ReceiverHandlerDeps> = {},
): ReceiverHandlerDeps {
  const tokens =
    config.tokenSecretId !== undefined
      ? secretTokenSource(
          new SecretsProvider({ awsSdkV3Client: clients.secretsManager }),
          config.tokenSecretId,
          config.tokenCacheSeconds,
        )
      : staticTokenSource(config.staticTokens);
  return {
    settings: config,
    tokens,
    sourceIpAllowed: sourceIpAllowList(config.allowedSourceCidrs),
    bus: eventBridgePort(clients.eventBridge, config.eventBusName),
    store: objectStorePort(clients.s3, config.archiveBucket),
    spillover: spilloverPort(clients.sqs, config.spilloverQueueUrl),
    logger: telemetry.logger,
    metrics: telemetry.metrics,
    // Built only when not given: its per-type field sets are cold-start work.
    drift: overrides.drift ?? createDriftDetector(telemetry.logger, telemetry.metrics, config.catalogExtras),
    clock: realClock(),
    backoff: DEFAULT_BACKOFF,
    newBatchId: randomUUID,
    ...overrides,
  };
}

export function createReceiverHandler(deps: ReceiverHandlerDeps) {
  const receive = createReceiver(deps);
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(deps.metrics))
    .use(unexpectedErrorMapper(deps.logger))
    .handler(async function receiveCurrentsBatch(event, context) {
      const outcome = await receive({
        headers: event.headers,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        rawQueryString: event.rawQueryString,
        sourceIp: event.requestContext?.http?.sourceIp,
        remainingTimeMs: context?.getRemainingTimeInMillis?.(),
      });
      recordOutcome(deps.metrics, outcome);
      return httpResponse(outcome);
    });
}
