import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { addComplianceChecks, buildApp } from '#lib/app';
import type { CurrentsBridgeStack } from '#lib/currents-bridge-stack';
import { resourcesOfType } from './synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

function statementsOf(template: Template): { owner: string; statement: Statement }[] {
  const documents: { owner: string; document: unknown }[] = [];
  for (const [id, policy] of Object.entries(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    documents.push({ owner: id, document: policy.Properties.PolicyDocument });
  }
  for (const [id, role] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
    for (const inline of (role.Properties.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) {
      documents.push({ owner: id, document: inline.PolicyDocument });
    }
  }
  return documents.flatMap(({ owner, document }) =>
    (document as { Statement: Statement[] }).Statement.map((statement) => ({ owner, statement })),
  );
}

/**
 * Actions that act on no particular resource and so may only be granted on `*` (none is used
 * today; listed so a future one is a deliberate choice).
 */
const RESOURCELESS_ACTIONS = new Set<string>(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

describe('the app as `cdk synth` checks it: cdk-nag AwsSolutions and the built-in CloudFormation validation', () => {
  let stack: CurrentsBridgeStack;
  let template: Template;
  let findings: string[];

  beforeAll(() => {
    const { app, stack: built } = buildApp({ bundle: false });
    const checks = addComplianceChecks(app);
    // Throws on any unacknowledged cdk-nag finding or CloudFormation validation error, as `cdk synth` does.
    const assembly = app.synth();
    findings = checks.validateScope(app).violations.map((violation) => violation.ruleName);
    stack = built;
    template = Template.fromJSON(
      assembly.getStackArtifact(built.artifactId).template as Record<string, unknown>,
    );
  }, 300_000); // the first CloudFormation validation compiles its rules engine: slow on a loaded machine

  it('has no unacknowledged AwsSolutions finding', () => {
    expect(findings).toEqual([]);
  });

  it('still catches a finding nobody acknowledged', () => {
    // cdk-nag runs as a validation plugin even with the slower built-in CloudFormation checks off.
    vi.stubEnv('CDK_VALIDATION', 'false');
    const { app } = buildApp({
      bundle: false,
      configure: (bridge) => {
        new sqs.Queue(bridge, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      },
    });
    const checks = addComplianceChecks(app);

    expect(() => app.synth()).toThrow(/Unencrypted[\s\S]*AwsSolutions-SQS4/);
    expect(checks.validateScope(app).violations.map((violation) => violation.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });

  it('grants no data action on the "*" resource', () => {
    const statements = statementsOf(template);
    const wildcard = statements.filter(({ statement }) => {
      const resources = ([] as unknown[]).concat(statement.Resource ?? []);
      const actions = ([] as string[]).concat(statement.Action);
      return (
        statement.Effect === 'Allow' &&
        resources.includes('*') &&
        actions.some((action) => !RESOURCELESS_ACTIONS.has(action))
      );
    });

    expect(statements.length).toBeGreaterThan(10);
    expect(wildcard).toEqual([]);
  });

  it('uses no AWS-managed policy, whose scope is every resource of a kind', () => {
    for (const role of Object.values(resourcesOfType(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets each function write only to its own log group', () => {
    const logStatements = statementsOf(template).filter(({ statement }) =>
      ([] as string[]).concat(statement.Action).some((action) => action.startsWith('logs:')),
    );

    for (const { owner, statement } of logStatements) {
      const ownerPrefix = owner.replace(/(Role|DeliveryStream).*$/, '');
      expect(JSON.stringify(statement.Resource)).toMatch(new RegExp(`"${ownerPrefix}\\w*Logs`));
    }
    expect(logStatements.length).toBeGreaterThanOrEqual(3);
  });

  it('outputs the connector URL, the token secret and how to read it, the bus and the archive bucket', () => {
    const outputs = template.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: { Name: string } }
    >;
    const text = (key: string) => JSON.stringify(outputs[key]?.Value);

    expect(text('ConnectorUrl')).toMatch(/IngestApi\w+.*\/currents"/);
    expect(text('TokenSecretName')).toMatch(/TokensSecret/);
    expect(text('ReadTokenCommand')).toMatch(
      /aws secretsmanager get-secret-value --secret-id .*TokensSecret.*--query SecretString --output text/,
    );
    expect(text('EventBusName')).toMatch(/RoutingBus/);
    expect(outputs.EventBusName?.Export?.Name).toBe(`${stack.stackName}-EventBusName`);
    expect(text('EventBusArn')).toMatch(/RoutingBus\w+","Arn"/);
    expect(outputs.EventBusArn?.Export?.Name).toBe(`${stack.stackName}-EventBusArn`);
    expect(text('ArchiveBucketName')).toMatch(/ArchiveBucket/);
  });
});
