import { describe, expect, it } from 'vitest';
import { buildApp } from '#lib/app';
import { CONFIG_KEYS, InvalidBridgeConfigError, parseBridgeConfig, unknownSettingKeys } from '#lib/config';

describe('stack settings', () => {
  it('have a documented default for everything but the optional ones', () => {
    const config = parseBridgeConfig({});

    expect(config).toEqual({
      stackName: 'CurrentsBridge',
      eventSource: 'braze.currents',
      silenceHours: 12,
      archiveTransitionDays: 30,
      archiveGlacierDays: 90,
      maxBodyBytes: 3_014_656,
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      allowedSourceCidrs: [],
      logRetentionDays: 30,
      queryBytesScannedCutoff: 10 * 1024 ** 3,
      queryResultsExpiryDays: 7,
      schemaDiscovery: false,
      extraEventTypes: [],
      extraEventFields: {},
    });
  });

  it('take the strings `cdk -c key=value` passes as well as JSON values from cdk.json', () => {
    const config = parseBridgeConfig({
      silenceHours: '6',
      maxBodyBytes: 1_000_000,
      allowedSourceCidrs: '203.0.113.0/24, 2001:db8::/32',
      alarmEmail: 'oncall@example.com',
      archiveExpiryDays: '3650',
      logRetentionDays: '90',
    });

    expect(config).toMatchObject({
      silenceHours: 6,
      maxBodyBytes: 1_000_000,
      allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      alarmEmail: 'oncall@example.com',
      archiveExpiryDays: 3650,
      logRetentionDays: 90,
    });
    expect(parseBridgeConfig({ allowedSourceCidrs: ['198.51.100.0/24'] }).allowedSourceCidrs).toEqual([
      '198.51.100.0/24',
    ]);
  });

  it.each([
    [{ silenceHours: 0 }, /silenceHours/],
    [{ silenceHours: 200 }, /silenceHours/],
    [{ silenceHours: 'often' }, /silenceHours/],
    [{ maxBodyBytes: 4.5 * 1024 * 1024 }, /maxBodyBytes/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail/],
    [{ eventSource: 'aws.braze' }, /eventSource: the prefix "aws\." is reserved/],
    [{ allowedSourceCidrs: '10.0.0.0/8,braze.com' }, /allowedSourceCidrs.*"braze\.com" is not a CIDR block/],
    [{ allowedSourceCidrs: '300.1.1.1/32' }, /is not a CIDR block/],
    [{ archiveTransitionDays: 10 }, /archiveTransitionDays/],
    [{ archiveGlacierDays: 40 }, /archiveGlacierDays/],
    [{ archiveExpiryDays: 60 }, /archiveExpiryDays: must be later than archiveGlacierDays/],
    [{ throttlingRateLimit: 500, throttlingBurstLimit: 100 }, /throttlingBurstLimit: must be at least/],
    [{ logRetentionDays: 31 }, /logRetentionDays: must be one of CloudWatch Logs' retention periods/],
    [{ stackName: '9lives' }, /stackName/],
  ])('reject %j with a message naming the setting', (input, message) => {
    expect(() => parseBridgeConfig(input)).toThrow(InvalidBridgeConfigError);
    expect(() => parseBridgeConfig(input)).toThrow(message);
  });

  it('are read from context, so a bad cdk.json value fails the synth', () => {
    expect(() => buildApp({ bundle: false, context: { silenceHours: 500 } })).toThrow(
      /Invalid currents-bridge settings:\n {2}silenceHours/,
    );
  });

  it('name the stack from context', () => {
    const { stack } = buildApp({ bundle: false, context: { stackName: 'BrazeEu' } });

    expect(stack.stackName).toBe('BrazeEu');
    expect(CONFIG_KEYS).toContain('stackName');
  });
});

describe('unknown settings', () => {
  it('refuses a misspelt setting, naming the one it resembles, instead of using the default silently', () => {
    expect(() => buildApp({ bundle: false, context: { silenceHour: 3 } })).toThrow(InvalidBridgeConfigError);
    expect(() => buildApp({ bundle: false, context: { silenceHour: 3 } })).toThrow(
      /silenceHour: not a setting; did you mean silenceHours\?/,
    );
    expect(() => buildApp({ bundle: false, context: { retentionDays: 30 } })).toThrow(
      /retentionDays: not a setting/,
    );
  });

  it("leaves CDK's own context keys alone: feature flags, the CLI's keys, lookups", () => {
    expect(
      unknownSettingKeys([
        '@aws-cdk/core:enableStackNameDuplicates',
        'aws:cdk:bundling-stacks',
        'cli-telemetry',
        'availability-zones:account=123456789012:region=us-east-1',
        ...CONFIG_KEYS,
      ]),
    ).toEqual([]);
    expect(() => buildApp({ bundle: false })).not.toThrow();
  });
});
