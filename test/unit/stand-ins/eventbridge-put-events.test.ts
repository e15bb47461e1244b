import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUT_EVENTS_LIMITS } from '#lambdas/shared/contract';
import { EventBridgeStandIn } from '#local/stand-ins/eventbridge/eventbridge-stand-in';
import { entrySize } from '#local/stand-ins/eventbridge/put-events-validation';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A Detail object nested `levels` deep, the outer object included: `{"a":{"a":…{}}}`. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

function entry(overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    Source: 'braze.currents',
    DetailType: 'users.messages.email.Send',
    Detail: '{"id":"e-1","event_type":"users.messages.email.Send"}',
    EventBusName: 'currents',
    ...overrides,
  };
}

describe('entrySize', () => {
  it('counts Time as 14 bytes and the UTF-8 bytes of Source, DetailType, Detail and Resources', () => {
    const size = entrySize({
      Source: 'ab',
      DetailType: 'é',
      Detail: '{}',
      Resources: ['r1', 'r22'],
      Time: 1_700_000_000,
    });

    expect(size).toBe(14 + 2 + 2 + 2 + 2 + 3);
  });
});

describe('EventBridge stand-in PutEvents with a real SDK v3 client', () => {
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;

  beforeEach(async () => {
    standIn = new EventBridgeStandIn({ busNames: ['currents'], seed: 7 });
    const { url } = await standIn.start();
    client = new EventBridgeClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
  });

  afterEach(async () => {
    client.destroy();
    await standIn.stop();
  });

  it('accepts valid entries and puts EventBridge events with the entry fields on the bus', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [entry({ Time: new Date('2026-11-23T10:20:30.456Z'), Resources: ['app_group=brand-a'] })],
      }),
    );

    expect(result.FailedEntryCount).toBe(0);
    expect(standIn.events).toEqual([
      {
        version: '0',
        id: result.Entries?.[0]?.EventId,
        'detail-type': 'users.messages.email.Send',
        source: 'braze.currents',
        account: '000000000000',
        time: '2026-11-23T10:20:30Z',
        region: 'us-east-1',
        resources: ['app_group=brand-a'],
        detail: { id: 'e-1', event_type: 'users.messages.email.Send' },
      },
    ]);
    expect(standIn.stats.accepted).toBe(1);
  });

  it('refuses a call with more than 10 entries as a whole (ValidationException)', async () => {
    const entries = Array.from({ length: PUT_EVENTS_LIMITS.maxEntriesPerRequest + 1 }, () => entry());

    const call = client.send(new PutEventsCommand({ Entries: entries }));

    await expect(call).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(standIn.events).toHaveLength(0);
  });

  it('refuses a call whose entries together exceed the request size limit', async () => {
    const half = Math.ceil(PUT_EVENTS_LIMITS.maxRequestBytes / 2);
    const large = entry({ Detail: JSON.stringify({ pad: 'x'.repeat(half) }) });

    const call = client.send(new PutEventsCommand({ Entries: [large, large] }));

    await expect(call).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });

  it('accepts a call right at the request size limit', async () => {
    const fixed = entrySize(entry({ Detail: '{"pad":""}' }));
    const pad = 'x'.repeat(PUT_EVENTS_LIMITS.maxRequestBytes - fixed);

    const result = await client.send(
      new PutEventsCommand({ Entries: [entry({ Detail: `{"pad":"${pad}"}` })] }),
    );

    expect(result.FailedEntryCount).toBe(0);
  });

  it('answers per-entry errors in order, with the service codes, and counts them', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: undefined }),
          entry({ Detail: '[1,2]' }),
          entry({ Detail: 'not json' }),
          entry({ Source: 'aws.s3' }),
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(result.Entries?.slice(1).map((item) => [item.ErrorCode, item.ErrorMessage])).toEqual([
      ['InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.'],
      ['InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'],
      ['InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.'],
      ['MalformedDetail', 'Detail is malformed.'],
      ['MalformedDetail', 'Detail is malformed.'],
      ['NotAuthorizedForSourceException', 'Not authorized for the source.'],
    ]);
    expect(standIn.stats.failedByCode).toEqual({
      InvalidArgument: 3,
      MalformedDetail: 2,
      NotAuthorizedForSourceException: 1,
    });
    expect(standIn.events).toHaveLength(1);
  });

  // Each limit as the EventBridge API reference states it (PutEvents, PutEventsRequestEntry).
  it.each([
    ['a DetailType of 128 characters', entry({ DetailType: 'd'.repeat(128) }), undefined],
    ['a DetailType of 129 characters', entry({ DetailType: 'd'.repeat(129) }), 'InvalidArgument'],
    ['a Detail nested 1000 levels', entry({ Detail: nested(1000) }), undefined],
    ['a Detail nested 1001 levels', entry({ Detail: nested(1001) }), 'MalformedDetail'],
    ['a Detail nested 1300 levels', entry({ Detail: nested(1300) }), 'MalformedDetail'],
    ['the largest long', entry({ Detail: '{"n":9223372036854775807}' }), undefined],
    ['the smallest long', entry({ Detail: '{"n":[-9223372036854775808]}' }), undefined],
    ['an integer over the largest long', entry({ Detail: '{"n":9223372036854775808}' }), 'MalformedDetail'],
    [
      'an integer under the smallest long',
      entry({ Detail: '{"n":-9223372036854775809}' }),
      'MalformedDetail',
    ],
    ['a large decimal (not an integer)', entry({ Detail: '{"n":9223372036854775808.5}' }), undefined],
    ['a large exponent (not an integer)', entry({ Detail: '{"n":1e30}' }), undefined],
    ['an integer-looking string', entry({ Detail: '{"n":"99999999999999999999"}' }), undefined],
    ['brackets inside strings do not nest', entry({ Detail: `{"s":"${'['.repeat(1500)}"}` }), undefined],
  ])('%s: %s', async (_, item, errorCode) => {
    const result = await client.send(new PutEventsCommand({ Entries: [item] }));

    expect(result.Entries?.[0]?.ErrorCode).toBe(errorCode);
    expect(result.FailedEntryCount).toBe(errorCode ? 1 : 0);
    expect(standIn.events).toHaveLength(errorCode ? 0 : 1);
  });

  it.each([
    [
      'an EventBusName of 1601 characters',
      entry({ EventBusName: 'b'.repeat(1601) }),
      "at 'entries.1.member.eventBusName' failed to satisfy constraint: Member must have length less than or equal to 1600",
    ],
    [
      'an EventBusName outside the pattern',
      entry({ EventBusName: 'my bus' }),
      "Value 'my bus' at 'entries.1.member.eventBusName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[\\.\\-_A-Za-z0-9]+",
    ],
    [
      'a Resources member of 2049 characters',
      entry({ Resources: ['r'.repeat(2049)] }),
      "at 'entries.1.member.resources' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048]",
    ],
    [
      'a TraceHeader of 501 characters',
      entry({ TraceHeader: 't'.repeat(501) }),
      "at 'entries.1.member.traceHeader' failed to satisfy constraint: Member must have length less than or equal to 500",
    ],
  ])('refuses the whole call for %s (ValidationException)', async (_, item, message) => {
    const call = client.send(new PutEventsCommand({ Entries: [entry(), item] }));

    await expect(call).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(call).rejects.toThrow(message.replace("'entries.1.", "'entries.2."));
    expect(standIn.events).toHaveLength(0);
  });

  it('counts every constraint a call breaks in one message', async () => {
    const call = client.send(
      new PutEventsCommand({
        Entries: [entry({ EventBusName: 'a b' }), entry({ TraceHeader: 't'.repeat(501) })],
      }),
    );

    await expect(call).rejects.toThrow(
      /^2 validation errors detected: Value 'a b' at 'entries\.1\.member\.eventBusName'.*; Value 't+' at 'entries\.2\.member\.traceHeader'/,
    );
  });

  it('accepts resources that are not ARNs, within their length', async () => {
    const result = await client.send(
      new PutEventsCommand({ Entries: [entry({ Resources: ['app_group=brand-a', 'r'.repeat(2048)] })] }),
    );

    expect(result.FailedEntryCount).toBe(0);
  });

  it('accepts an entry for an unknown bus and drops the event, as the service does', async () => {
    const result = await client.send(
      new PutEventsCommand({ Entries: [entry({ EventBusName: 'no-such-bus' })] }),
    );

    expect(result.FailedEntryCount).toBe(0);
    expect(standIn.events).toHaveLength(0);
    expect(standIn.stats.droppedUnknownBus).toBe(1);
  });

  it('takes a bus ARN as the bus name', async () => {
    const arn = 'arn:aws:events:us-east-1:000000000000:event-bus/currents';

    await client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: arn })] }));

    expect(standIn.events).toHaveLength(1);
  });

  it('answers TestEventPattern with the matcher, and InvalidEventPatternException for a bad pattern', async () => {
    const event = JSON.stringify({
      id: '1',
      account: '000000000000',
      source: 'braze.currents',
      time: '2026-11-23T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      'detail-type': 'users.messages.email.Send',
      detail: { event_type: 'users.messages.email.Send' },
    });

    const matching = await client.send(
      new TestEventPatternCommand({
        Event: event,
        EventPattern: '{"detail-type":[{"prefix":"users.messages."}]}',
      }),
    );
    const notMatching = await client.send(
      new TestEventPatternCommand({ Event: event, EventPattern: '{"source":["other"]}' }),
    );
    const invalid = client.send(
      new TestEventPatternCommand({ Event: event, EventPattern: '{"source":"x"}' }),
    );
    const badEvent = client.send(
      new TestEventPatternCommand({ Event: '{"source":"x"}', EventPattern: '{}' }),
    );

    expect(matching.Result).toBe(true);
    expect(notMatching.Result).toBe(false);
    await expect(invalid).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: /),
    });
    await expect(badEvent).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter Event is not valid.',
    });
  });
});

