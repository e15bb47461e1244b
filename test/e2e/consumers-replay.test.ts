/**
 * Onboarding a consumer end to end, through local mode: rules attached at run time (the SDK, and a
 * queue created and read with Query-protocol requests from an older SQS client) get exactly their
 * events; then `npm run replay` re-publishes the local archive into a second EventBridge endpoint
 * (every event, as first published, plus the mark), and into the pipeline's own bus (only the
 * e-mail family, which the consumer receives again and the archive does not keep twice).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  GetQueueAttributesCommand,
  CreateQueueCommand as JsonCreateQueueCommand,
  ReceiveMessageCommand as JsonReceiveMessageCommand,
  SQSClient as JsonSqsClient,
} from '@aws-sdk/client-sqs';
import {
  CreateQueueCommand as QueryCreateQueueCommand,
  ReceiveMessageCommand as QueryReceiveMessageCommand,
  SQSClient as QuerySqsClient,
} from 'sqs-query-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from '#local/event-pattern/index';
import { EventBridgeStandIn, LOCAL_CREDENTIALS } from '#local/stand-ins/index';
import { busEvents, post, readArchive, startTestPipeline, type TestPipeline, until } from './pipeline';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

const EVENT_TYPES = [
  'users.messages.email.Send',
  'users.messages.email.Open',
  'users.messages.pushnotification.Send',
  'users.behaviors.CustomEvent',
  'users.messages.sms.Delivery',
];
const EMAIL_PATTERN = JSON.stringify({
  source: ['braze.currents'],
  'detail-type': [{ prefix: 'users.messages.email.' }],
});
const PUSH_PATTERN = JSON.stringify({
  source: ['braze.currents'],
  'detail-type': ['users.messages.pushnotification.Send'],
});

interface SentEvent {
  event_type: string;
  id: string;
  time: number;
  user: { user_id: string };
}

/** Runs `npm run replay` (the CLI itself, in a child process) and returns its exit code and output. */
async function npmRunReplay(args: string[], env: Record<string, string>, cwd = ROOT) {
  try {
    const { stdout } = await run(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [path.join(ROOT, 'local/replay-cli.ts'), ...args],
      {
        cwd,
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          ...env,
        },
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('a consumer attaches a rule locally, then backfills from the archive', () => {
  let test: TestPipeline;
  let events: EventBridgeClient;
  let jsonSqs: JsonSqsClient;
  let querySqs: QuerySqsClient;
  let emailQueueUrl = '';
  let pushQueueUrl = '';
  const sent: SentEvent[] = [];
  /** The id of every archived line (one per copy on the bus), read once the archive holds the bus. */
  let archivedIds: string[] = [];
  const idOf = (event: EventBridgeEvent) => (event.detail as SentEvent).id;
  const typeOf = (id: string) => sent.find((event) => event.id === id)?.event_type ?? '';
  // The tests read each queue without deleting: a visibility timeout far longer than the suite keeps
  // a message read once from coming back on a slow machine (the default is 30 s).
  const READ_ONCE = { VisibilityTimeout: '43200' };

  const receiveAll = async (receive: () => Promise<{ Messages?: { Body?: string }[] }>) => {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await receive();
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => message.Body ?? ''));
    }
  };

  beforeAll(async () => {
    test = await startTestPipeline();
    const { endpoints, names } = test.pipeline;
    const clientSettings = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
    events = new EventBridgeClient({ ...clientSettings, endpoint: endpoints.eventBridge });
    jsonSqs = new JsonSqsClient({ ...clientSettings, endpoint: endpoints.sqs });
    querySqs = new QuerySqsClient({ ...clientSettings, endpoint: endpoints.sqs });

    // The e-mail team: everything with the current SDK.
    ({ QueueUrl: emailQueueUrl = '' } = await jsonSqs.send(
      new JsonCreateQueueCommand({ QueueName: 'email-team', Attributes: READ_ONCE }),
    ));
    const { Attributes } = await jsonSqs.send(
      new GetQueueAttributesCommand({ QueueUrl: emailQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({ Name: 'email-team', EventBusName: names.eventBus, EventPattern: EMAIL_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'email-team',
        EventBusName: names.eventBus,
        Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn, InputPath: '$.detail' }],
      }),
    );
    // The push team: its queue created with Query-protocol requests (an SDK from before late 2023).
    ({ QueueUrl: pushQueueUrl = '' } = await querySqs.send(
      new QueryCreateQueueCommand({ QueueName: 'push-team', Attributes: READ_ONCE }),
    ));
    await events.send(
      new PutRuleCommand({ Name: 'push-team', EventBusName: names.eventBus, EventPattern: PUSH_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'push-team',
        EventBusName: names.eventBus,
        Targets: [{ Id: 'queue', Arn: 'arn:aws:sqs:us-east-1:000000000000:push-team' }],
      }),
    );

    const now = Math.floor(Date.now() / 1000);
    for (let index = 0; index < 40; index++) {
      sent.push({
        event_type: EVENT_TYPES[index % EVENT_TYPES.length] as string,
        id: `evt-${index}`,
        time: now - index,
        user: { user_id: `u${index % 7}` },
      });
    }
    const response = await post(test.pipeline.url, JSON.stringify({ events: sent }));
    expect(response.status).toBe(200);
    // Publishing is at least once, as in AWS: on a loaded machine the receiver may spill events (the
    // redrive publishes them later) or retry a PutEvents call whose answer timed out (its entries
    // reach the bus twice). So every expectation below counts the copies on the bus or in the archive.
    await until(
      () => new Set(busEvents(test.pipeline).map(idOf)).size >= sent.length,
      'every event on the bus',
    );
    await test.pipeline.settle();
    await until(
      async () => (await readArchive(test.s3, names.archiveBucket)).length >= busEvents(test.pipeline).length,
      'every event on the bus in the archive',
    );
    archivedIds = (await readArchive(test.s3, names.archiveBucket)).map(
      ({ line }) => (JSON.parse(line) as SentEvent).id,
    );
  });

  afterAll(async () => {
    events?.destroy();
    jsonSqs?.destroy();
    querySqs?.destroy();
    await test?.close();
  });

  it('delivers exactly the e-mail events to the rule attached with the SDK', async () => {
    const bodies = await receiveAll(() =>
      jsonSqs.send(new JsonReceiveMessageCommand({ QueueUrl: emailQueueUrl, MaxNumberOfMessages: 10 })),
    );
    // One delivery per e-mail event on the bus (copies included), each the event as sent.
    const expected = busEvents(test.pipeline)
      .filter((event) => event['detail-type'].startsWith('users.messages.email.'))
      .map((event) => sent.find((original) => original.id === idOf(event)));
    expect(expected.length).toBeGreaterThanOrEqual(
      sent.filter((event) => event.event_type.startsWith('users.messages.email.')).length,
    );
    expect(
      bodies.map((body) => JSON.parse(body) as SentEvent).sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual([...expected].sort((a, b) => (a?.id ?? '').localeCompare(b?.id ?? '')));
    const targets = await events.send(
      new ListTargetsByRuleCommand({ Rule: 'email-team', EventBusName: test.pipeline.names.eventBus }),
    );
    expect(targets.Targets?.[0]?.InputPath).toBe('$.detail');
  });

  it('delivers exactly the push events to the queue read with Query-protocol requests', async () => {
    const bodies = await receiveAll(() =>
      querySqs.send(new QueryReceiveMessageCommand({ QueueUrl: pushQueueUrl, MaxNumberOfMessages: 10 })),
    );
    const ids = bodies.map(
      (body) => (JSON.parse(body) as EventBridgeEvent & { detail: SentEvent }).detail.id,
    );
    const pushesOnBus = busEvents(test.pipeline)
      .filter((event) => event['detail-type'] === 'users.messages.pushnotification.Send')
      .map(idOf);
    expect(new Set(pushesOnBus)).toEqual(
      new Set(
        sent.filter((event) => event.event_type === 'users.messages.pushnotification.Send').map((e) => e.id),
      ),
    );
    expect(ids.sort()).toEqual(pushesOnBus.sort());
  });

  it('npm run replay re-publishes every archived event into a second endpoint, as first published plus the mark', async () => {
    const second = new EventBridgeStandIn({ busNames: ['backfill'], unknownBus: 'fail-entry' });
    const { url } = await second.start();
    try {
      const since = new Date(Date.now() - 2 * 3_600_000).toISOString();
      const untilTime = new Date(Date.now() + 3_600_000).toISOString();
      const result = await npmRunReplay(
        ['--since', since, '--until', untilTime, '--bus', 'backfill', '--name', 'all-1'],
        { AWS_ENDPOINT_URL_EVENTBRIDGE: url, CURRENTS_DATA_DIR: test.pipeline.dataDir },
      );
      expect(result.stdout).toContain(`published             ${archivedIds.length}`);
      expect(result.code).toBe(0);

      const original = new Map(
        busEvents(test.pipeline).map((event) => [(event.detail as SentEvent).id, event]),
      );
      // Every archived line replayed (a retried call may add copies on a loaded machine).
      expect(new Set(second.events.map(idOf))).toEqual(new Set(sent.map((event) => event.id)));
      expect(second.events.length).toBeGreaterThanOrEqual(archivedIds.length);
      for (const replayed of second.events) {
        const first = original.get((replayed.detail as SentEvent).id);
        expect(first).toBeDefined();
        expect({
          source: replayed.source,
          'detail-type': replayed['detail-type'],
          time: replayed.time,
          detail: replayed.detail,
        }).toEqual({
          source: first?.source,
          'detail-type': first?.['detail-type'],
          time: first?.time,
          detail: first?.detail,
        });
        expect(first?.resources).toEqual([]);
        expect(replayed.resources).toEqual(['replay:all-1']);
      }
    } finally {
      await second.stop();
    }
  });

  it('npm run replay exits 1 and keeps the lines EventBridge refused, with the reason', async () => {
    const second = new EventBridgeStandIn({ busNames: ['backfill'], unknownBus: 'fail-entry' });
    const { url } = await second.start();
    const cwd = await mkdtemp(path.join(tmpdir(), 'replay-cwd-'));
    try {
      const result = await npmRunReplay(
        [
          '--since',
          new Date(Date.now() - 3_600_000).toISOString(),
          '--until',
          new Date(Date.now() + 3_600_000).toISOString(),
          '--bus',
          'no-such-bus',
          '--event-type',
          'users.messages.pushnotification.Send',
          '--name',
          'refused',
        ],
        { AWS_ENDPOINT_URL_EVENTBRIDGE: url, CURRENTS_DATA_DIR: test.pipeline.dataDir },
        cwd,
      );
      const pushes = archivedIds.filter((id) => typeOf(id) === 'users.messages.pushnotification.Send');
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`not published         ${pushes.length}`);
      expect(result.stdout).toContain('ResourceNotFoundException');
      const kept = (await readFile(path.join(cwd, 'replay-refused-failed.ndjson'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { text: string; errorCode: string });
      expect(kept.map((failure) => (JSON.parse(failure.text) as SentEvent).id).sort()).toEqual(pushes.sort());
      expect(second.events).toHaveLength(0);
    } finally {
      await second.stop();
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('npm run replay --event-type users.messages.email.* backfills only e-mail events, which the archive does not keep twice', async () => {
    const { names, endpoints, dataDir } = test.pipeline;
    const archivedBefore = (await readArchive(test.s3, names.archiveBucket)).length;
    const onBusBefore = busEvents(test.pipeline).length;
    const result = await npmRunReplay(
      [
        '--since',
        new Date(Date.now() - 3_600_000).toISOString(),
        '--until',
        new Date(Date.now() + 3_600_000).toISOString(),
        '--bus',
        names.eventBus,
        '--event-type',
        'users.messages.email.*',
        '--name',
        'email-backfill',
      ],
      { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge, CURRENTS_DATA_DIR: dataDir },
    );
    expect(result.code).toBe(0);
    const emails = archivedIds.filter((id) => typeOf(id).startsWith('users.messages.email.'));
    await until(() => busEvents(test.pipeline).length >= onBusBefore + emails.length, 'the replayed events');
    await test.pipeline.settle();
    const replayed = busEvents(test.pipeline).slice(onBusBefore);
    // Every archived e-mail line replayed once, or more if a call was retried on a loaded machine.
    expect(new Set(replayed.map(idOf))).toEqual(new Set(emails));
    expect(replayed.length).toBeGreaterThanOrEqual(emails.length);
    expect(replayed.every((event) => event.resources.join() === 'replay:email-backfill')).toBe(true);

    // The consumer gets its backfill (one delivery per replayed event); the archive rule leaves replays out.
    const bodies = await receiveAll(() =>
      jsonSqs.send(new JsonReceiveMessageCommand({ QueueUrl: emailQueueUrl, MaxNumberOfMessages: 10 })),
    );
    expect(bodies).toHaveLength(replayed.length);
    expect((await readArchive(test.s3, names.archiveBucket)).length).toBe(archivedBefore);
  });

  it('archives live events whatever the connector URL: ?replay=… (the old mark) and look-alikes of the new one', async () => {
    const { names } = test.pipeline;
    const queries = ['replay=all-1', 'replay%3Aall-1', 'replay=x&app_group=brand-a'];
    const now = Math.floor(Date.now() / 1000);
    const live = queries.map((_, index) => ({
      event_type: 'users.behaviors.CustomEvent',
      id: `live-query-${index}`,
      time: now,
      user: { user_id: 'u1' },
    }));
    for (const [index, query] of queries.entries()) {
      const response = await post(`${test.pipeline.url}?${query}`, JSON.stringify({ events: [live[index]] }));
      expect(response.status).toBe(200);
    }
    await until(async () => {
      const ids = new Set(
        (await readArchive(test.s3, names.archiveBucket)).map(({ line }) => JSON.parse(line).id),
      );
      return live.every((event) => ids.has(event.id));
    }, 'the live events of every connector URL in the archive');
    const onBus = busEvents(test.pipeline).filter((event) =>
      (event.detail as SentEvent).id.startsWith('live-query-'),
    );
    expect(onBus.map((event) => event.resources).sort()).toEqual(
      [['replay:all-1='], ['replay=all-1'], ['replay=x', 'app_group=brand-a']].sort(),
    );
  });
});
