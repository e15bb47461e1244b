import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName, SERVICE_NAME } from '../../lambdas/shared/contract';

/**
 * What each alarm means and what to do about it. The alarm descriptions are built from this, and
 * the README's runbook table says the same, so the person paged reads the runbook in the alarm.
 */
export const ALARM_RUNBOOK = {
  AuthFailures: {
    happened: 'Requests were rejected with 401 (no Bearer token) or 403 (unknown token or source IP).',
    action:
      'If Braze is the sender, its connector token or IP list is out of date: compare the token in Braze with ' +
      'the secret, check the allowedSourceCidrs setting. Braze e-mails its admins and stops on 401/403.',
  },
  ReceiverErrors: {
    happened:
      'The receiver function failed (crash, timeout or out of memory); Braze got a 5xx and will retry.',
    action:
      "Read the receiver's log group for the error and its batch id; redeploy a fix. Braze retries the batch.",
  },
  Api5xx: {
    happened:
      'The API answered 5xx: the receiver failed, or EventBridge and the spillover queue both refused events (503).',
    action:
      'Check the ReceiverErrors alarm and the BatchesFailed metric; check EventBridge and SQS health in the region. ' +
      'Braze retries, but disables the connector after 5 days of errors.',
  },
  SpilloverAge: {
    happened:
      'Events have waited in the spillover queue for over 15 minutes: the redrive cannot publish them.',
    action:
      "Read the redrive function's logs; check EventBridge throttling (PutEvents quota) and the bus. Events are " +
      'safe for 14 days in the queue.',
  },
  RedriveErrors: {
    happened: 'The redrive function failed; its spillover messages return to the queue and are retried.',
    action:
      "Read the redrive function's log group. After 5 failed receives a message moves to the spillover DLQ.",
  },
  DeadLetterQueue: {
    happened: 'A dead-letter queue holds messages: events could not be delivered after every retry.',
    action:
      'Inspect the messages (SQS console, "Poll for messages"), fix the target named in this alarm, then move ' +
      'them back (SQS "Start DLQ redrive" for queue DLQs, or re-publish the events to the bus).',
  },
  ArchiveFreshness: {
    happened: 'Firehose has held records for over 15 minutes without delivering them to the archive bucket.',
    action:
      'Read the Firehose log group (destination errors, S3 permission or partitioning failures) and the ' +
      'archive-errors/ prefix of the bucket.',
  },
  ArchiveRuleFailures: {
    happened: 'The archive rule could not hand events to Firehose, even after retries.',
    action:
      'Check the Firehose stream (throttling, quota) and the archive rule DLQ; events in the DLQ can be re-sent ' +
      'to the stream.',
  },
  EventsQuarantined: {
    happened:
      'Events or bodies were quarantined to S3 (not an object, no event_type, not JSON, or rejected by EventBridge).',
    action:
      'Read the objects under quarantine/ in the archive bucket; each holds the batch context. Nothing is lost, ' +
      'but the events were not routed.',
  },
  SchemaDrift: {
    happened:
      'Braze sent an event type, or a field of user or properties, that the catalog does not know; the events were published as they are.',
    action:
      'Find what changed: CloudWatch Logs Insights on the receiver log group (stack output ReceiverLogGroupName), `filter ispresent(driftKind) | stats count(*) as instances, ' +
      "min(@timestamp) as firstSeen by driftKind, eventType, field`. Check Braze's Currents changelog, update the consumers that need " +
      'the new data, then acknowledge it with the extraEventTypes / extraEventFields settings and deploy. This alarm informs; it does not page.',
  },
  Silence: {
    happened: 'No Braze event was received for the configured number of hours.',
    action:
      'Check the connector in Braze (Currents page): it may be paused or disabled after errors, or point to an old ' +
      'URL. Braze drops events after 5 days of failures, so act now.',
  },
} as const satisfies Record<string, { happened: string; action: string }>;

export type AlarmKind = keyof typeof ALARM_RUNBOOK;

export function alarmDescription(kind: AlarmKind, detail?: string): string {
  const entry = ALARM_RUNBOOK[kind];
  return [detail, entry.happened, `What to do: ${entry.action}`].filter(Boolean).join(' ');
}

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
    period: Duration.minutes(5),
    ...props,
  });
}

export interface AlarmsProps {
  /** Address subscribed to the topic; no subscription when undefined. */
  readonly email?: string;
}

export interface AlarmOptions {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** Names the resource the alarm is about, prepended to the runbook text. */
  readonly detail?: string;
}

/** One SNS topic every alarm notifies (on alarm and on recovery), with an optional e-mail. */
export class Alarms extends Construct {
  public readonly topic: sns.Topic;
  private readonly alarmList: cloudwatch.Alarm[] = [];
  private readonly notify: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'currents-bridge alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states, no customer data. CloudWatch cannot publish to a ' +
        'topic encrypted with the AWS-managed SNS key, and a customer-managed key would add cost for no gain.',
    });
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
    this.notify = new actions.SnsAction(this.topic);
  }

  get alarms(): readonly cloudwatch.Alarm[] {
    return this.alarmList;
  }

  add(scope: Construct, id: string, kind: AlarmKind, options: AlarmOptions): cloudwatch.Alarm {
    const evaluationPeriods = options.evaluationPeriods ?? 1;
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmDescription: alarmDescription(kind, options.detail),
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparisonOperator,
      evaluationPeriods,
      datapointsToAlarm: options.datapointsToAlarm ?? evaluationPeriods,
      treatMissingData: options.treatMissingData,
    });
    alarm.addAlarmAction(this.notify);
    alarm.addOkAction(this.notify);
    this.alarmList.push(alarm);
    return alarm;
  }

  /** Fires as soon as a dead-letter queue holds a message. */
  addDeadLetterQueueAlarm(queue: sqs.IQueue, owner: string): cloudwatch.Alarm {
    const id = `DeadLetterQueueNotEmpty${owner.replace(/[^A-Za-z0-9]/g, '')}`;
    return this.add(this, id, 'DeadLetterQueue', {
      detail: `Dead-letter queue of the ${owner}.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
