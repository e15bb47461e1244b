import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC } from '../../lambdas/shared/contract';
import { alarmDescription, bridgeMetric } from './alarms';

export interface SchemaDriftAlarmProps {
  /** Address subscribed to the notice topic; none when undefined. */
  readonly email?: string;
}

/**
 * The `SchemaDrift` alarm: in ALARM while the receiver counts unknown event types or fields (sum
 * of `UnknownEventTypes` and `UnknownFields` over an hour ≥ 1). Drift needs a look within days, not
 * a person woken at night, so it informs instead of paging: it notifies a topic of its own (the
 * "notice" topic, with the alarm e-mail subscribed), never the alarm topic on-call tooling
 * subscribes to.
 */
export class SchemaDriftAlarm extends Construct {
  public readonly alarm: cloudwatch.Alarm;
  /** Informational notifications; subscribe whoever looks after consumers and the catalog. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: SchemaDriftAlarmProps) {
    super(scope, id);

    this.topic = new sns.Topic(this, 'NoticeTopic', {
      displayName: 'currents-bridge notices',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Notices carry alarm names and states, no customer data. CloudWatch cannot publish to a topic encrypted ' +
        'with the AWS-managed SNS key, and a customer-managed key would add cost for no gain.',
    });
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }

    const hourly = { period: Duration.hours(1) };
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      // A plain string (no token): the receiver's log group is the stack output ReceiverLogGroupName.
      alarmDescription: alarmDescription('SchemaDrift'),
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(types, 0) + FILL(fields, 0)',
        usingMetrics: {
          types: bridgeMetric(METRIC.unknownEventTypes, hourly),
          fields: bridgeMetric(METRIC.unknownFields, hourly),
        },
        label: 'unknown event types + unknown fields',
        ...hourly,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notify = new actions.SnsAction(this.topic);
    this.alarm.addAlarmAction(notify);
    this.alarm.addOkAction(notify);
  }
}
