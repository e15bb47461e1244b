import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/contract';
import { ALARM_RUNBOOK } from '../../lib/constructs/alarms';
import { type Synthesized, synthesize } from './synth';

type AlarmProperties = {
  AlarmDescription: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
  Statistic?: string;
  Period?: number;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
};

const receiverMetric = {
  Namespace: METRICS_NAMESPACE,
  Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
};

describe('alarms', () => {
  let synthesized: Synthesized;
  let alarms: AlarmProperties[];

  beforeAll(() => {
    synthesized = synthesize();
    alarms = Object.values(synthesized.template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: AlarmProperties }).Properties,
    );
  });

  function alarmFor(kind: keyof typeof ALARM_RUNBOOK, detail = ''): AlarmProperties {
    const found = alarms.filter(
      (alarm) =>
        alarm.AlarmDescription.includes(ALARM_RUNBOOK[kind].happened) &&
        alarm.AlarmDescription.includes(detail),
    );
    expect(found, `one ${kind} alarm ${detail}`).toHaveLength(1);
    return found[0] as AlarmProperties;
  }

  it('notify one SNS topic on alarm and on recovery, and say what happened and what to do', () => {
    // The second topic takes notices that do not page (SchemaDrift, see schema-registry.test.ts).
    synthesized.template.resourceCountIs('AWS::SNS::Topic', 2);
    const paging = alarms.filter(
      (alarm) => !alarm.AlarmDescription.includes(ALARM_RUNBOOK.SchemaDrift.happened),
    );
    expect(paging).toHaveLength(alarms.length - 1);
    for (const alarm of paging) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
      expect(alarm.AlarmDescription).toMatch(/What to do: \S/);
      expect(['breaching', 'notBreaching']).toContain(alarm.TreatMissingData);
    }
  });

  it('subscribe no one by default, and the configured address when given', () => {
    synthesized.template.resourceCountIs('AWS::SNS::Subscription', 0);

    const { template } = synthesize({ context: { alarmEmail: 'oncall@example.com' } });

    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlarmsTopic') },
    });
  });

  it('fire on five or more 401/403 answers in five minutes', () => {
    const alarm = alarmFor('AuthFailures');
    const metricNames = alarm.Metrics?.map((metric) => metric.MetricStat?.Metric.MetricName).filter(Boolean);

    expect(metricNames?.sort()).toEqual(['AuthFailure401', 'AuthFailure403']);
    expect(alarm.Metrics?.find((metric) => metric.Expression)?.Expression).toMatch(
      /unauthenticated.*\+.*forbidden/,
    );
    expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('fire on any receiver error, any API 5xx, any redrive error', () => {
    expect(alarmFor('ReceiverErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^ReceiverFunction/) } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmFor('Api5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: expect.stringMatching(/^IngestApi/) } }],
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmFor('RedriveErrors')).toMatchObject({
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^SpilloverRedriveFunction/) } },
      ],
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire when spilled-over events wait longer than 15 minutes', () => {
    expect(alarmFor('SpilloverAge')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [expect.stringMatching(/^SpilloverQueue/), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire as soon as the spillover DLQ or the archive rule DLQ holds a message', () => {
    for (const [owner, queue] of [
      ['spillover queue', /^SpilloverDeadLetterQueue/],
      ['archive rule', /^ArchiveRuleDeadLetterQueue/],
    ] as const) {
      expect(alarmFor('DeadLetterQueue', owner)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(queue), 'QueueName'] } },
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fire when Firehose holds records for 15 minutes, or the archive rule fails to deliver', () => {
    expect(alarmFor('ArchiveFreshness')).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Dimensions: [
        { Name: 'DeliveryStreamName', Value: { Ref: expect.stringMatching(/^ArchiveDeliveryStream/) } },
      ],
      Statistic: 'Maximum',
      Threshold: 900,
      TreatMissingData: 'notBreaching',
    });
    const ruleFailures = alarmFor('ArchiveRuleFailures');
    expect(ruleFailures).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(ruleFailures.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'EventBusName', Value: { Ref: expect.stringMatching(/^RoutingBus/) } },
        { Name: 'RuleName', Value: { Ref: expect.stringMatching(/^ArchiveRule/) } },
      ]),
    );
  });

  it('fire on any quarantined event', () => {
    expect(alarmFor('EventsQuarantined')).toMatchObject({
      ...receiverMetric,
      MetricName: 'EventsQuarantined',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire after 12 silent hours by default, counting missing data as silence', () => {
    expect(alarmFor('Silence')).toMatchObject({
      ...receiverMetric,
      MetricName: 'EventsReceived',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 12,
      DatapointsToAlarm: 12,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('follow the configured silence hours', () => {
    const { template } = synthesize({ context: { silenceHours: '3' } });

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EventsReceived',
      Period: 3600,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmDescription: Match.stringLikeRegexp('No event for 3 hours'),
    });
  });
});

describe('the dashboard', () => {
  it('shows the receiver metrics, the bus, the archive and the queues', () => {
    const { template } = synthesize();
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard);

    for (const expected of [
      'EventsReceived',
      'EventsPublished',
      'EventsSpilled',
      'EventsQuarantined',
      'AuthFailure401',
      'AWS/Events',
      'FailedInvocations',
      'AWS/Firehose',
      'DeliveryToS3.DataFreshness',
      'ApproximateAgeOfOldestMessage',
      'SpilloverDeadLetterQueue',
      'ArchiveRuleDeadLetterQueue',
    ]) {
      expect(body).toContain(expected);
    }
  });
});
