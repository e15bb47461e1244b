import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from '#lambdas/shared/contract';
import type { BridgeConfig } from '../config';
import type { Archive } from './archive';
import type { BridgeFunction } from './bridge-function';
import type { EventRouting } from './event-routing';
import type { IngestApi } from './ingest-api';
import type { Spillover } from './spillover';

/**
 * Where an alarm's notifications go. `pages`: the alarm topic, for on-call tooling (data is stuck
 * or about to be lost). `informs`: the notice topic, for e-mail or chat (someone should look
 * within a day; nothing is lost).
 */
export type AlarmSeverity = 'pages' | 'informs';

/** The parts of the stack the stack-wide alarms watch. */
export interface AlarmedParts {
  readonly receiver: BridgeFunction;
  readonly ingest: IngestApi;
  readonly spillover: Spillover;
  readonly archive: Archive;
  readonly routing: EventRouting;
}

/** A dead-letter queue and what it belongs to, e.g. `consumer EmailCrm` or `spillover queue`. */
export interface WatchedQueue {
  readonly queue: sqs.IQueue;
  readonly owner: string;
}

/** Settings of the stack that hold a whole number, which a row may use as its evaluation periods. */
export type NumericSetting = {
  [K in keyof BridgeConfig]-?: BridgeConfig[K] extends number ? K : never;
}[keyof BridgeConfig];

/** Fields every row of {@link ALARMS} has, whatever it watches. */
interface AlarmRowBase {
  /** Statistic over each period (`Sum`, `Maximum`; see `cloudwatch.Stats`). */
  readonly statistic: string;
  readonly period: Duration;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly threshold: number;
  /** What the threshold counts, for the runbook: `count` or `seconds`. */
  readonly unit: 'count' | 'seconds';
  /** Consecutive breaching periods before the alarm fires: a number, or a stack setting holding one. */
  readonly evaluationPeriods: number | { readonly setting: NumericSetting };
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly severity: AlarmSeverity;
  /** The runbook: what the alarm means. */
  readonly happened: string;
  /** The runbook: what to do about it. */
  readonly action: string;
}

/** One alarm for the whole stack. */
export interface StackAlarmRow extends AlarmRowBase {
  readonly watches: 'stack';
  /** The metric, built with the row's statistic and period (`options`). */
  readonly metric: (parts: AlarmedParts, options: cloudwatch.MetricOptions) => cloudwatch.IMetric;
  /** Prepended to the runbook text in the alarm description. */
  readonly detail?: (config: BridgeConfig) => string;
}

/** One alarm per dead-letter queue (spillover, archive rule, every consumer). */
export interface DeadLetterQueueAlarmRow extends AlarmRowBase {
  readonly watches: 'dead-letter queue';
  readonly metric: (watched: WatchedQueue, options: cloudwatch.MetricOptions) => cloudwatch.IMetric;
  readonly detail?: (watched: WatchedQueue) => string;
  /**
   * Construct id prefix, followed by the owner's letters and digits.
   * @default the row's name
   */
  readonly idPrefix?: string;
}

export type AlarmRow = StackAlarmRow | DeadLetterQueueAlarmRow;

const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
const fiveMinutes = Duration.minutes(5);

/** A metric the receiver or redrive publishes through Powertools (EMF), dimension `service`. */
export function bridgeMetric(
  metricName: MetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    ...props,
  });
}

/**
 * Every alarm of the stack, one row each: the metric, how it is evaluated, who it notifies and the
 * runbook (what happened, what to do). The `Alarms` construct builds the alarms from these rows
 * alone, the docs' runbook table is generated from them (`npm run docs:alarms`), and the tests
 * check both against them. Adding an alarm is adding a row.
 */
