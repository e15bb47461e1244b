import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventBridgeClientConfig, eventBridgePort } from '#lambdas/shared/aws';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { liveEventPattern } from '#lib/constructs/replay-archive';
import { compileEventPattern } from '#local/event-pattern/index';
import {
  type ArchiveStore,
  archiveObjects,
  findLocalArchiveBucket,
  localArchiveStore,
  partitionHours,
  s3ArchiveStore,
} from '#local/replay/archive-reader';
import {
  closeMatches,
  defaultKnownEventTypes,
  EVENT_BUS_NAME_DOC,
  eventBusProblem,
  parseReplayArguments,
} from '#local/replay/arguments';
import { replay } from '#local/replay/replay';
import { awsFailure, runReplayCli } from '#local/replay-cli';
import {
  EventBridgeStandIn,
  LOCAL_CREDENTIALS,
  S3_CLIENT_SETTINGS_FOR_STAND_IN,
  S3StandIn,
} from '#local/stand-ins/index';
import { runInProcess, STACK_FRAME } from '#test/cli-process';

/** Writes one archive object as local mode keeps it: a plain gzip file at <dataDir>/s3/<bucket>/<key>. */
function writeArchiveObject(
  dataDir: string,
  partitionValue: string,
  hour: string,
  name: string,
  lines: string[],
) {
  const [day, hh] = hour.split('T') as [string, string];
  const directory = join(
    dataDir,
    's3',
    'archive-bucket',
    'events',
    `event_type=${partitionValue}`,
    `dt=${day}`,
    `hour=${hh}`,
  );
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, name), gzipSync(`${lines.join('\n')}\n`));
}

const email = (id: string, time: unknown = 1_764_511_200) =>
  `{"event_type":"users.messages.email.Send","id":"${id}","time":${JSON.stringify(time)},"user":{"user_id":"u1"},"properties":{"subject":"Hi \\u00e9"}}`;
const push = (id: string) =>
  `{"id":"${id}","event_type":"users.messages.pushnotification.Send","time":1764511260}`;

