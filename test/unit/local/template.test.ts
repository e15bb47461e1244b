import { describe, expect, it } from 'vitest';
import { readPipelineFunctions, resolveEnvironment } from '#local/runtime/template';

const template = {
  Resources: {
    Bus1: { Type: 'AWS::Events::EventBus', Properties: { Name: 'StackBus1' } },
    Bucket1: { Type: 'AWS::S3::Bucket', Properties: {} },
    Spill1: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 360 } },
    Secret1: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    Other1: {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { UNRELATED: 'x' } }, Timeout: 5 },
    },
    Receiver1: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Timeout: 20,
        MemorySize: 1024,
        Environment: {
          Variables: {
            EVENT_BUS_NAME: { Ref: 'Bus1' },
            ARCHIVE_BUCKET: { Ref: 'Bucket1' },
            SPILLOVER_QUEUE_URL: { Ref: 'Spill1' },
            TOKEN_SECRET_ID: { Ref: 'Secret1' },
            MAX_BODY_BYTES: '5242880',
          },
        },
      },
    },
    Redrive1: {
      Type: 'AWS::Lambda::Function',
      Properties: { Timeout: 60, Environment: { Variables: { EVENT_BUS_NAME: { Ref: 'Bus1' } } } },
    },
    Mapping1: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Spill1', 'Arn'] },
        FunctionName: { Ref: 'Redrive1' },
        BatchSize: 7,
      },
    },
  },
};

describe('readPipelineFunctions', () => {
  it('finds the receiver by its spillover wiring and the redrive by the mapping that drains that queue', () => {
    // Act
    const functions = readPipelineFunctions(template);

    // Assess
    expect(functions.receiver.logicalId).toBe('Receiver1');
    expect(functions.receiver.timeoutSeconds).toBe(20);
    expect(functions.receiver.memorySize).toBe(1024);
    expect(functions.redrive).toMatchObject({
      logicalId: 'Redrive1',
      timeoutSeconds: 60,
      memorySize: 128,
      queueLogicalId: 'Spill1',
      batchSize: 7,
    });
  });

  it('refuses a template without a receiver or without a redrive', () => {
    // Prepare
    const { Receiver1: _receiver, ...withoutReceiver } = template.Resources;
    const { Mapping1: _mapping, ...withoutMapping } = template.Resources;

    // Act / Assess
    expect(() => readPipelineFunctions({ Resources: withoutReceiver })).toThrow(/not a receiver/);
    expect(() => readPipelineFunctions({ Resources: withoutMapping })).toThrow(/redrive is missing/);
  });
});

describe('resolveEnvironment', () => {
  it('keeps literals, resolves references and drops what has no local counterpart', () => {
    // Prepare
    const local: Record<string, string> = {
      Bus1: 'StackBus1',
      Bucket1: 'bucket1',
      Spill1: 'http://sqs/000/Spill1',
    };

    // Act
    const env = resolveEnvironment(
      {
        ...template.Resources.Receiver1.Properties.Environment.Variables,
        ARN: { 'Fn::GetAtt': ['Spill1', 'Arn'] },
      },
      (logicalId, attribute) => (attribute === 'Arn' ? `arn:${logicalId}` : local[logicalId]),
    );

    // Assess
    expect(env).toEqual({
      EVENT_BUS_NAME: 'StackBus1',
      ARCHIVE_BUCKET: 'bucket1',
      SPILLOVER_QUEUE_URL: 'http://sqs/000/Spill1',
      MAX_BODY_BYTES: '5242880',
      ARN: 'arn:Spill1',
    });
  });
});
