import { describe, expect, it } from 'vitest';
import {
  type CloudFormationTemplate,
  loadRoutes,
  referencedLogicalId,
} from '#local/stand-ins/eventbridge/routes';

describe('referencedLogicalId', () => {
  it('reads Ref and both forms of Fn::GetAtt, and nothing else', () => {
    expect(referencedLogicalId({ Ref: 'Queue' })).toBe('Queue');
    expect(referencedLogicalId({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('Queue');
    expect(referencedLogicalId({ 'Fn::GetAtt': 'Queue.Arn' })).toBe('Queue');
    expect(referencedLogicalId('arn:aws:sqs:us-east-1:1:q')).toBeUndefined();
  });
});

describe('loadRoutes', () => {
  const rule = (properties: Record<string, unknown>) => ({
    Type: 'AWS::Events::Rule',
    Properties: properties,
  });

  it('reads patterns given as JSON text, rule names, bus references and the default bus', () => {
    const template: CloudFormationTemplate = {
      Resources: {
        Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bus-a' } },
        OnBus: rule({
          Name: 'named',
          EventBusName: { Ref: 'Bus' },
          EventPattern: '{"source":["x"]}',
          Targets: [],
        }),
        OnDefault: rule({ EventPattern: { source: ['y'] } }),
      },
    };

    const routes = loadRoutes(template);

    expect(routes.buses).toEqual({ Bus: 'bus-a' });
    expect(routes.rules.map((route) => [route.ruleName, route.eventBusName, route.eventPattern])).toEqual([
      ['named', 'bus-a', { source: ['x'] }],
      ['OnDefault', 'default', { source: ['y'] }],
    ]);
  });

  it('marks disabled rules, and skips scheduled rules and unreadable patterns with a warning', () => {
    const routes = loadRoutes({
      Resources: {
        Off: rule({ State: 'DISABLED', EventPattern: { source: ['x'] } }),
        Cron: rule({ ScheduleExpression: 'rate(1 hour)' }),
        Broken: rule({ EventPattern: '{"source":' }),
      },
    });

    expect(routes.rules.map((route) => [route.ruleName, route.enabled])).toEqual([['Off', false]]);
    expect(routes.warnings).toEqual([
      expect.stringContaining('Rule Cron'),
      expect.stringContaining('Rule Broken: EventPattern is not JSON'),
    ]);
  });

  it('classifies targets by the type of the resource their Arn refers to', () => {
    const routes = loadRoutes({
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue' },
        Fn: { Type: 'AWS::Lambda::Function' },
        Topic: { Type: 'AWS::SNS::Topic' },
        R: rule({
          EventPattern: { source: ['x'] },
          Targets: [
            { Id: 'q', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, InputPath: '$.detail' },
            { Id: 'f', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Input: '{"a":1}' },
            { Id: 't', Arn: { Ref: 'Topic' } },
            { Id: 'x', Arn: 'arn:aws:lambda:us-east-1:1:function:elsewhere' },
          ],
        }),
      },
    });

    expect(routes.rules[0]?.targets).toEqual([
      {
        id: 'q',
        kind: 'sqs',
        logicalId: 'Queue',
        resourceType: 'AWS::SQS::Queue',
        inputPath: '$.detail',
        queueName: 'Queue',
      },
      { id: 'f', kind: 'lambda', logicalId: 'Fn', resourceType: 'AWS::Lambda::Function', input: '{"a":1}' },
      { id: 't', kind: 'other', logicalId: 'Topic', resourceType: 'AWS::SNS::Topic' },
      { id: 'x', kind: 'other' },
    ]);
  });

  it('names buckets after BucketName or, when generated, the logical id in lower case', () => {
    const routes = loadRoutes({
      Resources: {
        Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'my-archive' } },
        ArchiveBucket49F1AC64: { Type: 'AWS::S3::Bucket' },
      },
    });

    expect(routes.buckets).toEqual({ Named: 'my-archive', ArchiveBucket49F1AC64: 'archivebucket49f1ac64' });
  });

  it('records a Firehose target it cannot emulate as a plain delivery, with a warning', () => {
    const routes = loadRoutes({
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' },
        Stream: {
          Type: 'AWS::KinesisFirehose::DeliveryStream',
          Properties: {
            ExtendedS3DestinationConfiguration: {
              BucketARN: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
              ProcessingConfiguration: {
                Enabled: true,
                Processors: [
                  {
                    Type: 'MetadataExtraction',
                    Parameters: [
                      { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{t: .a | ascii}' },
                    ],
                  },
                ],
              },
            },
          },
        },
        R: rule({
          EventPattern: { source: ['x'] },
          Targets: [{ Id: 's', Arn: { 'Fn::GetAtt': ['Stream', 'Arn'] } }],
        }),
      },
    });

    expect(routes.rules[0]?.targets[0]?.kind).toBe('other');
    expect(routes.warnings).toEqual([expect.stringContaining('Unsupported MetadataExtractionQuery')]);
  });

  it('translates a queue redrive policy to the local dead-letter queue name', () => {
    const routes = loadRoutes({
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue' },
        Main: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            VisibilityTimeout: 360,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
          },
        },
      },
    });

    const main = routes.queues.find((queue) => queue.logicalId === 'Main');
    expect(main?.attributes.VisibilityTimeout).toBe('360');
    expect(JSON.parse(main?.attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: expect.stringMatching(/:Dlq$/),
      maxReceiveCount: 5,
    });
    expect(main?.deadLetterQueueLogicalId).toBe('Dlq');
  });
});