export const ALARMS = {
  AuthFailures: {
    watches: 'stack',
    metric: (_parts, options) =>
      new cloudwatch.MathExpression({
        expression: 'FILL(unauthenticated, 0) + FILL(forbidden, 0)',
        usingMetrics: {
          unauthenticated: bridgeMetric(METRIC.authMissing, options),
          forbidden: bridgeMetric(METRIC.authRejected, options),
        },
        label: '401 + 403',
        ...(options.period === undefined ? {} : { period: options.period }),
      }),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 5,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened: 'Requests were rejected with 401 (no Bearer token) or 403 (unknown token or source IP).',
    action:
      'If Braze is the sender, its connector token or IP list is out of date: compare the token in Braze with ' +
      'the secret, check the allowedSourceCidrs setting. Braze e-mails its admins and stops on 401/403.',
  },
  ReceiverErrors: {
    watches: 'stack',
    metric: ({ receiver }, options) => receiver.function.metricErrors(options),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened:
      'The receiver function failed (crash, timeout or out of memory); Braze got a 5xx and will retry.',
    action:
      "Read the receiver's log group for the error and its batch id; redeploy a fix. Braze retries the batch.",
  },
  Api5xx: {
    watches: 'stack',
    metric: ({ ingest }, options) => ingest.metricServerErrors(options),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened:
      'The API answered 5xx: the receiver failed, or EventBridge and the spillover queue both refused events (503).',
    action:
      'Check the ReceiverErrors alarm and the BatchesFailed metric; check EventBridge and SQS health in the region. ' +
      'Braze retries, but disables the connector after 5 days of errors.',
  },
  SpilloverAge: {
    watches: 'stack',
    metric: ({ spillover }, options) => spillover.metricOldestMessageAge(options),
    statistic: cloudwatch.Stats.MAXIMUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: Duration.minutes(15).toSeconds(),
    unit: 'seconds',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened:
      'Events have waited in the spillover queue for over 15 minutes: the redrive cannot publish them.',
    action:
      "Read the redrive function's logs; check EventBridge throttling (PutEvents quota) and the bus. Events are " +
      'safe for 14 days in the queue.',
  },
  RedriveErrors: {
    watches: 'stack',
    metric: ({ spillover }, options) => spillover.redrive.function.metricErrors(options),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened: 'The redrive function failed; its spillover messages return to the queue and are retried.',
    action:
      "Read the redrive function's log group. After 5 failed receives a message moves to the spillover DLQ.",
  },
  DeadLetterQueue: {
    watches: 'dead-letter queue',
    idPrefix: 'DeadLetterQueueNotEmpty',
    detail: ({ owner }) => `Dead-letter queue of the ${owner}.`,
    metric: ({ queue }, options) => queue.metricApproximateNumberOfMessagesVisible(options),
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(1),
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened: 'A dead-letter queue holds messages: events could not be delivered after every retry.',
    action:
      'Inspect the messages (SQS console, "Poll for messages"), fix the target named in this alarm, then move ' +
      'them back (SQS "Start DLQ redrive" for queue DLQs, or re-publish the events to the bus).',
  },
  ArchiveFreshness: {
    watches: 'stack',
    metric: ({ archive }, options) => archive.metricDataFreshness(options),
    statistic: cloudwatch.Stats.MAXIMUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: Duration.minutes(15).toSeconds(),
    unit: 'seconds',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened: 'Firehose has held records for over 15 minutes without delivering them to the archive bucket.',
    action:
      'Read the Firehose log group (destination errors, S3 permission or partitioning failures) and the ' +
      'archive-errors/ prefix of the bucket.',
  },
  ArchiveRuleFailures: {
    watches: 'stack',
    metric: ({ routing, archive }, options) => routing.ruleMetric(archive.rule, 'FailedInvocations', options),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened: 'The archive rule could not hand events to Firehose, even after retries.',
    action:
      'Check the Firehose stream (throttling, quota) and the archive rule DLQ; events in the DLQ can be re-sent ' +
      'to the stream.',
  },
  SchemaDrift: {
    watches: 'stack',
    metric: (_parts, options) =>
      new cloudwatch.MathExpression({
        expression: 'FILL(types, 0) + FILL(fields, 0)',
        usingMetrics: {
          types: bridgeMetric(METRIC.unknownEventTypes, options),
          fields: bridgeMetric(METRIC.unknownFields, options),
        },
        label: 'unknown event types + unknown fields',
        ...(options.period === undefined ? {} : { period: options.period }),
      }),
    statistic: cloudwatch.Stats.SUM,
    period: Duration.hours(1),
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    // Drift needs a look within days, not a person woken at night: nothing is lost.
    severity: 'informs',
    happened:
      'Braze sent an event type, or a field of user or properties, that the catalog does not know; the events were published as they are.',
    action:
      'Find what changed: CloudWatch Logs Insights on the receiver log group (stack output ReceiverLogGroupName), `filter ispresent(driftKind) | stats count(*) as instances, ' +
      "min(@timestamp) as firstSeen by driftKind, eventType, field`. Check Braze's Currents changelog, update the consumers that need " +
      'the new data, then acknowledge it with the extraEventTypes / extraEventFields settings and deploy.',
  },
  EventsQuarantined: {
    watches: 'stack',
    metric: (_parts, options) => bridgeMetric(METRIC.eventsQuarantined, options),
    statistic: cloudwatch.Stats.SUM,
    period: fiveMinutes,
    comparison: atLeast,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: 1,
    treatMissingData: notBreaching,
    severity: 'pages',
    happened:
      'Events or bodies were quarantined to S3 (not an object, no event_type, not JSON, or rejected by EventBridge).',
    action:
      'Read the objects under quarantine/ in the archive bucket; each holds the batch context. Nothing is lost, ' +
      'but the events were not routed.',
  },
  // Hourly periods: CloudWatch allows an evaluation range of up to 7 days only for periods of an
  // hour or more. No data at all is what a disabled connector looks like, so it counts as breaching.
  Silence: {
    watches: 'stack',
    detail: (config) => `No event for ${config.silenceHours} hours.`,
    metric: (_parts, options) => bridgeMetric(METRIC.eventsReceived, options),
    statistic: cloudwatch.Stats.SUM,
    period: Duration.hours(1),
    comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    threshold: 1,
    unit: 'count',
    evaluationPeriods: { setting: 'silenceHours' },
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    severity: 'pages',
    happened: 'No Braze event was received for the configured number of hours.',
    action:
      'Check the connector in Braze (Currents page): it may be paused or disabled after errors, or point to an old ' +
      'URL. Braze drops events after 5 days of failures, so act now.',
  },
} as const satisfies Record<string, AlarmRow>;

