/**
 * The schema registry (in its nested stack), optional schema discovery, the catalog-extras
 * settings and the SchemaDrift alarm, as synthesized.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { InvalidBridgeConfigError, parseBridgeConfig } from '#lib/config';
import { ALARMS } from '#lib/constructs/alarms';
import { eventSchema } from '#lib/constructs/schema-registry-schemas';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

/**
 * CloudFormation quotas (CloudFormation User Guide, "Understand CloudFormation quotas"): a template
 * uploaded from S3 (as the CDK CLI does for any template over 50 KB) may have 1 MB, one passed
 * directly 51,200 bytes; at most 500 resources per template.
 */
const TEMPLATE_BYTES_FROM_S3 = 1_000_000;
const RESOURCES_PER_TEMPLATE = 500;

function nestedTemplate({ stack }: Synthesized): Template {
  return Template.fromStack(stack.schemaRegistry.stack);
}

function receiverEnvironment(template: Template): Record<string, unknown> {
  const receiver = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).find((fn) => {
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    return 'SPILLOVER_QUEUE_URL' in variables;
  });
  if (!receiver) throw new Error('no receiver function in the template');
  return (receiver.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('schema registry', () => {
  let synthesized: Synthesized;
  let nested: Template;

  beforeAll(() => {
    synthesized = synthesize();
    nested = nestedTemplate(synthesized);
  });

  it('is a registry named after the stack, in a nested stack of the main one', () => {
    synthesized.template.resourceCountIs('AWS::CloudFormation::Stack', 1);
    synthesized.template.resourceCountIs('AWS::EventSchemas::Schema', 0);
    nested.resourceCountIs('AWS::EventSchemas::Registry', 1);
    nested.hasResourceProperties('AWS::EventSchemas::Registry', {
      RegistryName: 'CurrentsBridge-braze-currents',
    });
    synthesized.template.hasOutput('SchemaRegistryName', { Value: 'CurrentsBridge-braze-currents' });
  });

  it('holds one JSON Schema draft 4 per Braze event type, named <source>@<event_type>, as generated', () => {
    // Act
    const schemas = Object.values(resourcesOfType(nested, 'AWS::EventSchemas::Schema')).map(
      (resource) => resource.Properties,
    );
    // Assess
    expect(schemas).toHaveLength(96);
    expect(schemas.map((schema) => schema.SchemaName).sort()).toEqual(
      BRAZE_EVENT_TYPES.map((type) => `braze.currents@${type}`).sort(),
    );
    for (const schema of schemas) {
      const eventType = String(schema.SchemaName).split('@')[1] as string;
      expect(schema.Type).toBe('JSONSchemaDraft4');
      expect(schema.RegistryName).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^Registry/), 'RegistryName'],
      });
      expect(JSON.parse(String(schema.Content))).toEqual(eventSchema(eventType, 'braze.currents'));
      expect(String(schema.Description).length).toBeLessThanOrEqual(256);
    }
  });

  it('keeps the main template well under CloudFormation limits, and the nested one under them', () => {
    // Act
    const main = JSON.stringify(synthesized.template.toJSON());
    const schemas = JSON.stringify(nested.toJSON());
    // Assess: with ~100 schemas inline (~360 KB), the main template would be mostly schemas. The CDK
    // CLI uploads templates over 50 KB to S3, so the 1 MB limit is the one that applies.
    expect(Buffer.byteLength(main)).toBeLessThan(TEMPLATE_BYTES_FROM_S3 / 4);
    expect(Buffer.byteLength(main)).toBeLessThan(Buffer.byteLength(schemas) / 2);
    expect(Object.keys(synthesized.template.toJSON().Resources).length).toBeLessThan(
      RESOURCES_PER_TEMPLATE / 2,
    );
    expect(Buffer.byteLength(schemas)).toBeLessThan(TEMPLATE_BYTES_FROM_S3 / 2);
    expect(Object.keys(nested.toJSON().Resources).length).toBeLessThan(RESOURCES_PER_TEMPLATE);
  });

  it('takes its name, the event source and the acknowledged extras from the settings', () => {
    // Act
    const custom = synthesize({
      context: {
        schemaRegistryName: 'braze-events',
        eventSource: 'acme.braze',
        extraEventTypes: 'users.messages.hologram.Beam',
        extraEventFields: '{"users.behaviors.Purchase":["properties.subscription_plan"]}',
      },
    });
    const template = nestedTemplate(custom);
    // Assess
    template.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'braze-events' });
    const schemas = Object.values(resourcesOfType(template, 'AWS::EventSchemas::Schema'));
    expect(schemas).toHaveLength(97);
    const byName = new Map(schemas.map((schema) => [schema.Properties.SchemaName, schema.Properties]));
    expect(byName.has('acme.braze@users.messages.hologram.Beam')).toBe(true);
    const purchase = JSON.parse(String(byName.get('acme.braze@users.behaviors.Purchase')?.Content));
    expect(purchase.properties.detail.properties.properties.properties).toHaveProperty('subscription_plan');
    expect(receiverEnvironment(custom.template)).toMatchObject({
      EXTRA_EVENT_TYPES: 'users.messages.hologram.Beam',
      EXTRA_EVENT_FIELDS: '{"users.behaviors.Purchase":["properties.subscription_plan"]}',
    });
  });

  it('gives the receiver no extras variables when nothing is acknowledged', () => {
    const environment = receiverEnvironment(synthesized.template);
    expect(environment).not.toHaveProperty('EXTRA_EVENT_TYPES');
    expect(environment).not.toHaveProperty('EXTRA_EVENT_FIELDS');
  });
});

