import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, ENV } from '#lambdas/shared/contract';
import { REDRIVE_MAX_CONCURRENCY, REDRIVE_PUBLISH_BUDGET } from '#lib/constructs/spillover';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

describe('the spillover queue and its redrive', () => {
  let synthesized: Synthesized;
  let queueId: string;
  let deadLetterId: string;

  beforeAll(() => {
    synthesized = synthesize();
    const { stack } = synthesized;
    queueId = stack.getLogicalId(stack.spillover.queue.node.defaultChild as never);
    deadLetterId = stack.getLogicalId(stack.spillover.deadLetterQueue.node.defaultChild as never);
  });

  it('keeps spilled events encrypted for the longest time SQS allows, and moves a message that keeps failing to a DLQ', () => {
    const queue = resourcesOfType(synthesized.template, 'AWS::SQS::Queue')[queueId];

    expect(queue?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    expect(resourcesOfType(synthesized.template, 'AWS::SQS::Queue')[deadLetterId]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('refuses plain-HTTP access to both queues', () => {
    for (const id of [queueId, deadLetterId]) {
      synthesized.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('drains the queue with a few redrives at a time, reporting partial batch failures', () => {
    synthesized.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^SpilloverRedriveFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: REDRIVE_MAX_CONCURRENCY },
    });
  });

  it('hides a message being redriven for longer than the redrive may run', () => {
    const queue = resourcesOfType(synthesized.template, 'AWS::SQS::Queue')[queueId];
    const [redrive] = Object.values(
      synthesized.template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('redrive') },
      }),
    ) as { Properties: { Timeout: number; Environment: { Variables: Record<string, unknown> } } }[];

    expect(queue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (redrive?.Properties.Timeout ?? 0),
    );
    expect(redrive?.Properties.Environment.Variables).toMatchObject({
      [ENV.eventBusName]: { Ref: expect.stringMatching(/^RoutingBus/) },
      [ENV.archiveBucket]: { Ref: expect.stringMatching(/^ArchiveBucket/) },
    });
  });

  it("lets the redrive retry throttled entries for most of its timeout, not the receiver's short budget", () => {
    const [redrive] = Object.values(
      synthesized.template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('redrive') },
      }),
    ) as { Properties: { Timeout: number; Environment: { Variables: Record<string, string> } } }[];
    const budgetMs = Number(redrive?.Properties.Environment.Variables[ENV.publishBudgetMs]);

    expect(budgetMs).toBe(REDRIVE_PUBLISH_BUDGET.toMilliseconds());
    expect(budgetMs).toBeGreaterThan(DEFAULTS.publishBudgetMs);
    expect(budgetMs).toBeLessThan((redrive?.Properties.Timeout ?? 0) * 1000);
  });

  it('lets the receiver send to the queue and the redrive consume it, and nothing more', () => {
    const sqsStatements = Object.values(resourcesOfType(synthesized.template, 'AWS::IAM::Policy')).flatMap(
      (policy) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement.filter((statement) => JSON.stringify(statement.Action).includes('sqs:')).map(
          (statement) => ({ roles: JSON.stringify(policy.Properties.Roles), statement }),
        ),
    );

    expect(sqsStatements).toHaveLength(2);
    const receiver = sqsStatements.find(({ roles }) => roles.includes('ReceiverRole'));
    const redrive = sqsStatements.find(({ roles }) => roles.includes('SpilloverRedriveRole'));
    expect(receiver?.statement.Action).toContain('sqs:SendMessage');
    expect(receiver?.statement.Action).not.toContain('sqs:DeleteMessage');
    expect(redrive?.statement.Action).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
    expect(redrive?.statement.Action).not.toContain('sqs:SendMessage');
    for (const { statement } of sqsStatements) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    }
  });

  it('gives the redrive no access to the token secret', () => {
    const redrivePolicies = Object.values(resourcesOfType(synthesized.template, 'AWS::IAM::Policy')).filter(
      (policy) => JSON.stringify(policy.Properties.Roles).includes('SpilloverRedriveRole'),
    );

    expect(redrivePolicies).toHaveLength(1);
    expect(JSON.stringify(redrivePolicies)).not.toContain('secretsmanager:');
  });
});
