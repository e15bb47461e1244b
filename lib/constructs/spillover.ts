import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#lambdas/shared/contract';
import { BridgeFunction } from './bridge-function';
import { deadLetterQueue, MAX_RECEIVE_COUNT, secureQueue } from './secure-defaults';

export const REDRIVE_TIMEOUT = Duration.seconds(60);
export const REDRIVE_MAX_CONCURRENCY = 5;
/**
 * How long the redrive keeps retrying throttled entries before a message goes back to the queue.
 * Unlike the receiver, nobody waits on it, and every return uses up one of the message's
 * {@link MAX_RECEIVE_COUNT} receives before the DLQ, so it uses most of its timeout (10 s stay for S3 writes).
 */
export const REDRIVE_PUBLISH_BUDGET = REDRIVE_TIMEOUT.minus(Duration.seconds(10));

export interface SpilloverProps {
  /** Environment of the redrive function (bus, source, bucket). */
  readonly redriveEnvironment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The durable fallback of the receiver: entries EventBridge would not take in time wait here, and
 * the redrive function re-publishes them, reporting partial batch failures so only the failed
 * messages come back. A message that keeps failing ends in the DLQ, which is alarmed.
 */
export class Spillover extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly redrive: BridgeFunction;

  constructor(scope: Construct, id: string, props: SpilloverProps) {
    super(scope, id);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    this.queue = secureQueue(this, 'Queue', {
      // AWS advises six times the function timeout for SQS event sources, so retries of a slow
      // batch do not overlap.
      visibilityTimeout: Duration.seconds(REDRIVE_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.redrive = new BridgeFunction(this, 'Redrive', {
      entry: 'lambdas/redrive/index.ts',
      description: 'currents-bridge redrive: re-publishes spilled-over Braze events to EventBridge',
      environment: {
        ...props.redriveEnvironment,
        [ENV.publishBudgetMs]: String(REDRIVE_PUBLISH_BUDGET.toMilliseconds()),
      },
      timeout: REDRIVE_TIMEOUT,
      logRetention: props.logRetention,
    });
    this.redrive.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        // Spillover happens when EventBridge throttles: a few redrives at a time drain the queue
        // without adding to the load that caused it.
        maxConcurrency: REDRIVE_MAX_CONCURRENCY,
      }),
    );
  }

  /** Age (seconds) of the oldest message still waiting in the spillover queue. */
  metricOldestMessageAge(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
