import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CloudFormationTemplate,
  EventBridgeStandIn,
  LOCAL_CREDENTIALS,
  loadRoutes,
  S3_CLIENT_SETTINGS_FOR_STAND_IN,
  type StandIns,
  startStandIns,
} from '#local/stand-ins/index';
import { until } from '#test/wait';

/** A small stack in the shape `cdk synth` writes: a bus, an archive through Firehose, three consumers. */
const template: CloudFormationTemplate = {
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'test-bus' } },
    Archive: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'test-archive' } },
    Stream: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        ExtendedS3DestinationConfiguration: {
          BucketARN: { 'Fn::GetAtt': ['Archive', 'Arn'] },
          Prefix:
            'events/event_type=!{partitionKeyFromQuery:event_type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
          ErrorOutputPrefix: 'archive-errors/!{firehose:error-output-type}/',
          CompressionFormat: 'GZIP',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
          DynamicPartitioningConfiguration: { Enabled: true },
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"event_type":.event_type}' },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
              { Type: 'AppendDelimiterToRecord', Parameters: [] },
            ],
          },
        },
      },
    },
    EmailQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
    EmailDlq: { Type: 'AWS::SQS::Queue', Properties: {} },
    Consumer: { Type: 'AWS::Lambda::Function', Properties: {} },
    ArchiveRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'ArchiveRule',
        EventBusName: { Ref: 'Bus' },
        EventPattern: { source: ['braze.currents'] },
        Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['Stream', 'Arn'] }, InputPath: '$.detail' }],
      },
    },
    EmailRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'EmailRule',
        EventBusName: { Ref: 'Bus' },
        EventPattern: { 'detail-type': [{ prefix: 'users.messages.email.' }] },
        Targets: [
          {
            Id: 'Target0',
            Arn: { 'Fn::GetAtt': ['EmailQueue', 'Arn'] },
            InputPath: '$.detail',
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EmailDlq', 'Arn'] } },
          },
        ],
      },
    },
    PurchaseRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'PurchaseRule',
        EventBusName: { Ref: 'Bus' },
        EventPattern: { 'detail-type': ['users.behaviors.Purchase'] },
        Targets: [
          {
            Id: 'Target0',
            Arn: { 'Fn::GetAtt': ['Consumer', 'Arn'] },
            InputTransformer: {
              InputPathsMap: { id: '$.detail.id' },
              InputTemplate: '{"purchase":<id>,"rule":"<aws.events.rule-name>"}',
            },
          },
        ],
      },
    },
    DefaultBusRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'DefaultBusRule',
        EventPattern: { source: ['braze.currents'] },
        Targets: [{ Id: 'Target0', Arn: { 'Fn::GetAtt': ['Consumer', 'Arn'] } }],
      },
    },
  },
};

function entry(eventType: string, detail: Record<string, unknown>): PutEventsRequestEntry {
  return {
    Source: 'braze.currents',
    DetailType: eventType,
    Detail: JSON.stringify(detail),
    EventBusName: 'test-bus',
  };
}

