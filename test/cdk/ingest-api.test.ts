import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '#lambdas/shared/contract';
import { DEFAULT_MAX_BODY_BYTES } from '#lib/config';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

describe('the ingest API', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize();
  });

  it('has the single route POST /currents, proxied to the receiver with payload format 2.0', () => {
    const { template } = synthesized;

    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /currents' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: Match.anyValue(),
      IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReceiverFunction'), 'Arn'] },
    });
  });

  it('gives up on the receiver before API Gateway does, so a slow batch gets a real answer', () => {
    const { template } = synthesized;
    const [integration] = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Integration'));
    const [receiver] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('receiver') },
      }),
    ) as { Properties: { Timeout: number } }[];

    expect(receiver?.Properties.Timeout).toBeLessThan(30);
    expect((integration?.Properties.TimeoutInMillis as number) / 1000).toBeGreaterThan(
      receiver?.Properties.Timeout ?? Number.POSITIVE_INFINITY,
    );
  });

  it('throttles the $default stage so a runaway sender gets 429, with the configured limits', () => {
    const { template } = synthesize({ context: { throttlingRateLimit: 42, throttlingBurstLimit: 84 } });

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 42, ThrottlingBurstLimit: 84 },
    });
  });

  it('writes JSON access logs, without any header, to a log group with retention', () => {
    const { template } = synthesized;
    const [stage] = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.AccessLogSettings as { Format: string; DestinationArn: unknown };
    const fields = JSON.parse(settings.Format) as Record<string, string>;

    expect(fields).toMatchObject({ status: '$context.status', sourceIp: '$context.identity.sourceIp' });
    expect(Object.values(fields).some((value) => value.includes('header'))).toBe(false);
    expect(settings.DestinationArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^IngestAccessLogs/), 'Arn'],
    });
  });

  it('runs the receiver on the current Node.js runtime, ARM64, with its own log group and Powertools settings', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('receiver'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: Match.anyValue(),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^ReceiverLogs') } },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          [ENV.eventSource]: 'braze.currents',
          [ENV.eventBusName]: { Ref: Match.stringLikeRegexp('^RoutingBus') },
          [ENV.tokenSecretId]: { Ref: Match.stringLikeRegexp('^TokensSecret') },
          [ENV.spilloverQueueUrl]: { Ref: Match.stringLikeRegexp('^SpilloverQueue') },
          [ENV.archiveBucket]: { Ref: Match.stringLikeRegexp('^ArchiveBucket') },
          [ENV.maxBodyBytes]: String(DEFAULT_MAX_BODY_BYTES),
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('hands the source-IP allow-list to the receiver, since HTTP APIs have no resource policy', () => {
    const open = synthesized.template;
    const { template: restricted } = synthesize({
      context: { allowedSourceCidrs: '203.0.113.0/24, 198.51.100.7/32' },
    });

    restricted.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('receiver'),
      Environment: {
        Variables: Match.objectLike({ [ENV.allowedSourceCidrs]: '203.0.113.0/24,198.51.100.7/32' }),
      },
    });
    open.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('receiver'),
      Environment: { Variables: Match.objectLike({ [ENV.allowedSourceCidrs]: Match.absent() }) },
    });
  });

  it('lets the receiver read the token secret and no other secret', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'token',
        PasswordLength: 48,
        ExcludePunctuation: true,
      },
    });
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'));
    const secretStatements = policies
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      )
      .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]?.Resource).toEqual({ Ref: expect.stringMatching(/^TokensSecret/) });
  });
});