describe('replay from the local archive', () => {
  let dataDir: string;
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'replay-'));
    standIn = new EventBridgeStandIn({ busNames: ['replay-bus'], unknownBus: 'fail-entry' });
    const { url } = await standIn.start();
    client = new EventBridgeClient({
      ...eventBridgeClientConfig(),
      region: 'us-east-1',
      endpoint: url,
      credentials: LOCAL_CREDENTIALS,
    });
    writeArchiveObject(dataDir, 'users.messages.email.Send', '2026-11-30T13', 'a.gz', [
      email('e1'),
      email('e2'),
    ]);
    writeArchiveObject(dataDir, 'users.messages.email.Send', '2026-11-30T14', 'b.gz', [
      email('e3', 'not a time'),
    ]);
    writeArchiveObject(dataDir, 'users.messages.pushnotification.Send', '2026-11-30T14', 'c.gz', [
      push('p1'),
    ]);
    // Outside the hours replayed below.
    writeArchiveObject(dataDir, 'users.messages.email.Send', '2026-11-30T16', 'd.gz', [email('late')]);
    // A type that needed @uri encoding in its partition value.
    writeArchiveObject(dataDir, 'custom%20type%2Fx', '2026-11-30T13', 'e.gz', [
      '{"event_type":"custom type/x","id":"c1","time":1764507600}',
    ]);
  });

  afterEach(async () => {
    client.destroy();
    await standIn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (selectors: string[], extra: Partial<Parameters<typeof replay>[0]> = {}) =>
    replay({
      store: localArchiveStore(await findLocalArchiveBucket(dataDir)),
      hours: partitionHours(new Date('2026-11-30T13:30:00Z'), new Date('2026-11-30T15:00:00Z')),
      selectors,
      source: 'braze.currents',
      replayName: 'test-1',
      port: eventBridgePort(client, 'replay-bus'),
      ...extra,
    });

  it('publishes every archived line verbatim as Detail, with the receiver Source, DetailType and Time, plus the mark', async () => {
    const summary = await run([]);
    expect(summary).toMatchObject({ objects: 4, read: 5, published: 5, failed: [] });
    const events = standIn.events;
    expect(events.map((event) => (event.detail as { id: string }).id).sort()).toEqual([
      'c1',
      'e1',
      'e2',
      'e3',
      'p1',
    ]);
    // The archive rules' pattern, through local mode's matcher: no replayed event is archived again.
    const live = compileEventPattern(liveEventPattern('braze.currents'));
    for (const event of events) {
      expect(event.source).toBe('braze.currents');
      expect(event['detail-type']).toBe((event.detail as { event_type: string }).event_type);
      expect(event.resources).toEqual(['replay:test-1']);
      expect(live.matches(event)).toBe(false);
    }
    const byId = new Map(events.map((event) => [(event.detail as { id: string }).id, event]));
    expect(byId.get('e1')?.time).toBe('2025-11-30T14:00:00Z');
    // No valid Braze time: the hour the archive received it.
    expect(byId.get('e3')?.time).toBe('2026-11-30T14:00:00Z');
    expect(byId.get('c1')?.['detail-type']).toBe('custom type/x');
    expect(summary.byEventType).toEqual({
      'custom type/x': 1,
      'users.messages.email.Send': 3,
      'users.messages.pushnotification.Send': 1,
    });
  });

  it('sends the archived text itself as Detail, byte for byte', async () => {
    const seen: string[] = [];
    const port = eventBridgePort(client, 'replay-bus');
    await run(['users.messages.email.Send'], {
      port: {
        putEvents: (entries, budget) => {
          seen.push(...entries.map((entry) => entry.Detail));
          return port.putEvents(entries, budget);
        },
      },
    });
    expect(seen.sort()).toEqual([email('e1'), email('e2'), email('e3', 'not a time')].sort());
  });

  it('reads only the selected event types and families', async () => {
    const summary = await run(['users.messages.email.*']);
    expect(summary.published).toBe(3);
    expect(new Set(standIn.events.map((event) => event['detail-type']))).toEqual(
      new Set(['users.messages.email.Send']),
    );
  });

  it('retries throttled entries through the publisher until all are published', async () => {
    standIn.faults.throttleEntries(0.5);
    const summary = await run([]);
    expect(summary.published).toBe(5);
    expect(summary.failed).toEqual([]);
    expect(standIn.stats.failedByCode.ThrottlingException ?? 0).toBeGreaterThan(0);
  });

  it('reports lines that cannot be published, with where they are, and publishes the rest', async () => {
    writeArchiveObject(dataDir, 'users.messages.email.Send', '2026-11-30T14', 'z.gz', [
      'not json',
      email('e9'),
    ]);
    const summary = await run([]);
    expect(summary.published).toBe(6);
    expect(summary.failed).toEqual([
      expect.objectContaining({
        key: 'events/event_type=users.messages.email.Send/dt=2026-11-30/hour=14/z.gz',
        line: 1,
        errorCode: 'UnreadableLine',
        text: 'not json',
      }),
    ]);
  });

  it('reports entries EventBridge refuses (an unknown bus), never drops them', async () => {
    const summary = await run(['users.messages.pushnotification.*'], {
      port: eventBridgePort(client, 'no-such-bus'),
    });
    expect(summary.published).toBe(0);
    expect(summary.failed).toEqual([
      expect.objectContaining({ errorCode: 'ResourceNotFoundException', line: 1 }),
    ]);
  });

  it('reads the same partitions from an S3 bucket, listing by prefix', async () => {
    const s3StandIn = new S3StandIn({ dataDir: join(dataDir, 'other'), buckets: ['remote-archive'] });
    const { url } = await s3StandIn.start();
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      credentials: LOCAL_CREDENTIALS,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
    try {
      const put = (key: string, lines: string[]) =>
        s3.send(
          new PutObjectCommand({
            Bucket: 'remote-archive',
            Key: key,
            Body: gzipSync(`${lines.join('\n')}\n`),
          }),
        );
      await put('events/event_type=users.messages.email.Send/dt=2026-11-30/hour=14/x.gz', [
        email('s1'),
        email('s2'),
      ]);
      await put('events/event_type=users.messages.email.Open/dt=2026-11-30/hour=13/y.gz', [
        '{"event_type":"users.messages.email.Open","id":"s3"}',
      ]);
      await put('events/event_type=users.messages.email.Send/dt=2026-11-30/hour=15/z.gz', [email('outside')]);
      const summary = await run(['users.messages.email.*'], { store: s3ArchiveStore(s3, 'remote-archive') });
      expect(summary).toMatchObject({ objects: 2, read: 3, published: 3, failed: [] });
      expect(standIn.events.map((event) => (event.detail as { id: string }).id).sort()).toEqual([
        's1',
        's2',
        's3',
      ]);
    } finally {
      s3.destroy();
      await s3StandIn.stop();
    }
  });

  it('refuses a replay name that could make a mark holding "=" before reading anything', async () => {
    await expect(run([], { replayName: 'x=1' })).rejects.toThrow(/replay name/);
    expect(standIn.events).toEqual([]);
  });

  it('lists the partitions that exist, so a ten-year range costs calls per partition, not per hour', async () => {
    const local = localArchiveStore(await findLocalArchiveBucket(dataDir));
    const calls: string[] = [];
    const counting: ArchiveStore = {
      location: local.location,
      listEventTypePartitions: () => local.listEventTypePartitions(),
      listObjects: (prefix) => {
        calls.push(`objects ${prefix}`);
        return local.listObjects(prefix);
      },
      listPrefixes: (prefix) => {
        calls.push(`prefixes ${prefix}`);
        return local.listPrefixes(prefix);
      },
      read: (key) => local.read(key),
    };
    const hours = partitionHours(new Date('2020-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    expect(hours.length).toBeGreaterThan(87_000);

    const found = [];
    for await (const object of archiveObjects(counting, hours, [])) found.push(object);

    // Oldest hour first, event types in name order within an hour.
    expect(found.map((object) => object.key.split('/').slice(1).join('/'))).toEqual([
      'event_type=custom%20type%2Fx/dt=2026-11-30/hour=13/e.gz',
      'event_type=users.messages.email.Send/dt=2026-11-30/hour=13/a.gz',
      'event_type=users.messages.email.Send/dt=2026-11-30/hour=14/b.gz',
      'event_type=users.messages.pushnotification.Send/dt=2026-11-30/hour=14/c.gz',
      'event_type=users.messages.email.Send/dt=2026-11-30/hour=16/d.gz',
    ]);
    // 3 types: one listing of days each, one of hours per day with data, one of objects per hour with data.
    expect(calls.filter((call) => call.startsWith('prefixes'))).toHaveLength(6);
    expect(calls.filter((call) => call.startsWith('objects'))).toHaveLength(5);
  });

  it('in a dry run reads and counts, and publishes nothing', async () => {
    const summary = await replay({
      store: localArchiveStore(await findLocalArchiveBucket(dataDir)),
      hours: partitionHours(new Date('2026-11-30T13:00:00Z'), new Date('2026-11-30T17:00:00Z')),
      selectors: [],
      source: 'braze.currents',
      replayName: 'dry',
    });
    expect(summary).toMatchObject({ dryRun: true, read: 6, published: 0 });
    expect(standIn.events).toHaveLength(0);
  });

  it('paces publishing to --rate entries per second (on the clock it is given)', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const summary = await run([], {
      rate: 2,
      clock: {
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
        random: () => 0.5,
      },
    });
    expect(summary.published).toBe(5);
    // Groups of 2 at 2 entries/s: the 2nd group waits until 1 s, the 3rd until 2 s.
    expect(now).toBe(2000);
    expect(sleeps).toEqual([1000, 1000]);
  });
});

describe('replay partitions and arguments', () => {
  it('reads every UTC hour that overlaps [since, until)', () => {
    const hours = partitionHours(new Date('2026-11-30T13:59:59Z'), new Date('2026-11-30T15:00:00Z'));
    expect(hours.map((hour) => hour.toISOString())).toEqual([
      '2026-11-30T13:00:00.000Z',
      '2026-11-30T14:00:00.000Z',
    ]);
    expect(partitionHours(new Date('2026-11-30T15:00:00Z'), new Date('2026-11-30T15:00:01Z'))).toHaveLength(
      1,
    );
    expect(() =>
      partitionHours(new Date('2026-11-30T15:00:00Z'), new Date('2026-11-30T15:00:00Z')),
    ).toThrow();
  });

  it('parses the options and refuses bad ones with one-line messages', () => {
    const parsed = parseReplayArguments(
      [
        '--since',
        '2026-11-30T13',
        '--until',
        '2026-12-01',
        '--bus',
        'b',
        '--event-type',
        'users.messages.email.*',
        '--event-type',
        'users.behaviors.Purchase',
        '--rate',
        '50',
        '--name',
        'n1',
      ],
      {},
    );
    expect(parsed).toMatchObject({
      selectors: ['users.messages.email.*', 'users.behaviors.Purchase'],
      rate: 50,
      name: 'n1',
    });
    expect(() =>
      parseReplayArguments(['--since', '2026-11-30T13', '--until', '2026-11-30', '--bus', 'b'], {}),
    ).toThrow(/--since must be before --until/);
    const base = ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b'];
    expect(() => parseReplayArguments(['--until', '2026-12-01', '--bus', 'b'], {})).toThrow(
      /--since is required/,
    );
    expect(() => parseReplayArguments([...base, '--event-type', 'users.*.Send'], {})).toThrow(
      /family ending in \.\*/,
    );
    expect(() => parseReplayArguments([...base, '--rate', '0'], {})).toThrow(/--rate/);
    expect(() => parseReplayArguments([...base, '--name', 'a b'], {})).toThrow(/--name/);
    expect(() => parseReplayArguments([...base, '--name', 'a=b'], {})).toThrow(/--name/);
    expect(() => parseReplayArguments([...base, '--wat'], {})).toThrow(/wat/);
    expect(parseReplayArguments(base, { CURRENTS_DATA_DIR: '/data/x' })).toMatchObject({
      dataDir: '/data/x',
    });
  });

  it('checks --bus against the EventBridgeName rules of PutEvents, with the doc link', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/CurrentsBridgeBus';
    expect([eventBusProblem('CurrentsBridgeBus'), eventBusProblem(arn), eventBusProblem('a.b-c_d')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    for (const bad of [
      'my bus',
      'bus/with/slash',
      'x'.repeat(257),
      'arn:aws:events:eu-west-1:12345:event-bus/b',
    ]) {
      expect(eventBusProblem(bad), bad).toContain(EVENT_BUS_NAME_DOC);
    }
    const base = ['--since', '2026-11-30', '--until', '2026-12-01'];
    expect(() => parseReplayArguments([...base, '--bus', 'my bus'], {})).toThrow(
      /^--bus "my bus": an event bus name has 1 to 256 letters/,
    );
    expect(parseReplayArguments([...base, '--bus', arn], {})).toMatchObject({ bus: arn });
  });

  it('refuses an --event-type outside the catalog and extraEventTypes, naming close matches', () => {
    const base = ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b'];
    const known = ['users.messages.email.Open', 'users.messages.email.Send', 'users.behaviors.Purchase'];
    const refusal = (selector: string) => {
      try {
        parseReplayArguments([...base, '--event-type', selector], {}, known);
      } catch (error) {
        return error as Error & { exitCode?: number };
      }
      return undefined;
    };

    expect(refusal('users.messages.email.open')?.message).toMatch(
      /^--event-type "users\.messages\.email\.open" is not in the event catalog nor in extraEventTypes of cdk\.json; did you mean users\.messages\.email\.Open\?/,
    );
    expect(refusal('users.messages.email.open')?.exitCode).toBe(2);
    expect(refusal('email.Send')?.message).toMatch(/did you mean users\.messages\.email\.Send\?/);
    expect(refusal('users.messages.emial.*')?.message).toMatch(
      /^no event type of the catalog or of extraEventTypes starts with users\.messages\.emial\.; did you mean users\.messages\.email\.\*\?/,
    );
    expect(refusal('something.else.Entirely')?.message).toMatch(/extraEventTypes in cdk\.json\)$/);
    expect(refusal('something.else.Entirely')?.message).not.toMatch(/did you mean/);
    expect(refusal('users.behaviors.Purchase')).toBeUndefined();
    expect(refusal('users.*')).toBeUndefined();
    // The default list is the catalog (every type it knows) plus extraEventTypes of cdk.json.
    expect(defaultKnownEventTypes()).toEqual(expect.arrayContaining([...BRAZE_EVENT_TYPES]));
    expect(closeMatches('users.messages.email.Opn', known)).toEqual(['users.messages.email.Open']);
  });

  it('checks --source, --bucket and --rate before reading anything', () => {
    const base = ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b'];
    expect(() => parseReplayArguments([...base, '--source', 'aws.braze'], {})).toThrow(
      /^--source "aws\.braze": the prefix "aws\." is reserved/,
    );
    expect(() => parseReplayArguments([...base, '--bucket', 'My_Bucket'], {})).toThrow(
      /^--bucket "My_Bucket" is not an S3 bucket name .*bucketnamingrules/,
    );
    expect(() => parseReplayArguments([...base, '--rate', ''], {})).toThrow(
      /--rate must be a positive number/,
    );
    expect(
      parseReplayArguments([...base, '--bucket', 'currentsbridge-archivebucket-1a2b'], {}),
    ).toMatchObject({
      bucket: 'currentsbridge-archivebucket-1a2b',
    });
  });
});

describe('npm run replay errors', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  });
  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  const args = ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b', '--dry-run'];
  const io = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false };

  it.each([
    [['--wat'], 2, /^Unknown option '--wat'/],
    [['--since', '2026-11-30', '--until', '2026-12-01'], 2, /^--bus is required: the name or ARN/],
    [['--since', 'yesterday', '--until', '2026-12-01', '--bus', 'b'], 2, /^--since must be an ISO 8601 time/],
    [
      ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b', 'extra'],
      2,
      /^unexpected argument "extra"/,
    ],
    [
      ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b', '--event-type', 'users.nope'],
      2,
      /not in the event catalog/,
    ],
  ])('%j exits %i with one line and no stack', async (argv, code, message) => {
    const outcome = await runInProcess(() => runReplayCli(argv, {}, io));

    expect(outcome.stderr).toMatch(message);
    expect(outcome.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(outcome.stderr).not.toMatch(STACK_FRAME);
    expect(outcome.code).toBe(code);
  });

  it('stops before reading anything when publishing has no Region, in one line (not one per event after the retry window)', async () => {
    writeArchiveObject(scratch, 'users.behaviors.CustomEvent', '2026-11-30T10', 'a.gz', [
      '{"event_type":"users.behaviors.CustomEvent","id":"1","time":1}',
    ]);
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', 'currents-bridge-test-no-such-profile');
    vi.stubEnv('AWS_CONFIG_FILE', join(scratch, 'no-config'));
    try {
      const outcome = await runInProcess(() =>
        runReplayCli(
          ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'b', '--data-dir', scratch],
          {},
          io,
        ),
      );

      expect(outcome.stderr.trim()).toBe('publishing to EventBridge failed: no AWS Region; set AWS_REGION');
      expect(outcome.code).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('exits 1 naming a data dir that does not exist, or holds no archive, and what to do', async () => {
    const missing = await runInProcess(() =>
      runReplayCli([...args, '--data-dir', join(scratch, 'nope')], {}, io),
    );
    const empty = await runInProcess(() => runReplayCli([...args, '--data-dir', scratch], {}, io));

    expect(missing).toEqual({
      code: 1,
      stderr: expect.stringMatching(
        /^no local data dir at .*nope: give local mode's data dir with --data-dir/,
      ),
    });
    expect(empty).toEqual({
      code: 1,
      stderr: expect.stringMatching(/^no local archive under .*s3 .*run npm start and send events first/),
    });
  });

  it('turns AWS failures the user can act on into one line, and leaves bugs alone', () => {
    const serviceError = Object.assign(new Error('The specified bucket does not exist'), {
      name: 'NoSuchBucket',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const credentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });

    expect(awsFailure(serviceError, 'reading s3://b')?.message).toBe(
      'reading s3://b failed: NoSuchBucket: The specified bucket does not exist',
    );
    expect(awsFailure(refused, 'reading s3://b')?.message).toMatch(
      /cannot reach the endpoint .*AWS_ENDPOINT_URL_S3/,
    );
    expect(awsFailure(credentials, 'reading s3://b')?.message).toMatch(/no AWS credentials .*AWS_PROFILE/);
    expect(awsFailure(new Error('Region is missing'), 'x')?.message).toMatch(/set AWS_REGION/);
    expect(awsFailure(new TypeError('x is undefined'), 'x')).toBeUndefined();
  });

  it('exits 1 with the answer of S3 in one line when the bucket does not exist', async () => {
    const s3StandIn = new S3StandIn({ dataDir: scratch, buckets: ['some-other-bucket'] });
    const { url } = await s3StandIn.start();
    vi.stubEnv('AWS_ENDPOINT_URL_S3', url);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_CREDENTIALS.secretAccessKey);
    try {
      const outcome = await runInProcess(() => runReplayCli([...args, '--bucket', 'archive-bucket'], {}, io));

      expect(outcome).toEqual({
        code: 1,
        stderr: expect.stringMatching(/^reading the archive in s3:\/\/archive-bucket failed: NoSuchBucket: /),
      });
      expect(outcome.stderr).not.toMatch(STACK_FRAME);
    } finally {
      vi.unstubAllEnvs();
      await s3StandIn.stop();
    }
  });
});