describe('routing the rules of a template through the stand-ins', () => {
  let dataDir: string;
  let standIns: StandIns;
  let eventBridge: EventBridgeClient;
  let s3: S3Client;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'routing-'));
    standIns = await startStandIns({
      dataDir,
      template,
      eventBridge: { recordBusEvents: true },
    });
    eventBridge = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.eventBridge,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: standIns.endpoints.s3,
      credentials: LOCAL_CREDENTIALS,
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
  });

  afterEach(async () => {
    eventBridge.destroy();
    s3.destroy();
    await standIns.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const archivedObjects = async (prefix: string) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'test-archive', Prefix: prefix }));
    return Promise.all(
      (listed.Contents ?? []).map(async ({ Key = '' }) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: 'test-archive', Key }));
        const body = gunzipSync(Buffer.from((await object.Body?.transformToByteArray()) ?? []));
        return { key: Key, text: body.toString('utf8') };
      }),
    );
  };

  it('archives every event through Firehose: gzip, one detail per line, partitioned by event type and hour', async () => {
    const emails = [
      { event_type: 'users.messages.email.Send', id: 'e-1' },
      { event_type: 'users.messages.email.Send', id: 'e-2' },
    ];
    const purchase = { event_type: 'users.behaviors.Purchase', id: 'p-1' };

    await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          ...emails.map((detail) => entry(detail.event_type, detail)),
          entry(purchase.event_type, purchase),
        ],
      }),
    );
    await standIns.settle();

    const objects = await archivedObjects('events/');
    const byType = Object.fromEntries(
      objects.map(({ key, text }) => [
        /event_type=([^/]+)\//.exec(key)?.[1],
        { key, lines: text.split('\n') },
      ]),
    );
    expect(objects).toHaveLength(2);
    expect(byType['users.messages.email.Send']?.key).toMatch(
      /^events\/event_type=users\.messages\.email\.Send\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/Stream-1-.+\.gz$/,
    );
    expect(byType['users.messages.email.Send']?.lines).toEqual([...emails.map((e) => JSON.stringify(e)), '']);
    expect(byType['users.behaviors.Purchase']?.lines).toEqual([JSON.stringify(purchase), '']);
  });

  it('puts records it cannot partition under the error output prefix, raw data kept', async () => {
    await eventBridge.send(new PutEventsCommand({ Entries: [entry('no.type', { id: 'x-1' })] }));
    await standIns.settle();

    const errors = await archivedObjects('archive-errors/processing-failed/');
    const record = JSON.parse(errors[0]?.text.trim() ?? '{}') as { errorCode: string; rawData: string };
    expect(errors).toHaveLength(1);
    expect(record.errorCode).toBe('DynamicPartitioning.MetadataExtractionFailed');
    expect(Buffer.from(record.rawData, 'base64').toString('utf8')).toBe('{"id":"x-1"}');
    expect(await archivedObjects('events/')).toEqual([]);
  });

  it('delivers matching events to an SQS target (the queue named after its logical id) with InputPath applied', async () => {
    const email = { event_type: 'users.messages.email.Send', id: 'e-1' };

    await eventBridge.send(
      new PutEventsCommand({
        Entries: [entry(email.event_type, email), entry('users.behaviors.Purchase', { id: 'p' })],
      }),
    );
    await standIns.settle();

    expect(standIns.sqs?.peekBodies('EmailQueue')).toEqual([JSON.stringify(email)]);
    expect(standIns.queueUrls.EmailQueue).toMatch(/\/000000000000\/EmailQueue$/);
  });

  it('retries an SQS target while SQS refuses sends, and delivers once it accepts them', async () => {
    const email = { event_type: 'users.messages.email.Send', id: 'e-retry' };
    const sqsStandIn = standIns.sqs;
    if (!sqsStandIn) throw new Error('the SQS stand-in must run');
    sqsStandIn.failSends = true;

    await eventBridge.send(new PutEventsCommand({ Entries: [entry(email.event_type, email)] }));
    await until(() => sqsStandIn.sendsRefused >= 2, 'the stand-in to retry a refused send');
    sqsStandIn.failSends = false;
    await standIns.settle();

    expect(sqsStandIn.peekBodies('EmailQueue')).toEqual([JSON.stringify(email)]);
    expect(standIns.eventBridge?.stats.deliveriesFailedByRule).toEqual({});
  });

  it("gives up on a failing SQS target at stop and sends the input to the target's dead-letter queue", async () => {
    const email = { event_type: 'users.messages.email.Send', id: 'e-dlq' };
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.sqs,
      credentials: LOCAL_CREDENTIALS,
    });
    await sqs.send(new DeleteQueueCommand({ QueueUrl: standIns.queueUrls.EmailQueue }));
    sqs.destroy();

    await eventBridge.send(new PutEventsCommand({ Entries: [entry(email.event_type, email)] }));
    await standIns.stop();

    expect(standIns.sqs?.peekBodies('EmailDlq')).toEqual([JSON.stringify(email)]);
    expect(standIns.eventBridge?.stats.deliveriesFailedByRule).toEqual({ EmailRule: 1 });
    expect(standIns.eventBridge?.deliveries[0]?.error).toMatch(/sent to dead-letter queue EmailDlq/);
  });

  it('records deliveries to Lambda targets with the input transformer applied, in memory and as NDJSON', async () => {
    await eventBridge.send(
      new PutEventsCommand({ Entries: [entry('users.behaviors.Purchase', { event_type: 'x', id: 'p-9' })] }),
    );
    await standIns.stop();

    const deliveries = readFileSync(join(dataDir, 'deliveries.ndjson'), 'utf8').trim().split('\n');
    expect(standIns.eventBridge?.deliveries).toHaveLength(1);
    expect(standIns.eventBridge?.deliveries[0]).toMatchObject({
      ruleName: 'PurchaseRule',
      targetKind: 'lambda',
      targetLogicalId: 'Consumer',
      input: '{"purchase":"p-9","rule":"PurchaseRule"}',
    });
    expect(deliveries.map((line) => JSON.parse(line).ruleName)).toEqual(['PurchaseRule']);
  });

  it('applies only the rules of the bus the event was put on, and counts matches per rule', async () => {
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          entry('users.messages.email.Send', { event_type: 'users.messages.email.Send', id: 'e' }),
          entry('users.behaviors.Purchase', { event_type: 'users.behaviors.Purchase', id: 'p' }),
          entry('users.behaviors.Install', { event_type: 'users.behaviors.Install', id: 'i' }),
        ],
      }),
    );

    expect(standIns.eventBridge?.stats.matchedByRule).toEqual({
      ArchiveRule: 3,
      EmailRule: 1,
      PurchaseRule: 1,
    });
  });

  it('appends every bus event to bus.ndjson when asked to', async () => {
    await eventBridge.send(
      new PutEventsCommand({ Entries: [entry('a.b', { id: '1' }), entry('a.c', { id: '2' })] }),
    );
    await standIns.stop();

    const lines = readFileSync(join(dataDir, 'bus.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line)['detail-type'])).toEqual(['a.b', 'a.c']);
  });

  it('keeps archive records while S3 is unavailable and delivers them once it is back', async () => {
    standIns.proxies.s3?.fail('unavailable');
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [entry('users.behaviors.Purchase', { event_type: 'users.behaviors.Purchase', id: 'late' })],
      }),
    );
    await standIns.settle();
    const stream = standIns.eventBridge?.firehoseStreams.get('Stream');
    const pendingDuringOutage = stream?.pendingRecords;

    standIns.proxies.s3?.heal();
    await standIns.settle();

    expect(pendingDuringOutage).toBe(1);
    expect(stream?.stats.deliveryErrors).toBeGreaterThan(0);
    expect((await archivedObjects('events/')).map(({ text }) => text)).toEqual([
      `${JSON.stringify({ event_type: 'users.behaviors.Purchase', id: 'late' })}\n`,
    ]);
  });

  it('lists the buses and the rules of a bus as the template defines them', async () => {
    const buses = await eventBridge.send(new ListEventBusesCommand({}));
    const rules = await eventBridge.send(new ListRulesCommand({ EventBusName: 'test-bus' }));

    expect(buses.EventBuses?.map((bus) => bus.Name).sort()).toEqual(['default', 'test-bus']);
    expect(rules.Rules?.map((rule) => rule.Name)).toEqual(['ArchiveRule', 'EmailRule', 'PurchaseRule']);
    expect(JSON.parse(rules.Rules?.[1]?.EventPattern ?? '{}')).toEqual({
      'detail-type': [{ prefix: 'users.messages.email.' }],
    });
  });

  it('warns at stop about archive records S3 never took', async () => {
    standIns.proxies.s3?.fail('unavailable');
    await eventBridge.send(
      new PutEventsCommand({ Entries: [entry('a.b', { event_type: 'a.b', id: 'stuck' })] }),
    );

    await standIns.eventBridge?.stop();

    expect(standIns.eventBridge?.warnings).toEqual([expect.stringMatching(/Stream: 1 records not written/)]);
  });

  it('lets a test wait for events with waitFor and observe them with onEvent', async () => {
    const seen: string[] = [];
    standIns.eventBridge?.onEvent((event) => seen.push(event['detail-type']));

    await eventBridge.send(new PutEventsCommand({ Entries: [entry('a.b', { id: '1' })] }));
    await standIns.eventBridge?.waitFor(() => seen.length === 1, 5_000, 'one event');

    expect(seen).toEqual(['a.b']);
  });
});

