/**
 * Local mode: the synthesized stack's receiver and redrive handlers, unchanged, behind a local
 * API Gateway, with their SDK clients pointed at local stand-ins through the standard
 * `AWS_ENDPOINT_URL_*` variables. The only difference from a deployment is the endpoints.
 */
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { ENV, METRIC, S3_PREFIX } from '../../lambdas/shared/contract';
import { buildApp } from '../../lib/app';
import type { CurrentsBridgeStack } from '../../lib/currents-bridge-stack';
import { type HttpApiHandler, type ReceiverServer, startReceiverServer } from '../server';
import { type CloudFormationTemplate, LOCAL_CREDENTIALS, type StandIns, startStandIns } from '../stand-ins';
import { lambdaEnvironments } from './environments';
import { lambdaContext } from './lambda-context';
import { MetricsTap } from './metrics-tap';
import { type RedriveLoop, startRedriveLoop } from './redrive-loop';
import { readPipelineFunctions, resolveEnvironment } from './template';
import { localTokens, parseTokenList } from './tokens';

export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = '.local-data';

export interface StartLocalOptions {
  /** HTTP port; default `PORT` or 3000; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Where data is kept between runs; default `CURRENTS_DATA_DIR` or `.local-data`. */
  dataDir?: string;
  /** Active bearer tokens; default `CURRENTS_TOKENS`, else the token kept in `<dataDir>/token`. */
  tokens?: readonly string[];
  /** Extra handler environment, applied last (e.g. `PUBLISH_BUDGET_MS`). */
  env?: Record<string, string>;
  /** Adds to the stack before synthesis, e.g. `stack.routing.addConsumer(...)`. */
  configure?: (stack: CurrentsBridgeStack) => void;
  /** CDK context on top of `cdk.json`'s. */
  context?: Record<string, unknown>;
  /** Powertools log level of the handlers; default `ERROR` (`--verbose`: `INFO`). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Also print the handlers' EMF metric lines. */
  echoMetrics?: boolean;
  /**
   * Visibility timeout of the spillover queue locally, so a message whose redrive failed comes
   * back in seconds rather than the deployed six minutes; default 30.
   */
  spilloverVisibilityTimeoutSeconds?: number;
  /** How often the local Firehose writes its buffers; default 1000 ms. */
  firehoseFlushIntervalMs?: number;
  /** Long-poll wait of the redrive loop; default 20 s like Lambda (stop interrupts it). */
  redriveWaitSeconds?: number;
  /** Where warnings go; default stderr. */
  warn?: (message: string) => void;
}

export interface LocalCounts {
  /** Events in batches the receiver accepted. */
  received: number;
  /** Events on the bus: published by the receiver, plus re-published by the redrive. */
  published: number;
  /** Records the local Firehose wrote to the archive. */
  archived: number;
  spilled: number;
  quarantined: number;
  claimChecked: number;
  redriven: number;
  /** Schema drift: events of a type the catalog does not know, and unknown fields (per event). */
  unknownEventTypes: number;
  unknownFields: number;
  /** Requests answered by status. */
  responses: Record<string, number>;
}

export interface LocalPipeline {
  /** The connector URL, `http://127.0.0.1:<port>/currents`. */
  url: string;
  /** The first active token (the one to paste into Braze). */
  token: string;
  tokens: string[];
  dataDir: string;
  endpoints: { eventBridge: string; s3: string; sqs: string };
  names: { eventBus: string; archiveBucket: string; spilloverQueueUrl: string };
  /** Where each kind of data lands, for people. */
  locations: { archive: string; quarantine: string; claimCheck: string; busLog: string; spillover: string };
  standIns: StandIns;
  /** The synthesized template local routing comes from. */
  template: CloudFormationTemplate;
  counts(): LocalCounts;
  /** Waits for in-flight rule deliveries and writes the Firehose buffers to S3 now. */
  settle(): Promise<void>;
  /** Flushes Firehose, stops the redrive, the server and the stand-ins, restores the environment. */
  stop(): Promise<void>;
}