describe('EventBridge stand-in fault injection', () => {
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;

  beforeEach(async () => {
    standIn = new EventBridgeStandIn({ busNames: ['currents'], seed: 42 });
    const { url } = await standIn.start();
    client = new EventBridgeClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
  });

  afterEach(async () => {
    client.destroy();
    await standIn.stop();
  });

  const tenEntries = () => Array.from({ length: 10 }, (_, index) => entry({ Detail: `{"id":"${index}"}` }));

  it('throttles every entry with ThrottlingException when the share is 1', async () => {
    standIn.faults.throttleEntries(1);

    const result = await client.send(new PutEventsCommand({ Entries: tenEntries() }));

    expect(result.FailedEntryCount).toBe(10);
    expect(new Set(result.Entries?.map((item) => item.ErrorCode))).toEqual(new Set(['ThrottlingException']));
    expect(standIn.events).toHaveLength(0);
  });

  it('throttles a share of entries, repeatably for the same seed', async () => {
    const throttledPositions = async (seed: number) => {
      standIn.faults.seed(seed);
      standIn.faults.throttleEntries(0.5);
      const result = await client.send(new PutEventsCommand({ Entries: tenEntries() }));
      return result.Entries?.map((item) => item.ErrorCode === 'ThrottlingException');
    };

    const first = await throttledPositions(3);
    const second = await throttledPositions(3);

    expect(first).toEqual(second);
    expect(first?.some(Boolean)).toBe(true);
    expect(first?.every(Boolean)).toBe(false);
  });

  it('fails the next N calls with HTTP 500 InternalException, then recovers', async () => {
    standIn.faults.failCalls({ kind: 'internal', count: 2 });

    const outcomes: string[] = [];
    for (let call = 0; call < 3; call += 1) {
      try {
        await client.send(new PutEventsCommand({ Entries: [entry()] }));
        outcomes.push('ok');
      } catch (error) {
        const failure = error as { name: string; $metadata: { httpStatusCode?: number } };
        outcomes.push(`${failure.$metadata.httpStatusCode} ${failure.name}`);
      }
    }

    expect(outcomes).toEqual(['500 InternalException', '500 InternalException', 'ok']);
    expect(standIn.stats.callsFailedByCode).toEqual({ InternalException: 2 });
  });

  it('fails whole calls with HTTP 400 ThrottlingException', async () => {
    standIn.faults.failCalls({ kind: 'throttling', share: 1 });

    const call = client.send(new PutEventsCommand({ Entries: [entry()] }));

    await expect(call).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('lets an SDK client with retries get through a failing call', async () => {
    const retrying = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: standIn.url,
      credentials,
      maxAttempts: 3,
    });
    standIn.faults.failCalls({ kind: 'internal', count: 1 });

    const result = await retrying.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(result.FailedEntryCount).toBe(0);
    expect(standIn.stats.putEventsCalls).toBe(2);
    retrying.destroy();
  });

  it('stops injecting after clear()', async () => {
    standIn.faults.throttleEntries(1);
    standIn.faults.failCalls({ share: 1 });

    standIn.faults.clear();
    const result = await client.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(result.FailedEntryCount).toBe(0);
    expect(standIn.faults.active).toBe(false);
  });
});

describe('EventBridge stand-in memory bound', () => {
  it('keeps at most maxKeptInMemory events, dropping the oldest', async () => {
    const standIn = new EventBridgeStandIn({ busNames: ['currents'], maxKeptInMemory: 10 });
    const { url } = await standIn.start();
    const client = new EventBridgeClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
    try {
      for (let call = 0; call < 3; call += 1) {
        const entries = Array.from({ length: 5 }, (_, index) =>
          entry({ Detail: `{"n":${call * 5 + index}}` }),
        );
        await client.send(new PutEventsCommand({ Entries: entries }));
      }

      const kept = standIn.events.map((event) => (event.detail as { n: number }).n);
      expect(kept.length).toBeLessThanOrEqual(10);
      expect(kept.at(-1)).toBe(14);
      expect(standIn.stats.accepted).toBe(15);
    } finally {
      client.destroy();
      await standIn.stop();
    }
  });
});
