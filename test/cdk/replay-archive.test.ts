import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { liveEventPattern } from '#lib/constructs/replay-archive';
import { compileEventPattern } from '#local/event-pattern/index';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

/** An event as EventBridge delivers it, with the envelope fields a pattern can test. */
function event(fields: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'users.messages.email.Send',
    source: 'braze.currents',
    account: '111122223333',
    time: '2026-11-30T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { event_type: 'users.messages.email.Send', id: 'e1' },
    ...fields,
  };
}

const EXPECTED_PATTERN = {
  source: ['braze.currents'],
  'replay-name': [{ exists: false }],
  $or: [{ resources: [{ exists: false }] }, { resources: [{ 'anything-but': { prefix: 'replay=' } }] }],
};

describe('replays and the archives', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize();
  });

  it('the S3 archive rule matches live events only: no native replay, no npm run replay', () => {
    const rules = resourcesOfType(synthesized.template, 'AWS::Events::Rule');
    const archiveRuleId = synthesized.stack.getLogicalId(
      synthesized.stack.archive.rule.node.defaultChild as never,
    );
    expect(rules[archiveRuleId]?.Properties.EventPattern).toEqual(EXPECTED_PATTERN);

    const pattern = compileEventPattern(rules[archiveRuleId]?.Properties.EventPattern);
    expect(pattern.matches(event())).toBe(true);
    expect(pattern.matches(event({ resources: ['app_group=brand-a'] }))).toBe(true);
    expect(pattern.matches(event({ 'replay-name': 'backfill-email' }))).toBe(false);
    expect(pattern.matches(event({ resources: ['replay=2026-11-30'] }))).toBe(false);
    expect(pattern.matches(event({ source: 'someone.else' }))).toBe(false);
  });

  it('follows a configured source in the live-event pattern', () => {
    expect(liveEventPattern('acme.braze').source).toEqual(['acme.braze']);
  });

  it('adds no EventBridge archive unless replayArchiveDays is set', () => {
    synthesized.template.resourceCountIs('AWS::Events::Archive', 0);
    expect(synthesized.stack.replayArchive).toBeUndefined();
  });

  it('with replayArchiveDays, archives the bus live events for that many days and outputs its ARN', () => {
    const { template } = synthesize({ context: { replayArchiveDays: '14' } });
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RoutingBus'), 'Arn'] },
      RetentionDays: 14,
      EventPattern: EXPECTED_PATTERN,
    });
    template.hasOutput('ReplayArchiveArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplayArchive'), 'Arn'] },
    });
  });

  it('refuses a retention EventBridge would not take', () => {
    expect(() => synthesize({ context: { replayArchiveDays: 0 } })).toThrow(/replayArchiveDays/);
    expect(() => synthesize({ context: { replayArchiveDays: 36_501 } })).toThrow(/replayArchiveDays/);
  });
});
