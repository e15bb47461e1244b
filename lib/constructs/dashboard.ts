import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '#lambdas/shared/contract';
import { bridgeMetric } from './alarms';
import type { Archive } from './archive';
import type { BridgeFunction } from './bridge-function';
import type { Consumer, EventRouting } from './event-routing';
import type { IngestApi } from './ingest-api';
import type { Spillover } from './spillover';

export interface DashboardProps {
  readonly ingest: IngestApi;
  readonly receiver: BridgeFunction;
  readonly routing: EventRouting;
  readonly archive: Archive;
  readonly spillover: Spillover;
}

const WIDE = { width: 12, height: 6 } as const;

function eventsMetric(metricName: string, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    label,
  });
}

/**
 * One CloudWatch dashboard for the whole pipeline: what Braze sent and what became of it, the API
 * and functions, the bus, the archive and every queue (DLQs of consumers added later included).
 */
export class Dashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly deadLetterWidget: cloudwatch.GraphWidget;
  private readonly consumerWidget: cloudwatch.GraphWidget;
  private readonly routing: EventRouting;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { ingest, receiver, routing, archive, spillover } = props;
    this.routing = routing;
    const sum = (name: (typeof METRIC)[keyof typeof METRIC], label: string) => bridgeMetric(name, { label });

    this.deadLetterWidget = new cloudwatch.GraphWidget({
      title: 'Dead-letter queues: messages (must be 0)',
      left: [],
      ...WIDE,
    });

    // Every rule of the account as a baseline (a graph needs a metric), then one line per consumer.
    this.consumerWidget = new cloudwatch.GraphWidget({
      title: 'Rules: deliveries (left) and failed deliveries (right)',
      left: [eventsMetric('Invocations', 'all rules (account)')],
      right: [eventsMetric('FailedInvocations', 'all rules failed (account)')],
      ...WIDE,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# currents-bridge\nBraze Currents → API Gateway → receiver → EventBridge → archive and consumers. ' +
          'Every alarm description says what to do.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Braze events: received and what became of them',
        left: [
          sum(METRIC.eventsReceived, 'received'),
          sum(METRIC.eventsPublished, 'published'),
          sum(METRIC.eventsSpilled, 'spilled over'),
          sum(METRIC.eventsRedriven, 'redriven'),
          sum(METRIC.eventsQuarantined, 'quarantined'),
          sum(METRIC.eventsClaimChecked, 'claim-checked'),
          sum(METRIC.unknownEventTypes, 'unknown types'),
          sum(METRIC.unknownFields, 'unknown fields'),
        ],
        ...WIDE,
      }),
      new cloudwatch.GraphWidget({
        title: 'Requests rejected',
        left: [
          sum(METRIC.authMissing, '401 no token'),
          sum(METRIC.authRejected, '403 bad token / IP'),
          sum(METRIC.bodiesRejected, '400 bad body'),
          sum(METRIC.bodiesTooLarge, '413 too large'),
          sum(METRIC.batchesFailed, '503 bus and spillover down'),
          sum(METRIC.unsupportedVersion, 'other Currents version'),
        ],
        ...WIDE,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Publish latency per batch (ms) and event lag (s)',
        left: [
          bridgeMetric(METRIC.publishLatency, { statistic: 'p50', label: 'publish p50' }),
          bridgeMetric(METRIC.publishLatency, { statistic: 'p99', label: 'publish p99' }),
        ],
        right: [bridgeMetric(METRIC.eventLag, { statistic: 'p99', label: 'lag p99 (s)' })],
        ...WIDE,
      }),
      new cloudwatch.GraphWidget({
        title: 'API: requests, 4xx, 5xx',
        left: [
          ingest.api.metricCount({ label: 'requests', period: Duration.minutes(5) }),
          ingest.api.metricClientError({ label: '4xx', period: Duration.minutes(5) }),
          ingest.api.metricServerError({ label: '5xx', period: Duration.minutes(5) }),
        ],
        right: [ingest.api.metricLatency({ statistic: 'p99', label: 'latency p99 (ms)' })],
        ...WIDE,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Functions: invocations, errors, throttles',
        left: [
          receiver.function.metricInvocations({ label: 'receiver invocations' }),
          spillover.redrive.function.metricInvocations({ label: 'redrive invocations' }),
        ],
        right: [
          receiver.function.metricErrors({ label: 'receiver errors' }),
          receiver.function.metricThrottles({ label: 'receiver throttles' }),
          spillover.redrive.function.metricErrors({ label: 'redrive errors' }),
        ],
        ...WIDE,
      }),
      new cloudwatch.GraphWidget({
        title: 'Functions: duration p99 (ms)',
        left: [
          receiver.function.metricDuration({ statistic: 'p99', label: 'receiver' }),
          spillover.redrive.function.metricDuration({ statistic: 'p99', label: 'redrive' }),
        ],
        ...WIDE,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Bus: archive rule invocations and failures',
        left: [
          routing.ruleMetric(archive.rule, 'MatchedEvents', { label: 'matched' }),
          routing.ruleMetric(archive.rule, 'Invocations', { label: 'invocations' }),
        ],
        right: [
          routing.ruleMetric(archive.rule, 'FailedInvocations', { label: 'failed' }),
          routing.ruleMetric(archive.rule, 'InvocationsSentToDlq', { label: 'sent to DLQ' }),
        ],
        ...WIDE,
      }),
      new cloudwatch.GraphWidget({
        title: 'Archive (Firehose): records in and delivered, freshness (s)',
        left: [
          archive.deliveryStream.metricIncomingRecords({ statistic: 'Sum', label: 'incoming' }),
          archive.deliveryStream.metric('DeliveryToS3.Records', { statistic: 'Sum', label: 'delivered' }),
        ],
        right: [archive.metricDataFreshness({ label: 'freshness max (s)' })],
        ...WIDE,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Spillover queue: waiting messages and oldest age (s)',
        left: [
          spillover.queue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            label: 'waiting',
          }),
        ],
        right: [spillover.metricOldestMessageAge({ label: 'oldest (s)' })],
        ...WIDE,
      }),
      this.deadLetterWidget,
    );
    this.dashboard.addWidgets(this.consumerWidget);
  }

  /** Charts a consumer's rule: deliveries and failed deliveries. */
  addConsumer(consumer: Consumer): void {
    this.consumerWidget.addLeftMetric(
      this.routing.ruleMetric(consumer.rule, 'Invocations', { label: `${consumer.id}` }),
    );
    this.consumerWidget.addRightMetric(
      this.routing.ruleMetric(consumer.rule, 'FailedInvocations', { label: `${consumer.id} failed` }),
    );
  }

  /** Shows a dead-letter queue on the dashboard; called for every DLQ, consumers' included. */
  addDeadLetterQueue(queue: sqs.IQueue, owner: string): void {
    this.deadLetterWidget.addLeftMetric(
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: owner }),
    );
  }
}
