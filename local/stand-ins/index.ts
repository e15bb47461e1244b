/**
 * Local AWS stand-ins for local mode and the end-to-end tests: EventBridge (own code), SQS (own
 * code), S3 (own code, objects as plain files), each on an ephemeral loopback port, each optionally behind a
 * {@link FaultProxy}, wired together the way the synthesized stack wires the real services.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  EventBridgeStandIn,
  type EventBridgeStandInOptions,
  type QueueSink,
} from './eventbridge/eventbridge-stand-in';
import type { ObjectStore } from './eventbridge/firehose';
import { type CloudFormationTemplate, type LoadedRoutes, loadRoutes } from './eventbridge/routes';
import { FaultProxy } from './fault-proxy';
import { S3_CLIENT_SETTINGS_FOR_STAND_IN, S3StandIn } from './s3-stand-in';
import { SqsStandIn } from './sqs/sqs-stand-in';

export { AwsJsonServer, AwsServiceError } from './aws-json-server';
export {
  type Delivery,
  EventBridgeStandIn,
  type EventBridgeStandInOptions,
  type EventBridgeStats,
  type QueueSink,
} from './eventbridge/eventbridge-stand-in';
export { type CallFailureKind, type CallFailurePlan, EventBridgeFaults } from './eventbridge/faults';
export { FirehoseDeliveryStream, type FirehoseStats, type ObjectStore } from './eventbridge/firehose';
export { entrySize } from './eventbridge/put-events-validation';
export {
  type CloudFormationTemplate,
  type FirehoseDestination,
  type LoadedRoutes,
  type LocalQueueDefinition,
  loadRoutes,
  type Route,
  type RouteTarget,
} from './eventbridge/routes';
export { type FaultMode, FaultProxy, type FaultProxyStats } from './fault-proxy';
export { componentsToKey, keyToComponents } from './s3/key-path';
export {
  objectFilePath,
  S3_CLIENT_SETTINGS_FOR_STAND_IN,
  S3StandIn,
  type S3StandInOptions,
} from './s3-stand-in';
export { SQS_MAX_MESSAGE_BYTES, SqsStandIn, type SqsStandInOptions } from './sqs/sqs-stand-in';

/** Credentials the stand-ins' own clients sign with; the stand-ins accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface StartStandInsOptions {
  /** Root of everything kept on disk: `s3/`, `sqs/`, `bus.ndjson`, `deliveries.ndjson`. */
  dataDir: string;
  /** The synthesized stack template; its buses, rules, buckets and queues are set up. */
  template?: CloudFormationTemplate;
  region?: string;
  account?: string;
  /** Buckets to create besides the template's. */
  buckets?: readonly string[];
  /** Queues to create besides the template's. */
  queues?: ReadonlyArray<{ name: string; attributes?: Record<string, string> }>;
  /**
   * Endpoints to use instead of starting a stand-in (e.g. `AWS_ENDPOINT_URL_S3` was set).
   * Rule targets then reach that endpoint.
   */
  endpoints?: { eventBridge?: string; s3?: string; sqs?: string };
  /** Put a FaultProxy in front of each started stand-in (default true); `endpoints` then point at the proxies. */
  faultProxies?: boolean;
  /** Options passed to the EventBridge stand-in (fault seed, `recordBusEvents`, `unknownBus`, ...). */
  eventBridge?: Omit<
    EventBridgeStandInOptions,
    'routes' | 'objectStore' | 'queueSink' | 'region' | 'account'
  >;
}

export interface StandIns {
  /** What SDK clients should use: the proxy in front of a stand-in, or the given endpoint. */
  endpoints: { eventBridge: string; s3: string; sqs: string };
  /** `AWS_ENDPOINT_URL_EVENTBRIDGE`, `_S3`, `_SQS` and `AWS_REGION` for the handlers' environment. */
  env: Record<string, string>;
  /** Started stand-ins; undefined for a service whose endpoint was given. */
  eventBridge: EventBridgeStandIn | undefined;
  s3: S3StandIn | undefined;
  sqs: SqsStandIn | undefined;
  proxies: { eventBridge?: FaultProxy; s3?: FaultProxy; sqs?: FaultProxy };
  routes: LoadedRoutes;
  /** Bucket logical id → bucket name (template buckets). */
  buckets: Record<string, string>;
  /** Queue logical id → queue URL (template queues), when the SQS stand-in runs. */
  queueUrls: Record<string, string>;
  /** Waits for in-flight rule deliveries and writes Firehose buffers to S3. */
  settle(): Promise<void>;
  /** Heals every proxy, delivers what is buffered, then stops everything. */
  stop(): Promise<void>;
}

