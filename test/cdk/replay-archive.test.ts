import { Match } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesFromQuery } from '#lambdas/shared/entries';
import { liveEventPattern, REPLAY_NAME, replayMark } from '#lib/constructs/replay-archive';
import { type CompiledEventPattern, compileEventPattern } from '#local/event-pattern/index';
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
  $or: [{ resources: [{ exists: false }] }, { resources: [{ wildcard: '*=*' }] }],
};

/** The S3 archive rule's pattern as synthesized, compiled by local mode's matcher. */
function archiveRulePattern(synthesized: Synthesized): CompiledEventPattern {
  const rules = resourcesOfType(synthesized.template, 'AWS::Events::Rule');
  const archiveRuleId = synthesized.stack.getLogicalId(
    synthesized.stack.archive.rule.node.defaultChild as never,
  );
  return compileEventPattern(rules[archiveRuleId]?.Properties.EventPattern);
}

/** A query string as a connector URL may carry it: any characters, percent-encoded or not. */
const queryStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 })), {
      maxLength: 5,
    })
    .map((pairs) =>
      pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&'),
    ),
  fc.constantFrom(
    'replay=x',
    'replay',
    'replay%3Ax',
    'replay:x',
    'replay%3Dx',
    '=',
    '&',
    '%3D',
    'replay=a&replay=b',
  ),
);

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
    expect(pattern.matches(event({ resources: ['replay:2026-11-30'] }))).toBe(false);
    expect(pattern.matches(event({ source: 'someone.else' }))).toBe(false);
  });

  it('archives the live events of every connector URL, ?replay=… included, and no replay', () => {
    const pattern = archiveRulePattern(synthesized);
    // The query parameters that made the old mark `replay=<name>`, or look like the new one.
    for (const query of ['replay=backfill', 'replay:backfill', 'replay%3Abackfill', 'replay%3Abackfill=']) {
      expect(pattern.matches(event({ resources: resourcesFromQuery(query) }))).toBe(true);
    }
    // Several resources: the array matches when ANY item does, both ways.
    expect(pattern.matches(event({ resources: resourcesFromQuery('replay=x&app_group=brand-a') }))).toBe(
      true,
    );
    expect(pattern.matches(event({ resources: [replayMark('x'), 'app_group=brand-a'] }))).toBe(true);
    expect(pattern.matches(event({ resources: [replayMark('x')] }))).toBe(false);
    expect(pattern.matches(event({ resources: [replayMark('x'), replayMark('y')] }))).toBe(false);
  });

  it('for any query string, the live event matches the archive rule; for any replay name, the replay does not', () => {
    const pattern = archiveRulePattern(synthesized);
    fc.assert(
      fc.property(queryStrings, (query) => {
        const resources = resourcesFromQuery(query);
        expect(resources.every((resource) => resource.includes('='))).toBe(true);
        expect(pattern.matches(event({ resources }))).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.stringMatching(REPLAY_NAME), (name) => {
        expect(replayMark(name)).not.toContain('=');
        expect(pattern.matches(event({ resources: [replayMark(name)] }))).toBe(false);
      }),
      { numRuns: 200 },
    );
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
