/** `npm run pattern`: trying a rule pattern against Braze events, as a library and as a CLI. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { EventFactory } from '#local/event-factory';
import { InvalidEventPatternError } from '#local/event-pattern/index';
import {
  fixtureEvents,
  patternFromRuleFile,
  sampleEvents,
  tryPattern,
} from '#local/event-pattern/pattern-trial';
import { runPatternCli } from '#local/pattern-cli';
import { BRAZE_SAMPLES_DIR, describeWithSharedData } from '#test/shared-data';

const scratch = mkdtempSync(join(tmpdir(), 'pattern-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const emailTypes = BRAZE_EVENT_TYPES.filter((type) => type.startsWith('users.messages.email.'));

function run(...argv: string[]): { status: number; stdout: string; stderr: string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = runPatternCli(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('tryPattern', () => {
  it('tells which of the 96 event types a family pattern receives', () => {
    const pattern = { 'detail-type': [{ prefix: 'users.messages.email.' }] };

    const result = tryPattern(pattern, fixtureEvents());

    expect(result.matched.map((tally) => tally.eventType).sort()).toEqual([...emailTypes].sort());
    expect(result.unmatched).toHaveLength(96 - emailTypes.length);
    expect(result).toMatchObject({ eventsMatched: emailTypes.length, eventsTotal: 96, notPublished: 0 });
  });

  it('wraps events as the receiver publishes them: source, verbatim detail, Braze time', () => {
    const event = new EventFactory({ seed: 1, time: 1_700_000_000 }).make('users.behaviors.Purchase', {
      properties: { price: 25, currency: 'EUR' },
    });
    const pattern = {
      source: ['braze.currents'],
      time: [{ prefix: '2023-11-14T22:13:20' }],
      detail: { event_type: ['users.behaviors.Purchase'], properties: { price: [{ numeric: ['>', 20] }] } },
    };

    expect(tryPattern(pattern, [event]).eventsMatched).toBe(1);
    expect(tryPattern(pattern, [event], { source: 'other.source' }).eventsMatched).toBe(0);
  });

  it('publishes query parameters of the connector URL as resources', () => {
    const pattern = { resources: ['app_group=brand-a'] };
    const events = fixtureEvents().slice(0, 3);

    expect(tryPattern(pattern, events).eventsMatched).toBe(0);
    expect(tryPattern(pattern, events, { resources: ['app_group=brand-a'] }).eventsMatched).toBe(3);
  });

  it('counts events per type and never matches events the receiver would not publish', () => {
    const factory = new EventFactory({ seed: 2 });
    const events = [
      factory.make('users.messages.sms.Send'),
      factory.make('users.messages.sms.Send'),
      { id: 'x' },
      7,
    ];

    const result = tryPattern({ source: [{ exists: true }] }, events);

    expect(result.matched).toEqual([{ eventType: 'users.messages.sms.Send', matched: 2, total: 2 }]);
    expect(result).toMatchObject({ eventsMatched: 2, eventsTotal: 4, notPublished: 2 });
    expect(result.notPublishedReasons).toEqual([
      { reason: 'event has no string event_type', events: 1 },
      { reason: 'event is not an object', events: 1 },
    ]);
  });

  it('refuses an invalid pattern with the service error', () => {
    expect(() => tryPattern({ source: 'braze.currents' }, fixtureEvents())).toThrow(InvalidEventPatternError);
  });
});

describe('event sources', () => {
  it('makes one event of each Braze event type', () => {
    const events = fixtureEvents() as { event_type: string }[];

    expect(events.map((event) => event.event_type)).toEqual([...BRAZE_EVENT_TYPES]);
  });

  it('reads every event of every JSON sample file in a folder', () => {
    const folder = mkdtempSync(join(scratch, 'samples-'));
    writeFileSync(join(folder, 'a.json'), JSON.stringify([{ event_type: 'a' }, { event_type: 'b' }]));
    writeFileSync(join(folder, 'b.json'), JSON.stringify([{ event_type: 'c' }]));
    writeFileSync(join(folder, 'notes.txt'), 'not a sample');

    expect(sampleEvents(folder)).toEqual({
      events: [{ event_type: 'a' }, { event_type: 'b' }, { event_type: 'c' }],
      texts: ['{"event_type":"a"}', '{"event_type":"b"}', '{"event_type":"c"}'],
    });
  });

  it('keeps the text of each sample as written: big integers, number notation, spacing', () => {
    const folder = mkdtempSync(join(scratch, 'lossless-'));
    const first = '{ "event_type": "users.behaviors.CustomEvent", "id": 1234567890123456789, "time": 1.0 }';
    const second = '{"event_type":"users.behaviors.CustomEvent","id":1234567890123456800}';
    writeFileSync(join(folder, 'big.json'), `[\n  ${first},\n  ${second}\n]\n`);

    const samples = sampleEvents(folder);

    expect(samples.texts).toEqual([first, second]);
    // JSON.parse rounds both ids to one number; a rule on one id must still tell them apart.
    const pattern = '{"detail":{"id":[1234567890123456789]}}';
    const matched = tryPattern(pattern, samples.events, { texts: samples.texts });
    expect(matched).toMatchObject({ eventsMatched: 1, eventsTotal: 2 });
    // Read with JSON.parse alone, both ids would be 1234567890123456800: neither matches.
    expect(tryPattern(pattern, samples.events).eventsMatched).toBe(0);
  });

  it('refuses a sample file that is not an array of events, and a folder without samples', () => {
    const folder = mkdtempSync(join(scratch, 'bad-'));
    const empty = mkdtempSync(join(scratch, 'empty-'));
    writeFileSync(join(folder, 'one.json'), JSON.stringify({ event_type: 'a' }));

    expect(() => sampleEvents(folder)).toThrow('one.json is not a JSON array of events');
    expect(() => sampleEvents(empty)).toThrow('no .json sample files');
  });

  it('takes the pattern from `aws events describe-rule` output, or the file as it is', () => {
    const described = JSON.stringify({ Name: 'r', EventPattern: '{"source":["braze.currents"]}' });

    expect(patternFromRuleFile(described)).toBe('{"source":["braze.currents"]}');
    expect(patternFromRuleFile('{"source":["x"]}')).toBe('{"source":["x"]}');
    expect(patternFromRuleFile('{nope')).toBe('{nope');
  });
});

describe('npm run pattern', () => {
  it('prints the matching event types and how many do not match', () => {
    const { status, stdout, stderr } = run('{"detail-type":[{"prefix":"users.messages.email."}]}');

    expect(status).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`Matched: ${emailTypes.length} event types (${emailTypes.length} of 96 events)`);
    expect(stdout).toContain('  users.messages.email.Send');
    expect(stdout).toContain(`Not matched: ${96 - emailTypes.length} event types`);
    expect(stdout).not.toContain('users.messages.sms.Send');
  });

  it('lists the unmatched types on request', () => {
    const { stdout } = run('{"detail-type":["users.messages.email.Send"]}', '--show-unmatched');

    expect(stdout).toMatch(/^ {2}users\.messages\.sms\.Send +0 of 1 event$/m);
  });

  it('reads the pattern from a file and applies --source and --resource', () => {
    const file = join(scratch, 'rule.json');
    writeFileSync(file, JSON.stringify({ source: ['custom.source'], resources: ['app_group=brand-b'] }));

    const plain = run('--pattern-file', file);
    const configured = run(
      '--pattern-file',
      file,
      '--source',
      'custom.source',
      '--resource',
      'app_group=brand-b',
    );

    expect(plain.stdout).toContain('Matched: 0 event types (0 of 96 events)');
    expect(configured.stdout).toContain('Matched: 96 event types (96 of 96 events)');
    expect(configured.stdout).toContain('published with source "custom.source", resources app_group=brand-b');
  });

  it('exits 1 with the service error for an invalid pattern', () => {
    const { status, stdout, stderr } = run('{"detail-type": "users.messages.email.Send"}');

    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^Event pattern is not valid\. Reason: "detail-type" must be an object or an array\n at \[Source/,
    );
  });

  it('matches sample numbers beyond 2^53 exactly, and says why the receiver would not publish an event', () => {
    const folder = mkdtempSync(join(scratch, 'cli-samples-'));
    writeFileSync(
      join(folder, 'events.json'),
      `[{"event_type":"users.behaviors.CustomEvent","properties":{"n":1234567890123456789}},
        {"event_type":"users.behaviors.CustomEvent","properties":{"n":1234567890123456800}},
        {"event_type":"users.behaviors.CustomEvent","properties":{"n":12345678901234567890}},
        {"id":"no type"}, {"id":"no type either"}, "text"]`,
    );

    const { status, stdout } = run(
      '{"detail":{"properties":{"n":[1234567890123456789]}}}',
      '--samples',
      folder,
    );

    expect(status).toBe(0);
    expect(stdout).toContain('Matched: 1 event type (1 of 6 events)');
    expect(stdout).toContain('Not published by the receiver (kept in its quarantine): 4 events');
    expect(stdout).toMatch(/^ {2}2 {2}event has no string event_type$/m);
    expect(stdout).toMatch(/^ {2}1 {2}event is not an object$/m);
    expect(stdout).toMatch(
      /^ {2}1 {2}integer 12345678901234567890 outside EventBridge's signed 64-bit range$/m,
    );
  });

  it('exits 2 on usage errors', () => {
    expect(run().status).toBe(2);
    expect(run('{"a":["b"]}', '--pattern-file', 'x.json').status).toBe(2);
    expect(run('{"a":["b"]}', '--unknown').status).toBe(2);
    expect(run('--pattern-file', join(scratch, 'missing.json')).stderr).toContain(
      'missing.json: does not exist',
    );
    expect(run('--pattern-file', scratch).stderr).toContain(`${scratch}: is a directory`);
    const notKeyValue = run('{"source":["braze.currents"]}', '--resource', 'noequals');
    expect(notKeyValue.status).toBe(2);
    expect(notKeyValue.stderr).toContain('--resource must be KEY=VALUE');
    expect(run('{"a":["b"]}', '--samples', join(scratch, 'missing')).status).toBe(2);
  });

  it('notes a pattern longer than the default EventBridge quota', () => {
    const long = JSON.stringify({ 'detail-type': BRAZE_EVENT_TYPES.slice(0, 80) });
    const short = JSON.stringify({ 'detail-type': BRAZE_EVENT_TYPES.slice(0, 5) });

    expect(run(long).stdout).toContain(`Note: the pattern has ${long.length} characters`);
    expect(run(short).stdout).not.toContain('Note:');
  });

  it('prints its usage on --help', () => {
    const { status, stdout } = run('--help');

    expect(status).toBe(0);
    expect(stdout).toContain('--samples DIR');
  });
});

const brazeSamples = BRAZE_SAMPLES_DIR;

describeWithSharedData('against the Braze samples in ../shared', [brazeSamples], () => {
  it('publishes every sample, so a rule on the source receives all 96 event types', () => {
    const { status, stdout } = run('{"source":["braze.currents"]}', '--samples', brazeSamples);

    expect(status).toBe(0);
    expect(stdout).toMatch(/Matched: 96 event types \((\d+) of \1 events\)/);
    expect(stdout).toContain('Not matched: 0 event types (0 events)');
  });

  it('tells the email family apart from everything else', () => {
    const result = tryPattern(
      { 'detail-type': [{ prefix: 'users.messages.email.' }] },
      sampleEvents(brazeSamples).events,
      { texts: sampleEvents(brazeSamples).texts },
    );

    expect(result.matched.map((tally) => tally.eventType).sort()).toEqual([...emailTypes].sort());
  });
});