export async function startStandIns(options: StartStandInsOptions): Promise<StandIns> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const useProxies = options.faultProxies !== false;
  const routes = options.template
    ? loadRoutes(options.template)
    : { buses: {}, rules: [], buckets: {}, queues: [], warnings: [] };
  const stoppers: (() => Promise<void>)[] = [];
  const proxies: StandIns['proxies'] = {};

  const expose = async (name: keyof StandIns['proxies'], url: string): Promise<string> => {
    if (!useProxies) return url;
    const proxy = new FaultProxy(url);
    proxies[name] = proxy;
    stoppers.push(() => proxy.stop());
    return (await proxy.start()).url;
  };

  try {
    let s3: S3StandIn | undefined;
    let s3Endpoint = options.endpoints?.s3;
    if (!s3Endpoint) {
      s3 = new S3StandIn({
        dataDir: options.dataDir,
        buckets: [...new Set([...Object.values(routes.buckets), ...(options.buckets ?? [])])],
      });
      const started = await s3.start();
      const s3StandIn = s3;
      stoppers.push(() => s3StandIn.stop());
      s3Endpoint = await expose('s3', started.url);
    }

    let sqs: SqsStandIn | undefined;
    let sqsEndpoint = options.endpoints?.sqs;
    if (!sqsEndpoint) {
      sqs = new SqsStandIn({
        dataDir: options.dataDir,
        region,
        account,
        queues: [
          ...routes.queues.map(({ name, attributes }) => ({ name, attributes })),
          ...(options.queues ?? []),
        ],
      });
      const started = await sqs.start();
      const sqsStandIn = sqs;
      stoppers.push(() => sqsStandIn.stop());
      sqsEndpoint = await expose('sqs', started.url);
    }

    // A given endpoint may be a real account: then the default credential chain signs.
    const s3Client = new S3Client({
      region,
      endpoint: s3Endpoint,
      ...(s3 ? { credentials: LOCAL_CREDENTIALS } : {}),
      ...S3_CLIENT_SETTINGS_FOR_STAND_IN,
    });
    // One attempt per send: the EventBridge stand-in retries a failing target itself, as
    // EventBridge does; SDK retries underneath would hide (and multiply) those attempts.
    const sqsClient = new SQSClient({
      region,
      endpoint: sqsEndpoint,
      maxAttempts: 1,
      ...(sqs ? { credentials: LOCAL_CREDENTIALS } : {}),
    });
    stoppers.push(async () => {
      s3Client.destroy();
      sqsClient.destroy();
    });

    let eventBridge: EventBridgeStandIn | undefined;
    let eventBridgeEndpoint = options.endpoints?.eventBridge;
    if (!eventBridgeEndpoint) {
      eventBridge = new EventBridgeStandIn({
        ...options.eventBridge,
        dataDir: options.eventBridge?.dataDir ?? options.dataDir,
        region,
        account,
        routes,
        objectStore: s3ObjectStore(s3Client),
        queueSink: sqsQueueSink(sqsClient),
      });
      const started = await eventBridge.start();
      const eventBridgeStandIn = eventBridge;
      // Stopped first (its Firehose buffers still need S3), so pushed last.
      stoppers.push(() => eventBridgeStandIn.stop());
      eventBridgeEndpoint = await expose('eventBridge', started.url);
    }

    const endpoints = { eventBridge: eventBridgeEndpoint, s3: s3Endpoint, sqs: sqsEndpoint };
    const queueUrls = sqs
      ? Object.fromEntries(
          routes.queues.map((queue) => [queue.logicalId, `${endpoints.sqs}/${account}/${queue.name}`]),
        )
      : {};
    let stopped: Promise<void> | undefined;
    return {
      endpoints,
      env: {
        AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_REGION: region,
      },
      eventBridge,
      s3,
      sqs,
      proxies,
      routes,
      buckets: routes.buckets,
      queueUrls,
      settle: async () => {
        await eventBridge?.settle();
      },
      stop: () => {
        stopped ??= (async () => {
          for (const proxy of Object.values(proxies)) proxy.heal();
          await stopAll(stoppers);
        })();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll(stoppers);
    throw error;
  }
}

/** Stops in reverse start order, so what depends on a service stops before it. */
async function stopAll(stoppers: (() => Promise<void>)[]): Promise<void> {
  for (const stop of [...stoppers].reverse()) await stop();
}

export function s3ObjectStore(client: S3Client): ObjectStore {
  return {
    async putObject(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}

/** Sends to a queue by name, looking its URL up once (works against the stand-in and real SQS). */
export function sqsQueueSink(client: SQSClient): QueueSink {
  const urls = new Map<string, Promise<string>>();
  const urlOf = (queueName: string) => {
    let url = urls.get(queueName);
    if (!url) {
      url = client
        .send(new GetQueueUrlCommand({ QueueName: queueName }))
        .then((result) => result.QueueUrl ?? '')
        .catch((error: unknown) => {
          urls.delete(queueName);
          throw error;
        });
      urls.set(queueName, url);
    }
    return url;
  };
  return {
    async sendMessage(queueName, body) {
      await client.send(new SendMessageCommand({ QueueUrl: await urlOf(queueName), MessageBody: body }));
    },
  };
}