export type AlarmKind = keyof typeof ALARMS;

/** A table of alarms: rows by name (the alarm's construct id). */
export type AlarmTable = Readonly<Record<string, AlarmRow>>;

/** The rows of a table with their names, in table order. */
export function alarmRows(table: AlarmTable = ALARMS): [string, AlarmRow][] {
  return Object.entries(table);
}

/** The alarm description: the resource it is about (if any), what happened, what to do. */
export function alarmDescription(row: AlarmRow, detail?: string): string {
  return [detail, row.happened, `What to do: ${row.action}`].filter(Boolean).join(' ');
}

/** The row's evaluation periods for these settings. */
export function evaluationPeriodsOf(row: AlarmRow, config: BridgeConfig): number {
  return typeof row.evaluationPeriods === 'number'
    ? row.evaluationPeriods
    : config[row.evaluationPeriods.setting];
}

export interface AlarmsProps {
  /** The stack's settings: `alarmEmail` is subscribed to both topics, rows may read others. */
  readonly config: BridgeConfig;
  /**
   * The alarms to build.
   * @default ALARMS
   */
  readonly table?: AlarmTable;
}

/** An alarm built from a row of {@link ALARMS}. */
export interface BuiltAlarm {
  /** Name of the row it was built from. */
  readonly kind: string;
  readonly alarm: cloudwatch.Alarm;
  /** The dead-letter queue's owner, for rows that watch one. */
  readonly owner?: string;
}

/**
 * The alarms of a table ({@link ALARMS} by default) and the two SNS topics they notify (on alarm and on recovery): the
 * alarm topic for rows that page, the notice topic for rows that inform, each with an optional
 * e-mail subscription. `watchStack` creates the stack-wide alarms, `watchDeadLetterQueue` the
 * alarms of one dead-letter queue.
 */
export class Alarms extends Construct {
  /** Notified by the alarms that page. */
  public readonly topic: sns.Topic;
  /** Notified by the alarms that inform. */
  public readonly noticeTopic: sns.Topic;
  private readonly built: BuiltAlarm[] = [];
  private readonly notify: Record<AlarmSeverity, actions.SnsAction>;
  private readonly config: BridgeConfig;
  private readonly table: AlarmTable;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.config = props.config;
    this.table = props.table ?? ALARMS;
    this.topic = this.alarmTopic('Topic', 'currents-bridge alarms', props.config.alarmEmail);
    this.noticeTopic = this.alarmTopic('NoticeTopic', 'currents-bridge notices', props.config.alarmEmail);
    this.notify = {
      pages: new actions.SnsAction(this.topic),
      informs: new actions.SnsAction(this.noticeTopic),
    };
  }

  /** Every alarm built so far, with the row it came from. */
  get alarms(): readonly BuiltAlarm[] {
    return this.built;
  }

  /** Creates one alarm per stack-wide row of the table. */
  watchStack(parts: AlarmedParts): void {
    for (const [kind, row] of alarmRows(this.table)) {
      if (row.watches !== 'stack') continue;
      this.build({ kind }, row, kind, {
        metric: row.metric(parts, { statistic: row.statistic, period: row.period }),
        evaluationPeriods: evaluationPeriodsOf(row, this.config),
        detail: row.detail?.(this.config),
      });
    }
  }

  /** Creates one alarm per dead-letter-queue row of the table for this queue. */
  watchDeadLetterQueue(watched: WatchedQueue): void {
    const ownerId = watched.owner.replace(/[^A-Za-z0-9]/g, '');
    for (const [kind, row] of alarmRows(this.table)) {
      if (row.watches !== 'dead-letter queue') continue;
      this.build({ kind, owner: watched.owner }, row, `${row.idPrefix ?? kind}${ownerId}`, {
        metric: row.metric(watched, { statistic: row.statistic, period: row.period }),
        evaluationPeriods: evaluationPeriodsOf(row, this.config),
        detail: row.detail?.(watched),
      });
    }
  }

  private build(
    subject: { kind: string; owner?: string },
    row: AlarmRow,
    id: string,
    built: { metric: cloudwatch.IMetric; evaluationPeriods: number; detail: string | undefined },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: alarmDescription(row, built.detail),
      metric: built.metric,
      threshold: row.threshold,
      comparisonOperator: row.comparison,
      evaluationPeriods: built.evaluationPeriods,
      datapointsToAlarm: built.evaluationPeriods,
      treatMissingData: row.treatMissingData,
    });
    alarm.addAlarmAction(this.notify[row.severity]);
    alarm.addOkAction(this.notify[row.severity]);
    this.built.push({ ...subject, alarm });
  }

  private alarmTopic(id: string, displayName: string, email: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, id, { displayName, enforceSSL: true });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states, no customer data. CloudWatch cannot publish to a ' +
        'topic encrypted with the AWS-managed SNS key, and a customer-managed key would add cost for no gain.',
    });
    if (email !== undefined) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    return topic;
  }
}