describe('schema discovery', () => {
  it('is off by default', () => {
    const { template } = synthesize();
    template.resourceCountIs('AWS::EventSchemas::Discoverer', 0);
  });

  it('watches the bus when schemaDiscovery is true', () => {
    const { template } = synthesize({ context: { schemaDiscovery: 'true' } });
    template.resourceCountIs('AWS::EventSchemas::Discoverer', 1);
    template.hasResourceProperties('AWS::EventSchemas::Discoverer', {
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RoutingBus'), 'Arn'] },
      CrossAccount: false,
    });
  });
});

describe('the SchemaDrift alarm', () => {
  it('fires on any unknown event type or field in an hour, and informs a notice topic, not the alarm topic', () => {
    // Prepare
    const { template } = synthesize({ context: { alarmEmail: 'data-team@example.com' } });
    // Act
    const [alarm] = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
      .map((resource) => resource.Properties)
      .filter((properties) =>
        JSON.stringify(properties.AlarmDescription).includes(ALARMS.SchemaDrift.happened),
      );
    // Assess
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsNoticeTopic/) }],
      OKActions: [{ Ref: expect.stringMatching(/^AlarmsNoticeTopic/) }],
    });
    const metrics = alarm?.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string }; Period: number };
    }[];
    expect(metrics.flatMap((metric) => metric.MetricStat?.Metric.MetricName ?? []).sort()).toEqual([
      'UnknownEventTypes',
      'UnknownFields',
    ]);
    expect(
      metrics.every((metric) => metric.Expression !== undefined || metric.MetricStat?.Period === 3600),
    ).toBe(true);
    expect(JSON.stringify(alarm?.AlarmDescription)).toContain('filter ispresent(driftKind)');
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'data-team@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlarmsNoticeTopic') },
    });
    template.hasOutput('NoticeTopicArn', {});
  });
});

describe('catalog extras settings', () => {
  it('accept lists and JSON from the command line, and objects from cdk.json', () => {
    expect(
      parseBridgeConfig({
        extraEventTypes: 'users.messages.hologram.Beam, users.messages.hologram.Fade',
        extraEventFields: '{"users.messages.hologram.Beam":["properties.beam_id"]}',
        schemaDiscovery: 'false',
      }),
    ).toMatchObject({
      extraEventTypes: ['users.messages.hologram.Beam', 'users.messages.hologram.Fade'],
      extraEventFields: { 'users.messages.hologram.Beam': ['properties.beam_id'] },
      schemaDiscovery: false,
    });
    expect(
      parseBridgeConfig({ extraEventFields: { 'users.behaviors.Purchase': ['user.tier'] } }).extraEventFields,
    ).toEqual({
      'users.behaviors.Purchase': ['user.tier'],
    });
  });

  it.each([
    [
      { extraEventFields: { 'users.behaviors.Purchase': ['tier'] } },
      /must be user.<field> or properties.<field>/,
    ],
    [{ extraEventFields: { 'users.behaviors.Purchase': ['properties.a.b'] } }, /nested field/],
    [
      { extraEventFields: { 'users.messages.hologram.Beam': ['user.x'] } },
      /neither a Braze event type of the catalog nor listed/,
    ],
    [{ extraEventFields: '{not json' }, /extraEventFields/],
    [{ extraEventTypes: 'users.messages.holo gram' }, /extraEventTypes: .*letters, digits/],
    [
      { extraEventTypes: Array.from({ length: 80 }, (_, i) => `users.messages.hologram.Type${i}`) },
      /at most 2048 fit/,
    ],
    [{ schemaRegistryName: 'no spaces allowed' }, /schemaRegistryName/],
    [{ stackName: `S${'x'.repeat(60)}` }, /schemaRegistryName: the default .* longer than the 64/],
    [{ schemaDiscovery: 'yes' }, /schemaDiscovery/],
  ])('refuse %j at synth', (input, message) => {
    expect(() => parseBridgeConfig(input)).toThrow(InvalidBridgeConfigError);
    expect(() => parseBridgeConfig(input)).toThrow(message);
  });
});