type ReceiverModule = { handler: HttpApiHandler };
type RedriveModule = {
  handler: (
    event: import('aws-lambda').SQSEvent,
    context: import('aws-lambda').Context,
  ) => Promise<SQSBatchResponse>;
};

/** Numbers the handler module instances: one per Lambda-like environment, in every pipeline. */
let instances = 0;

function endpointFromEnv(service: 'EVENTBRIDGE' | 'S3' | 'SQS'): string | undefined {
  const value = process.env[`AWS_ENDPOINT_URL_${service}`];
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** Sets variables and remembers what was there, so `stop()` leaves the process as it found it. */
class EnvironmentPatch {
  private readonly previous = new Map<string, string | undefined>();

  set(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (!this.previous.has(name)) this.previous.set(name, process.env[name]);
      process.env[name] = value;
    }
  }

  restore(): void {
    for (const [name, value] of this.previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.previous.clear();
  }
}

export async function startLocal(options: StartLocalOptions = {}): Promise<LocalPipeline> {
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const dataDir = path.resolve(options.dataDir ?? process.env.CURRENTS_DATA_DIR ?? DEFAULT_DATA_DIR);
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port: ${port}`);
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const tokens = await localTokens(dataDir, options.tokens ?? parseTokenList(process.env[ENV.tokens]));

  const template = synthesizeTemplate(dataDir, options);
  const functions = readPipelineFunctions(template);

  const external = {
    eventBridge: endpointFromEnv('EVENTBRIDGE'),
    s3: endpointFromEnv('S3'),
    sqs: endpointFromEnv('SQS'),
  };
  const standIns = await startStandIns({
    dataDir,
    template,
    region,
    endpoints: Object.fromEntries(Object.entries(external).filter(([, url]) => url !== undefined)),
    eventBridge: { recordBusEvents: true, firehoseFlushIntervalMs: options.firehoseFlushIntervalMs ?? 1000 },
  });
  // The EventBridge stand-in's warnings hold the template's and those of rules added at run time.
  for (const warning of standIns.eventBridge?.warnings ?? standIns.routes.warnings)
    warn(`warning: ${warning}`);

  const env = new EnvironmentPatch();
  const tap = new MetricsTap(options.echoMetrics ?? false);
  const responses: Record<string, number> = {};
  let server: ReceiverServer | undefined;
  let redrive: RedriveLoop | undefined;
  const sqs = new SQSClient({ region, endpoint: standIns.endpoints.sqs, ...credentialsFor(external.sqs) });
  const s3 = new S3Client({
    region,
    endpoint: standIns.endpoints.s3,
    forcePathStyle: true,
    ...credentialsFor(external.s3),
  });

  const stopAll = async () => {
    await redrive?.stop();
    await server?.close();
    await standIns.stop();
    sqs.destroy();
    s3.destroy();
    tap.uninstall();
    env.restore();
  };

  try {
    const queueUrls = external.sqs ? await createQueues(sqs, standIns.routes.queues) : standIns.queueUrls;
    if (external.s3) await createBuckets(s3, Object.values(standIns.buckets));
    const queueName = (logicalId: string) =>
      standIns.routes.queues.find((queue) => queue.logicalId === logicalId)?.name ?? logicalId;
    const resolve = (logicalId: string, attribute: string | undefined): string | undefined => {
      if (attribute === 'Arn' && queueUrls[logicalId])
        return `arn:aws:sqs:${region}:000000000000:${queueName(logicalId)}`;
      return standIns.routes.buses[logicalId] ?? standIns.buckets[logicalId] ?? queueUrls[logicalId];
    };
    const receiverEnv = resolveEnvironment(functions.receiver.environment, resolve);
    const redriveEnv = resolveEnvironment(functions.redrive.environment, resolve);
    const spilloverQueueUrl = queueUrls[functions.redrive.queueLogicalId];
    if (!spilloverQueueUrl) throw new Error('the spillover queue was not created');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: spilloverQueueUrl,
        Attributes: { VisibilityTimeout: String(options.spilloverVisibilityTimeoutSeconds ?? 30) },
      }),
    );

    // Contract variables the user set on purpose (e.g. a real bus name) win over the template's.
    const userContractEnv = Object.fromEntries(
      Object.values(ENV)
        .filter((name) => process.env[name] !== undefined && process.env[name] !== '')
        .map((name) => [name, process.env[name] as string]),
    );
    const handlerEnv: Record<string, string> = {
      ...redriveEnv,
      ...receiverEnv,
      ...userContractEnv,
      ...standIns.env,
      [ENV.tokens]: tokens.join(','),
      // s3rver stores aws-chunked checksum trailers inside objects; send plain bodies instead.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      // Powertools' dev mode writes metrics through the global console, where the tap counts them.
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'ERROR',
      AWS_LAMBDA_FUNCTION_NAME: 'currents-bridge-receiver',
      ...options.env,
    };
    delete handlerEnv[ENV.tokenSecretId];
    delete handlerEnv.NODE_OPTIONS;
    if (!hasOwnCredentials()) {
      Object.assign(handlerEnv, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    }
    env.set(handlerEnv);
    tap.install();

    // Every environment (receiver or redrive) is a module instance of its own: see environments.ts.
    // The environment is set again before each load, as each Lambda environment starts with its own.
    const loadReceiver = async () => {
      env.set(handlerEnv);
      const module = await import(/* @vite-ignore */ `../../lambdas/receiver/index?local=${++instances}`);
      return (module as ReceiverModule).handler;
    };
    const loadRedrive = async () => {
      env.set(handlerEnv);
      const module = await import(/* @vite-ignore */ `../../lambdas/redrive/index?local=${++instances}`);
      return (module as RedriveModule).handler;
    };
    // One receiver loaded up front, so a bad configuration fails at start rather than on a request.
    const receivers = lambdaEnvironments(loadReceiver, [await loadReceiver()]);
    const redriveHandler = await loadRedrive();

    server = await startReceiverServer({
      handler: (event, context) => receivers.invoke(event, context),
      port,
      host: options.host ?? '127.0.0.1',
      functionTimeoutMs: functions.receiver.timeoutSeconds * 1000,
      region,
      onResponse: ({ status }) => {
        responses[status] = (responses[status] ?? 0) + 1;
      },
    });
    redrive = startRedriveLoop({
      sqs,
      queueUrl: spilloverQueueUrl,
      queueArn: `arn:aws:sqs:${region}:000000000000:${queueName(functions.redrive.queueLogicalId)}`,
      region,
      handler: redriveHandler,
      batchSize: functions.redrive.batchSize,
      waitTimeSeconds: options.redriveWaitSeconds ?? 20,
      context: () =>
        lambdaContext({
          functionName: 'currents-bridge-redrive',
          timeoutMs: functions.redrive.timeoutSeconds * 1000,
          region,
        }),
      onPollError: (error) => {
        if (options.logLevel === 'DEBUG' || options.logLevel === 'INFO') {
          warn(`redrive: polling the spillover queue failed: ${(error as Error).message}`);
        }
      },
    });

    const eventBus = handlerEnv[ENV.eventBusName] ?? '';
    const archiveBucket = handlerEnv[ENV.archiveBucket] ?? '';
    const bucketDir = (prefix: string) =>
      standIns.s3
        ? path.join(standIns.s3.directory, archiveBucket, prefix)
        : `s3://${archiveBucket}/${prefix}`;
    const serverUrl = server.url;
    let stopping: Promise<void> | undefined;
    return {
      url: serverUrl,
      token: tokens[0] as string,
      tokens,
      dataDir,
      endpoints: standIns.endpoints,
      names: { eventBus, archiveBucket, spilloverQueueUrl },
      locations: {
        archive: bucketDir(S3_PREFIX.archive),
        quarantine: bucketDir(S3_PREFIX.quarantine),
        claimCheck: bucketDir(S3_PREFIX.claimCheck),
        busLog: standIns.eventBridge
          ? path.join(dataDir, 'bus.ndjson')
          : `(EventBridge at ${standIns.endpoints.eventBridge})`,
        spillover: standIns.sqs
          ? `${spilloverQueueUrl} (kept in ${path.join(dataDir, 'sqs')})`
          : spilloverQueueUrl,
      },
      standIns,
      template,
      counts: () => ({
        received: tap.total(METRIC.eventsReceived),
        published: tap.total(METRIC.eventsPublished) + tap.total(METRIC.eventsRedriven),
        archived: [...(standIns.eventBridge?.firehoseStreams.values() ?? [])].reduce(
          (sum, stream) => sum + stream.stats.recordsDelivered,
          0,
        ),
        spilled: tap.total(METRIC.eventsSpilled),
        quarantined: tap.total(METRIC.eventsQuarantined),
        claimChecked: tap.total(METRIC.eventsClaimChecked),
        redriven: tap.total(METRIC.eventsRedriven),
        unknownEventTypes: tap.total(METRIC.unknownEventTypes),
        unknownFields: tap.total(METRIC.unknownFields),
        responses: { ...responses },
      }),
      settle: () => standIns.settle(),
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The stack's template as `cdk synth` makes it, minus what only matters for a deployment: no
 * bundling, and no CloudFormation rule validation (seconds of WASM per synth; the CDK tests and
 * `cdk synth` keep it). The assembly goes under the data dir instead of a new temp dir each run.
 */
function synthesizeTemplate(dataDir: string, options: StartLocalOptions): CloudFormationTemplate {
  const patch = new EnvironmentPatch();
  patch.set({ CDK_VALIDATION: 'false', CDK_OUTDIR: path.join(dataDir, 'cdk.out') });
  try {
    const { app, stack } = buildApp({
      bundle: false,
      ...(options.configure ? { configure: options.configure } : {}),
      ...(options.context ? { context: options.context } : {}),
    });
    return app.synth().getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
  } finally {
    patch.restore();
  }
}

/** Whether the user has AWS credentials of their own configured (for real endpoints). */
function hasOwnCredentials(): boolean {
  return Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
}

function credentialsFor(externalEndpoint: string | undefined): { credentials?: typeof LOCAL_CREDENTIALS } {
  // Stand-ins accept any signature; another endpoint gets the user's credential chain, if any.
  return externalEndpoint && hasOwnCredentials() ? {} : { credentials: LOCAL_CREDENTIALS };
}

/** Against another SQS endpoint: creates the template's queues, dead-letter queues first. */
async function createQueues(
  sqs: SQSClient,
  queues: StandIns['routes']['queues'],
): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const arns: Record<string, string> = {};
  const ordered = [...queues].sort(
    (a, b) => Number(Boolean(a.deadLetterQueueLogicalId)) - Number(Boolean(b.deadLetterQueueLogicalId)),
  );
  for (const queue of ordered) {
    const attributes = { ...queue.attributes };
    if (attributes.RedrivePolicy && queue.deadLetterQueueLogicalId) {
      const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string };
      policy.deadLetterTargetArn = arns[queue.deadLetterQueueLogicalId] ?? policy.deadLetterTargetArn;
      attributes.RedrivePolicy = JSON.stringify(policy);
    }
    const url = await createOrFindQueue(sqs, queue.name, attributes);
    urls[queue.logicalId] = url;
    const described = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    arns[queue.logicalId] = described.Attributes?.QueueArn ?? `arn:aws:sqs:::${queue.name}`;
  }
  return urls;
}

/** A queue kept from an earlier run may differ in attributes (SQS then refuses to create it). */
async function createOrFindQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return created.QueueUrl ?? '';
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (code !== 'QueueNameExists' && code !== 'QueueAlreadyExists') throw error;
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
  }
}

async function createBuckets(s3: S3Client, buckets: readonly string[]): Promise<void> {
  for (const bucket of buckets) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }
}