describe('SQS target retries (EventBridge stand-in with a queue sink of its own)', () => {
  it("stops retrying after targetRetryWindowMs and sends to the target's dead-letter queue", async () => {
    const attempts: string[] = [];
    const deadLettered: string[] = [];
    const queueSink = {
      async sendMessage(queueName: string, body: string) {
        attempts.push(queueName);
        if (queueName === 'EmailQueue') throw new Error('queue unavailable');
        deadLettered.push(body);
      },
    };
    const standIn = new EventBridgeStandIn({
      routes: loadRoutes(template),
      queueSink,
      // Long enough that a stalled event loop cannot end the window before the second attempt.
      targetRetryWindowMs: 1_000,
    });
    const { url } = await standIn.start();
    const client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: url,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      await client.send(
        new PutEventsCommand({ Entries: [entry('users.messages.email.Click', { id: 'e-window' })] }),
      );
      await standIn.settle();

      expect(attempts.filter((name) => name === 'EmailQueue').length).toBeGreaterThan(1);
      expect(attempts.at(-1)).toBe('EmailDlq');
      expect(deadLettered).toEqual(['{"id":"e-window"}']);
      expect(standIn.stats.deliveriesFailedByRule).toEqual({ EmailRule: 1 });
    } finally {
      client.destroy();
      await standIn.stop();
    }
  });
});
