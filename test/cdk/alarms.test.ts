import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '#lambdas/shared/contract';
import {
  ALARMS,
  type AlarmKind,
  type AlarmRow,
  Alarms,
  bridgeMetric,
  evaluationPeriodsOf,
  type StackAlarmRow,
} from '#lib/constructs/alarms';
import { type Synthesized, synthesize } from './synth';

type AlarmProperties = {
  AlarmDescription: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: {
    Id: string;
    Expression?: string;
    Period?: number;
    MetricStat?: { Metric: { MetricName: string }; Period: number; Stat: string };
  }[];
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

  function alarmFor(kind: AlarmKind, detail = ''): AlarmProperties {
    const found = alarms.filter(
      (alarm) =>
        alarm.AlarmDescription.includes(ALARMS[kind].happened) && alarm.AlarmDescription.includes(detail),
    );
    expect(found, `one ${kind} alarm ${detail}`).toHaveLength(1);
    return found[0] as AlarmProperties;
  }

  it('notify an SNS topic on alarm and on recovery, and say what happened and what to do', () => {
    synthesized.template.resourceCountIs('AWS::SNS::Topic', 2);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms(Notice)?Topic/) }]);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
      expect(alarm.AlarmDescription).toMatch(/What to do: \S/);
      expect(['breaching', 'notBreaching']).toContain(alarm.TreatMissingData);
    }
  });

  it("are built from every row of the alarm table, each with the row's threshold, period and missing-data treatment", () => {
    const { stack } = synthesized;
    const built = stack.alarms.alarms;
    const kinds = new Set(built.map((alarm) => alarm.kind));

    expect([...kinds].sort()).toEqual(Object.keys(ALARMS).sort());
    expect(built).toHaveLength(alarms.length);
    for (const { kind, alarm } of built) {
      const row: AlarmRow = ALARMS[kind as AlarmKind];
      const logicalId = stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm);
      const properties = (
        synthesized.template.toJSON().Resources[logicalId] as { Properties: AlarmProperties }
      ).Properties;
      const periods = evaluationPeriodsOf(row, stack.config);
      const topic = row.severity === 'pages' ? /^AlarmsTopic/ : /^AlarmsNoticeTopic/;

      expect(properties, kind).toMatchObject({
        AlarmDescription: expect.stringContaining(row.happened),
        Threshold: row.threshold,
        ComparisonOperator: row.comparison,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        TreatMissingData: row.treatMissingData,
        AlarmActions: [{ Ref: expect.stringMatching(topic) }],
      });
      const metricStats = properties.Metrics
        ? properties.Metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat] : []))
        : [{ Period: properties.Period, Stat: properties.Statistic }];
      expect(metricStats.length, kind).toBeGreaterThan(0);
      for (const metricStat of metricStats) {
        expect(metricStat, kind).toMatchObject({ Period: row.period.toSeconds(), Stat: row.statistic });
      }
    }
  });

  it('send the alarms that inform to the notice topic, and e-mail both topics', () => {
    const informs: StackAlarmRow = {
      ...ALARMS.EventsQuarantined,
      metric: (_parts, options) => bridgeMetric(METRIC.unknownEventTypes, options),
      period: Duration.hours(1),
      severity: 'informs',
      happened: 'Braze sent an event type the catalog does not know.',
    };
    const { template } = synthesize({
      context: { alarmEmail: 'oncall@example.com' },
      configure: (stack) => {
        new Alarms(stack, 'Extra', { config: stack.config, table: { Drift: informs } }).watchStack(stack);
      },
    });

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UnknownEventTypes',
      Period: 3600,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^ExtraNoticeTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^ExtraNoticeTopic') }],
      AlarmDescription: Match.stringLikeRegexp('catalog does not know'),
    });
    for (const topic of ['^AlarmsTopic', '^AlarmsNoticeTopic']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: { Ref: Match.stringLikeRegexp(topic) },
      });
    }
    template.hasOutput('NoticeTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsNoticeTopic') } });
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
    expect(alarm.Metrics?.filter((metric) => metric.MetricStat).map((metric) => metric.MetricStat)).toEqual([
      expect.objectContaining({ Period: 300, Stat: 'Sum' }),
      expect.objectContaining({ Period: 300, Stat: 'Sum' }),
    ]);
    expect(alarm).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('fire on any receiver error, any API 5xx, any redrive error', () => {
    expect(alarmFor('ReceiverErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^ReceiverFunction/) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmFor('Api5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: expect.stringMatching(/^IngestApi/) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmFor('RedriveErrors')).toMatchObject({
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: expect.stringMatching(/^SpilloverRedriveFunction/) } },
      ],
      Statistic: 'Sum',
      Period: 300,
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
      Period: 300,
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
        Statistic: 'Maximum',
        Period: 60,
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
      Period: 300,
      Threshold: 900,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const ruleFailures = alarmFor('ArchiveRuleFailures');
    expect(ruleFailures).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Statistic: 'Sum',
      Period: 300,
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
      Period: 300,
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
