/**
 * The receiver as a middy handler: Powertools context and metrics middlewares first, the error
 * mapper last, the use case in between. `buildReceiverDeps` wires the real adapters; tests call
 * it with their own config and clients (mocked with aws-sdk-client-mock).
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
import { httpErrorMapper, jsonResponse } from './http';
import { createReceiver, type ReceiverDeps } from './receive';
import { secretTokenSource, staticTokenSource } from './token-source';

export function buildReceiverDeps(
  config: ReceiverConfig,
  clients: Pick<AwsClients, 'eventBridge' | 's3' | 'sqs' | 'secretsManager'>,
  telemetry: Telemetry,
  overrides: Partial<ReceiverDeps> = {},
): ReceiverDeps {
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
    clock: realClock(),
    backoff: DEFAULT_BACKOFF,
    newBatchId: randomUUID,
    ...overrides,
  };
}

export function createReceiverHandler(deps: ReceiverDeps) {
  const receive = createReceiver(deps);
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(deps.metrics))
    .use(httpErrorMapper(deps.logger))
    .handler(async function receiveCurrentsBatch(event, context) {
      const summary = await receive({
        headers: event.headers,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        rawQueryString: event.rawQueryString,
        sourceIp: event.requestContext?.http?.sourceIp,
        remainingTimeMs: context?.getRemainingTimeInMillis?.(),
      });
      return jsonResponse(200, summary);
    });
}
