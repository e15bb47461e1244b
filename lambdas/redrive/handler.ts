import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AwsClients, eventBridgePort, objectStorePort } from '../shared/aws';
import type { RedriveConfig } from '../shared/config';
import { DEFAULT_BACKOFF, realClock } from '../shared/publisher';
import type { Telemetry } from '../shared/telemetry';
import { createRedrive, EntriesStillFailing, type RedriveDeps } from './redrive';

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
 * The redrive as a middy handler. The use case settles one promise per record under the
 * invocation's shared deadline; @middy/sqs-partial-batch-failure turns the rejected ones into
 * `batchItemFailures` (the event source mapping has `ReportBatchItemFailures`) and logs each,
 * and answers every record failed if the handler throws.
 */
export function createRedriveHandler(
  deps: RedriveDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const redrive = createRedrive(deps);
  const { logger } = deps;
  const handler = middy<SQSEvent, PromiseSettledResult<unknown>[], Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(deps.metrics))
    .use(
      sqsPartialBatchFailure({
        // Never the record itself: its body is customer data.
        logger: function messageReturnsToQueue(reason: unknown, record: SQSRecord) {
          if (reason instanceof EntriesStillFailing) {
            logger.warn('entries still failing, message returns to the queue', {
              messageId: record.messageId,
              originalBatchId: reason.originalBatchId,
              unsent: reason.unsent,
              lastError: reason.lastError,
            });
          } else {
            logger.error('redrive failed, message returns to the queue', {
              messageId: record.messageId,
              error: reason as Error,
            });
          }
        },
      }),
    )
    .handler(async function redriveSpillover(event, context) {
      return redrive(event.Records, context?.getRemainingTimeInMillis?.());
    });
  // The middleware replaces the settled results with the SQSBatchResponse Lambda expects.
  return handler as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
}
