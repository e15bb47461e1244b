import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#lib/app';
import { detailTypePattern, selectorProblem } from '#lib/constructs/event-routing';
import type { CurrentsBridgeStack } from '#lib/currents-bridge-stack';
import { type Synthesized, synthesize } from './synth';

function consumerQueue(stack: CurrentsBridgeStack, id: string): sqs.Queue {
  return new sqs.Queue(stack, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
}

describe('consumers on the bus', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize({
      configure: (stack) => {
        stack.routing.addConsumer('EmailCrm', {
          eventTypes: ['users.messages.email.*'],
          target: consumerQueue(stack, 'EmailQueue'),
        });
        stack.routing.addConsumer('Purchases', {
          eventTypes: ['users.behaviors.Purchase', 'users.behaviors.CustomEvent'],
          target: new lambda.Function(stack, 'PurchaseFn', {
            runtime: lambda.Runtime.NODEJS_24_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => {}'),
          }),
          retryAttempts: 3,
          maxEventAge: Duration.hours(2),
        });
        stack.routing.addConsumer('Mixed', {
          eventTypes: ['users.messages.sms.Delivery', 'users.messages.pushnotification.*', 'brand.new.Type'],
          target: (deliveryPolicy) =>
            new targets.SnsTopic(new sns.Topic(stack, 'MixedTopic'), deliveryPolicy),
        });
      },
    });
  });

  it('routes a family with a prefix match on detail-type, from the configured source only', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RoutingBus') },
      EventPattern: { source: ['braze.currents'], 'detail-type': [{ prefix: 'users.messages.email.' }] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EmailQueue'), 'Arn'] } })],
    });
  });

  it('routes exact event types by name', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['braze.currents'],
        'detail-type': ['users.behaviors.Purchase', 'users.behaviors.CustomEvent'],
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PurchaseFn'), 'Arn'] } })],
    });
  });

  it('mixes exact types, families and unknown types in one rule', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['braze.currents'],
        'detail-type': [
          'users.messages.sms.Delivery',
          { prefix: 'users.messages.pushnotification.' },
          'brand.new.Type',
        ],
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^MixedTopic') } })],
    });
  });

  it('gives every consumer a retry policy and a dedicated, encrypted, TLS-only DLQ', () => {
    const { stack, template } = synthesized;
    const consumers = stack.routing.consumers;
    const dlqIds = consumers.map((consumer) =>
      stack.getLogicalId(consumer.deadLetterQueue.node.defaultChild as never),
    );

    expect(new Set(dlqIds).size).toBe(3);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': [{ prefix: 'users.messages.email.' }] }),
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqIds[0], 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': Match.arrayWith(['users.behaviors.Purchase']) }),
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqIds[1], 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': Match.arrayWith(['brand.new.Type']) }),
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqIds[2], 'Arn'] } } })],
    });
    for (const dlqId of dlqIds) {
      expect(template.toJSON().Resources[dlqId].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: Match.arrayWith([{ Ref: dlqId }]),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('alarms as soon as a consumer DLQ holds a message, and shows it on the dashboard', () => {
    const { stack, template } = synthesized;
    const emailDlq = stack.getLogicalId(
      stack.routing.consumers[0]?.deadLetterQueue.node.defaultChild as never,
    );

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('consumer EmailCrm'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [emailDlq, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(JSON.stringify(dashboard)).toContain(emailDlq);
  });

  it("charts every consumer rule's deliveries and failures on the dashboard", () => {
    const { stack, template } = synthesized;
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard);

    for (const consumer of stack.routing.consumers) {
      const ruleId = stack.getLogicalId(consumer.rule.node.defaultChild as never);
      expect(body).toContain(ruleId);
      expect(body).toContain(`${consumer.id} failed`);
    }
  });

  it('lets EventBridge deliver to the queue and invoke the function', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^EmailQueue') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PurchaseFn'), 'Arn'] },
    });
  });
});

describe('consumer settings that cannot work fail at synth', () => {
  const addConsumer = (options: Record<string, unknown>) => () =>
    buildApp({
      bundle: false,
      configure: (stack) =>
        stack.routing.addConsumer('Bad', {
          eventTypes: ['users.messages.email.Send'],
          target: consumerQueue(stack, 'Queue'),
          ...options,
        }),
    });

  it('rejects an empty list of event types', () => {
    expect(addConsumer({ eventTypes: [] })).toThrow(/consumer Bad: a consumer needs at least one event type/);
  });

  it.each([
    ['users.*.Send', /only use \* as the last segment/],
    ['users.messages.email*', /only use \* as the last segment/],
    ['*', /only use \* as the last segment/],
    ['.*', /selects every event type/],
    [' users.messages.email.Send', /empty or has surrounding spaces/],
    ['', /empty or has surrounding spaces/],
  ])('rejects the malformed selector %j', (selector, message) => {
    expect(addConsumer({ eventTypes: [selector] })).toThrow(message);
  });

  it('rejects retry settings outside what EventBridge accepts', () => {
    expect(addConsumer({ retryAttempts: 186 })).toThrow(/retryAttempts must be a whole number from 0 to 185/);
    expect(addConsumer({ retryAttempts: 1.5 })).toThrow(/retryAttempts/);
    expect(addConsumer({ maxEventAge: Duration.seconds(30) })).toThrow(/maxEventAge must be between/);
    expect(addConsumer({ maxEventAge: Duration.hours(25) })).toThrow(/maxEventAge must be between/);
  });
});

describe('detail-type patterns', () => {
  it('turns families into prefixes and keeps exact names, without duplicates', () => {
    expect(
      detailTypePattern(['users.messages.email.*', 'users.behaviors.Purchase', 'users.messages.email.*']),
    ).toEqual([{ prefix: 'users.messages.email.' }, 'users.behaviors.Purchase']);
  });

  it('accepts any well-formed name, known to the catalog or not', () => {
    expect(selectorProblem('users.messages.email.Send')).toBeUndefined();
    expect(selectorProblem('users.messages.*')).toBeUndefined();
    expect(selectorProblem('braze.future.EventType')).toBeUndefined();
  });
});
