import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

function archiveBucket(synthesized: Synthesized) {
  const buckets = resourcesOfType(synthesized.template, 'AWS::S3::Bucket');
  const logicalId = synthesized.stack.getLogicalId(
    synthesized.stack.archive.bucket.node.defaultChild as never,
  );
  const bucket = buckets[logicalId];
  if (!bucket) throw new Error('archive bucket not in the template');
  return { logicalId, bucket: bucket as typeof bucket & { DeletionPolicy?: string } };
}

describe('the archive', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize();
  });

  it('matches every event from the receiver source on the custom bus, and only that source', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RoutingBus') },
      EventPattern: Match.objectLike({ source: ['braze.currents'] }),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveDeliveryStream'), 'Arn'] },
          InputPath: '$.detail',
        }),
      ],
    });
  });

  it('follows a configured source name', () => {
    const { template } = synthesize({ context: { eventSource: 'acme.braze' } });

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['acme.braze'] }),
      Targets: [Match.objectLike({ InputPath: '$.detail' })],
    });
  });

  it('retries delivery to Firehose and keeps what still fails in its own encrypted DLQ', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['braze.currents'] }),
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveRuleDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^ArchiveRuleDeadLetterQueue') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveRule'), 'Arn'] },
              },
            },
          }),
        ]),
      },
    });
  });

  it('writes one gzip-compressed Braze event per line, partitioned by event type, day and hour', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveBucket'), 'Arn'] },
        CompressionFormat: 'GZIP',
        Prefix:
          'events/event_type=!{partitionKeyFromQuery:event_type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: 'archive-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        DynamicPartitioningConfiguration: Match.objectLike({ Enabled: true }),
        ProcessingConfiguration: {
          Enabled: true,
          Processors: Match.arrayWith([
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([
                { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"event_type":.event_type}' },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ]),
            },
            Match.objectLike({ Type: 'AppendDelimiterToRecord' }),
          ]),
        },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  it('buffers at least the 64 MB dynamic partitioning requires', () => {
    const streams = Object.values(
      resourcesOfType(synthesized.template, 'AWS::KinesisFirehose::DeliveryStream'),
    );
    const destination = streams[0]?.Properties.ExtendedS3DestinationConfiguration as
      | { BufferingHints: { SizeInMBs: number } }
      | undefined;

    expect(destination?.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
  });

  it('keeps the bucket private, TLS-only, encrypted, versioned, access-logged, and retained on stack deletion', () => {
    const { template } = synthesized;
    const { logicalId, bucket } = archiveBucket(synthesized);

    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^ArchiveAccessLogs/) } },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('moves objects to cheaper storage classes and never expires them by default', () => {
    const { bucket } = archiveBucket(synthesized);
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
        ],
      }),
    );
    expect(rules.some((rule) => 'ExpirationInDays' in rule)).toBe(false);
  });

  it('expires objects after the configured number of days', () => {
    const configured = synthesize({
      context: { archiveTransitionDays: 45, archiveGlacierDays: 120, archiveExpiryDays: 400 },
    });
    const { bucket } = archiveBucket(configured);

    expect((bucket.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual(
      expect.objectContaining({
        ExpirationInDays: 400,
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 45 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 120 },
        ],
      }),
    );
  });

  it('lets the receiver and the redrive put objects under quarantine/ and claim-check/ only', () => {
    const { template } = synthesized;
    const { logicalId } = archiveBucket(synthesized);
    const prefixed = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, `/${prefix}*`]],
    });

    for (const role of ['^ReceiverRole', '^SpilloverRedriveRole']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp(role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['s3:PutObject']),
              Resource: [prefixed('claim-check/'), prefixed('quarantine/')],
            }),
          ]),
        },
      });
    }
    const s3Statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).match(/Receiver|Redrive/))
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      )
      .filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    expect(s3Statements).toHaveLength(2);
    expect(JSON.stringify(s3Statements)).not.toMatch(/"\/\*"|GetObject|DeleteObject/);
  });
});
