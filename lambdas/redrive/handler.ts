import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type AwsClients, eventBridgePort, objectStorePort } from '../shared/aws';
import type { RedriveConfig } from '../shared/config';
import { DEFAULT_BACKOFF, realClock } from '../shared/publisher';
import type { Telemetry } from '../shared/telemetry';
import { createRedrive, type RedriveDeps } from './redrive';

export function buildRedriveDeps(
  config: RedriveConfig,
  clients: Pick<AwsClients, 'eventBridge' | 's3'>,
  telemetry: Telemetry,
  overrides: Partial<RedriveDeps> = {},
): RedriveDeps {
  return {
    publishBudgetMs: config.publishBudgetMs,
    bus: eventBridgePort(clients.eventBridge, config.eventBusName),
    store: objectStorePort(clients.s3, config.archiveBucket),
    logger: telemetry.logger,
    metrics: telemetry.metrics,
    clock: realClock(),
    backoff: DEFAULT_BACKOFF,
    ...overrides,
  };
}

/**
 * Plain `SQSBatchResponse` rather than @middy/sqs-partial-batch-failure: that middleware wants one
 * promise per record, and here the records share one publishing deadline.
 */
export function createRedriveHandler(deps: RedriveDeps) {
  const redrive = createRedrive(deps);
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(deps.metrics))
    .handler(async function redriveSpillover(event, context) {
      return redrive(event.Records, context?.getRemainingTimeInMillis?.());
    });
}
