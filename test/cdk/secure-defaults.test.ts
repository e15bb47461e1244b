/** The secure defaults (lib/constructs/secure-defaults.ts) on every bucket, queue and rule target of the stack. */

import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

type Statement = { Effect: string; Condition?: { Bool?: Record<string, string> } };

function deniesPlainHttp(
  synthesized: Synthesized,
  policyType: string,
  targetKey: 'Bucket' | 'Queues',
  logicalId: string,
): boolean {
  return Object.values(resourcesOfType(synthesized.template, policyType)).some((policy) => {
    const target = policy.Properties[targetKey];
    const refs = JSON.stringify(target);
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    return (
      refs.includes(`"${logicalId}"`) &&
      statements.some(
        (statement) =>
          statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      )
    );
  });
}

describe('the secure defaults', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize({
      configure: (stack) => {
        stack.routing.addConsumer('Sms', {
          eventTypes: ['users.messages.sms.*'],
          target: (deliveryPolicy) => new targets.SnsTopic(new sns.Topic(stack, 'SmsTopic'), deliveryPolicy),
        });
      },
    });
  });

  it('make every bucket private, encrypted, TLS-only, owner-enforced and retained', () => {
    const buckets = synthesized.template.findResources('AWS::S3::Bucket');

    // the archive, its access logs, the Athena results
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const [logicalId, bucket] of Object.entries(buckets)) {
      expect(bucket, logicalId).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
      });
      expect(deniesPlainHttp(synthesized, 'AWS::S3::BucketPolicy', 'Bucket', logicalId), logicalId).toBe(
        true,
      );
    }
  });

  it('encrypt every queue of the stack, refuse plain HTTP to it and keep messages 14 days', () => {
    const queues = resourcesOfType(synthesized.template, 'AWS::SQS::Queue');

    // spillover, its DLQ, the archive rule DLQ, the consumer's DLQ
    expect(Object.keys(queues)).toHaveLength(4);
    for (const [logicalId, queue] of Object.entries(queues)) {
      expect(queue.Properties, logicalId).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      expect(deniesPlainHttp(synthesized, 'AWS::SQS::QueuePolicy', 'Queues', logicalId), logicalId).toBe(
        true,
      );
    }
  });

  it('retry every rule target 185 times over 24 hours before its DLQ', () => {
    const rules = resourcesOfType(synthesized.template, 'AWS::Events::Rule');
    const ruleTargets = Object.values(rules).flatMap(
      (rule) => rule.Properties.Targets as { RetryPolicy?: unknown; DeadLetterConfig?: unknown }[],
    );

    expect(ruleTargets).toHaveLength(2);
    for (const target of ruleTargets) {
      expect(target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      });
    }
  });
});
