/**
 * Local mode behaves as deployed at the edges of issue #9, each through the whole local pipeline
 * (`startLocal`, as `npm start` runs it): what API Gateway does with repeated headers and with
 * bodies it base64-encodes, Lambda's invocation limit, each function's own environment, PutEvents'
 * limits, and the event-pattern matcher on rules of the synthesized stack.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, ENV, S3_PREFIX } from '#lambdas/shared/contract';
import { EventFactory } from '#local/event-factory';
import { RECEIVER_FUNCTION_NAME, REDRIVE_FUNCTION_NAME } from '#local/runtime/index';
import { LOCAL_CREDENTIALS } from '#local/stand-ins/index';
import {
  busEvents,
  getObject,
  listKeys,
  post,
  startTestPipeline,
  type TestPipeline,
  until,
} from './pipeline';

/** Rules the stack gets for the matcher cases, each its own queue; patterns as text, as CloudFormation takes them. */
const RULES = {
  Cidr: '{"detail":{"properties":{"ip":[{"cidr":"10.0.0.5/24"}]}}}',
  BigInteger: '{"detail":{"properties":{"account_number":[1234567890123456789]}}}',
  MixedArray: '{"detail":{"properties":{"mixed":[1],"mixed.b":[2]}}}',
} as const;

/** Sends a POST with the header lines as given (fetch would merge repeated headers itself). */
function rawPost(url: string, headerLines: string[], body: string): Promise<number> {
  const { port, hostname, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const head = [
        `POST ${pathname} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        ...headerLines,
      ];
      socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    });
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('local mode behaves as deployed (issue #9), through the local pipeline', () => {
  let test: TestPipeline;
  const queueNames: Record<string, string> = {};
  const factory = new EventFactory({ seed: 9 });

  beforeAll(async () => {
    test = await startTestPipeline({
      configure: (stack) => {
        for (const [name, pattern] of Object.entries(RULES)) {
          const queue = new sqs.Queue(stack, `${name}Queue`);
          const rule = new events.CfnRule(stack, `${name}Rule`, {
            eventBusName: stack.routing.bus.eventBusName,
            eventPattern: {},
            targets: [{ id: 'queue', arn: queue.queueArn }],
          });
          // Text, as CloudFormation also takes it: a CDK object would round 1234567890123456789.
          rule.addPropertyOverride('EventPattern', pattern);
          queueNames[name] = stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue);
        }
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  const onBus = (id: string) =>
    busEvents(test.pipeline).filter((event) => (event.detail as { id?: unknown }).id === id);

  /**
   * The copies of an event on the bus, once there is one. Publishing is at least once, as in AWS:
   * a loaded machine can make the receiver spill the event (the redrive publishes it later) or
   * retry a PutEvents call whose answer timed out (its entries reach the bus twice).
   */
  const published = async (id: string) => {
    await until(() => onBus(id).length >= 1, `${id} on the bus`);
    return onBus(id);
  };

  /** Every quarantined item (one object per batch and reason holds its `items`). */
  async function quarantined(): Promise<Array<Record<string, unknown>>> {
    const bucket = test.pipeline.names.archiveBucket;
    const keys = await listKeys(test.s3, bucket, S3_PREFIX.quarantine);
    const batches = await Promise.all(
      keys.map(
        async (key) =>
          JSON.parse((await getObject(test.s3, bucket, key)).toString('utf8')) as {
            items: Array<Record<string, unknown>>;
          },
      ),
    );
    return batches.flatMap((batch) => batch.items);
  }

  describe('repeated headers, joined as API Gateway joins them', () => {
    it.each([
      ['the valid token first', ['Authorization: Bearer e2e-token', 'Authorization: Bearer other']],
      ['the valid token last', ['Authorization: Bearer other', 'Authorization: Bearer e2e-token']],
    ])('two Authorization headers, %s: 401 and nothing published', async (_, headers) => {
      // Prepare
      const event = factory.make('users.behaviors.CustomEvent');

      // Act
      const status = await rawPost(test.pipeline.url, headers, JSON.stringify({ events: [event] }));

      // Assess
      expect(status).toBe(401);
      expect(onBus(event.id)).toHaveLength(0);
    });
  });

  describe('bodies API Gateway passes base64-encoded', () => {
    it.each(['application/x-www-form-urlencoded', 'application/vnd.braze+json', 'text/plain; charset=utf-8'])(
      'a batch sent as %s is published unaltered',
      async (contentType) => {
        // Prepare
        const event = factory.make('users.behaviors.CustomEvent');
        const text = JSON.stringify({ events: [{ ...event, properties: { name: 'Zoë 🚀 \u00e9' } }] });

        // Act
        const response = await post(test.pipeline.url, text, { 'content-type': contentType });

        // Assess
        expect(response.status).toBe(200);
        const copies = await published(event.id);
        expect(copies.map((e) => e.detail)).toEqual(
          copies.map(() => ({ ...event, properties: { name: 'Zoë 🚀 \u00e9' } })),
        );
      },
    );

    it('a JSON body that is not valid UTF-8 is not altered: 400, kept byte for byte, nothing published', async () => {
      // Prepare: Latin-1 "é" (0xe9) where UTF-8 is expected; a lossy decode would publish U+FFFD.
      const event = factory.make('users.behaviors.CustomEvent');
      const text = JSON.stringify({ events: [{ ...event, properties: { name: 'caf#' } }] });
      const body = Buffer.from(text, 'latin1');
      body[body.indexOf('#'.charCodeAt(0))] = 0xe9;

      // Act
      const response = await post(test.pipeline.url, body);

      // Assess
      expect(response.status).toBe(400);
      expect(onBus(event.id)).toHaveLength(0);
      const kept = (await quarantined()).map((record) => record.bodyBase64);
      expect(kept).toContain(body.toString('base64'));
    });
  });

  describe("Lambda's 6 MB invocation limit and API Gateway's 10 MB limit", () => {
    it('a body whose event is over 6,291,456 bytes gets 500 and the function is not invoked', async () => {
      // Prepare: 7 MB, under API Gateway's 10 MB, so only the invocation is refused.
      const before = test.pipeline.counts();
      const body = JSON.stringify({ events: [{ padding: 'x'.repeat(7 * 1024 * 1024) }] });

      // Act
      const response = await post(test.pipeline.url, body);

      // Assess
      expect(response.status).toBe(500);
      expect(response.json).toEqual({ message: 'Internal Server Error' });
      const after = test.pipeline.counts();
      expect(after.received).toBe(before.received);
      expect(after.quarantined).toBe(before.quarantined);
    });

    it('a body under 6 MB whose escaped event is over it is refused too', async () => {
      // Prepare: 2.5 M quotes are 5 MB of `\"` in the body and 10 MB of `\\\"` in the event JSON.
      const body = JSON.stringify({ events: [{ padding: '"'.repeat(2.5 * 1024 * 1024) }] });

      // Act
      const response = await post(test.pipeline.url, body);

      // Assess
      expect(Buffer.byteLength(body)).toBeLessThan(6_291_456);
      expect(response.status).toBe(500);
    });

    it('a body over 10 MB gets 413 from API Gateway', async () => {
      const response = await post(test.pipeline.url, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));

      expect(response.status).toBe(413);
    });
  });

  describe('each function its own environment', () => {
    it("loads the redrive with its own publish budget, name, timeout and memory, not the receiver's", () => {
      // Act
      const { receiver, redrive } = test.pipeline.functions;

      // Assess
      expect(receiver).toMatchObject({ functionName: RECEIVER_FUNCTION_NAME, timeoutSeconds: 20 });
      expect(redrive).toMatchObject({ functionName: REDRIVE_FUNCTION_NAME, timeoutSeconds: 60 });
      expect(receiver.environment[ENV.publishBudgetMs]).toBe(String(DEFAULTS.publishBudgetMs));
      expect(redrive.environment[ENV.publishBudgetMs]).toBe('50000');
      expect(redrive.environment.AWS_LAMBDA_FUNCTION_NAME).toBe(REDRIVE_FUNCTION_NAME);
      expect(receiver.environment.AWS_LAMBDA_FUNCTION_NAME).toBe(RECEIVER_FUNCTION_NAME);
      expect(redrive.environment.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe(String(redrive.memorySize));
      expect(redrive.environment[ENV.spilloverQueueUrl]).toBeUndefined();
      expect(redrive.environment[ENV.tokens]).toBeUndefined();
      expect(receiver.environment[ENV.tokens]).toBe('e2e-token');
    });
  });

  describe('PutEvents limits on the local bus', () => {
    const entry = (overrides: Partial<PutEventsRequestEntry>): PutEventsRequestEntry => ({
      Source: 'braze.currents',
      DetailType: 'users.behaviors.CustomEvent',
      Detail: '{"id":"x"}',
      EventBusName: test.pipeline.names.eventBus,
      ...overrides,
    });

    it('refuses a 129-character DetailType and a Detail nested 1,300 levels, sent with the SDK', async () => {
      // Prepare
      const client = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: test.pipeline.endpoints.eventBridge,
        credentials: LOCAL_CREDENTIALS,
        maxAttempts: 1,
      });

      // Act
      let result: PutEventsCommandOutput;
      try {
        result = await client.send(
          new PutEventsCommand({
            Entries: [
              entry({ DetailType: 'd'.repeat(129) }),
              entry({ Detail: `${'{"a":'.repeat(1299)}{}${'}'.repeat(1299)}` }),
              entry({}),
            ],
          }),
        );
      } finally {
        client.destroy();
      }

      // Assess
      expect(result.Entries?.map((item) => item.ErrorCode)).toEqual([
        'InvalidArgument',
        'MalformedDetail',
        undefined,
      ]);
    });

    it('a Braze event nested 1,300 levels deep is not published by the receiver, and is kept', async () => {
      // Prepare
      const deep = factory.make('users.behaviors.CustomEvent');
      const fine = factory.make('users.behaviors.CustomEvent');
      const nested = `${'{"a":'.repeat(1300)}1${'}'.repeat(1300)}`;
      const deepText = JSON.stringify({ ...deep, properties: '#' }).replace('"#"', nested);
      const body = `{"events":[${deepText},${JSON.stringify(fine)}]}`;

      // Act
      const response = await post(test.pipeline.url, body);

      // Assess
      expect(response.status).toBeLessThan(500);
      await published(fine.id);
      expect(onBus(deep.id)).toHaveLength(0);
      const kept = JSON.stringify(await quarantined());
      expect(kept).toContain(deep.id);
    });
  });

  describe('the matcher on rules of the stack', () => {
    /** Publishes one event per `properties` text, returning their ids in order. */
    async function publish(propertiesTexts: string[]): Promise<string[]> {
      const batch = propertiesTexts.map((properties) => {
        const event = factory.make('users.behaviors.CustomEvent');
        return {
          id: event.id,
          text: JSON.stringify({ ...event, properties: '#' }).replace('"#"', properties),
        };
      });
      const response = await post(test.pipeline.url, `{"events":[${batch.map((e) => e.text).join(',')}]}`);
      expect(response.status).toBe(200);
      // Published at least once (see `published`): what the rules deliver is compared as sets.
      for (const { id } of batch) await published(id);
      await test.pipeline.settle();
      return batch.map((e) => e.id);
    }

    function deliveredIds(rule: keyof typeof RULES): string[] {
      const sqsStandIn = test.pipeline.standIns.sqs;
      if (!sqsStandIn) throw new Error('the SQS stand-in is not running');
      return sqsStandIn
        .peekBodies(queueNames[rule] as string)
        .map((body) => (JSON.parse(body) as { detail: { id: string } }).detail.id);
    }

    it('a cidr written with host bits covers the whole block', async () => {
      // Act
      const [inside, outside] = await publish(['{"ip":"10.0.0.1"}', '{"ip":"10.0.1.1"}']);

      // Assess
      await until(() => deliveredIds('Cidr').includes(inside as string), 'the cidr delivery');
      expect(new Set(deliveredIds('Cidr'))).toEqual(new Set([inside]));
      expect(deliveredIds('Cidr')).not.toContain(outside);
    });

    it('integers beyond 2^53 are compared exactly, and delivered as written', async () => {
      // Act
      const [same, next] = await publish([
        '{"account_number":1234567890123456789}',
        '{"account_number":1234567890123456788}',
      ]);

      // Assess
      await until(() => deliveredIds('BigInteger').includes(same as string), 'the big-integer delivery');
      expect(new Set(deliveredIds('BigInteger'))).toEqual(new Set([same]));
      expect(deliveredIds('BigInteger')).not.toContain(next);
      const sqsStandIn = test.pipeline.standIns.sqs;
      expect(sqsStandIn?.peekBodies(queueNames.BigInteger as string)[0]).toContain(
        '"account_number":1234567890123456789}',
      );
      await until(
        async () => (await readFile(test.pipeline.locations.busLog, 'utf8')).includes(`"id":"${next}"`),
        'the bus log line',
      );
      const busLog = await readFile(test.pipeline.locations.busLog, 'utf8');
      expect(busLog).toContain('"account_number":1234567890123456788}');
    });

    it('arrays mixing values and objects match as event-ruler matches them', async () => {
      // Act
      const [mixed, other] = await publish(['{"mixed":[1,{"b":2}]}', '{"mixed":[3,{"b":2}]}']);

      // Assess
      await until(() => deliveredIds('MixedArray').includes(mixed as string), 'the mixed-array delivery');
      expect(new Set(deliveredIds('MixedArray'))).toEqual(new Set([mixed]));
      expect(deliveredIds('MixedArray')).not.toContain(other);
    });
  });
});
