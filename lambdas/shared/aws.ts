/**
 * The only module that talks to AWS: thin adapters from the SDK clients to the narrow ports the
 * pure code uses. The clients honour the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is
 * how local mode points them at its stand-ins.
 *
 * S3 and SQS serve only rare paths (quarantine, claim check, spillover), so their SDK packages are
 * imported when a request first needs them, not at cold start: the functions are bundled with
 * code splitting (lib/constructs/function-bundle.ts), so each dynamic `import()` below is a chunk
 * of its own, read, parsed and evaluated only then. EventBridge (every request) and Secrets
 * Manager (the first request of every deployed cold start fetches the tokens) are imported eagerly.
 */
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { PutEventsPort } from './publisher';
import type { ObjectStorePort } from './quarantine';
import type { SpilloverPort } from './spillover';

/**
 * Most S3 stand-ins only understand path-style URLs; real S3 is addressed
 * virtual-hosted style unless an endpoint override says otherwise.
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const overridden = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return overridden ? { forcePathStyle: true } : {};
}

/** A PutEvents call normally answers in tens of milliseconds; one that hangs is abandoned after this. */
export const PUT_EVENTS_REQUEST_TIMEOUT_MS = 3_000;

export function eventBridgeClientConfig(): EventBridgeClientConfig {
  return {
    // The publisher retries failed entries itself, within its time budget; SDK retries on top
    // would multiply the attempts and overrun that budget.
    maxAttempts: 1,
    // Reuses the resolved middleware stack across calls (only for calls without per-call options).
    cacheMiddleware: true,
    requestHandler: { requestTimeout: PUT_EVENTS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
}

/**
 * Every S3, SQS and Secrets Manager request gives up after this long, whatever its caller's
 * deadline (which the callers enforce with `withDeadline` and an AbortSignal).
 */
export const AWS_CALL_REQUEST_TIMEOUT_MS = 5_000;
const AWS_CALL_REQUEST_HANDLER = { requestTimeout: AWS_CALL_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true };

/** A client, or a function that builds it on first use (and returns the same one afterwards). */
export type LazyClient<T> = T | (() => Promise<T>);

/** Resolves a {@link LazyClient}. */
async function clientOf<T extends object>(client: LazyClient<T>): Promise<T> {
  return typeof client === 'function' ? await client() : client;
}

/** Runs `load` once, on the first call; every call gets the same promise. */
function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}

export interface AwsClients {
  eventBridge: EventBridgeClient;
  /** Built on first use: see the module comment. */
  s3: LazyClient<S3Client>;
  /** Built on first use: see the module comment. */
  sqs: LazyClient<SQSClient>;
  secretsManager: SecretsManagerClient;
}

/**
 * The functions' SDK clients, built once per cold start: EventBridge and Secrets Manager now, S3
 * and SQS when a request first needs them (their packages loaded then, see the module comment).
 */
export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  return {
    eventBridge: new EventBridgeClient(eventBridgeClientConfig()),
    s3: onFirstUse(async () => {
      const { newS3Client } = await import('./aws-s3');
      return newS3Client({ ...s3ClientConfig(env), requestHandler: AWS_CALL_REQUEST_HANDLER });
    }),
    sqs: onFirstUse(async () => {
      const { newSqsClient } = await import('./aws-sqs');
      return newSqsClient({ requestHandler: AWS_CALL_REQUEST_HANDLER });
    }),
    // Powertools' provider takes no AbortSignal: the token source races it against the deadline,
    // and this timeout ends the abandoned request itself.
    secretsManager: new SecretsManagerClient({ requestHandler: AWS_CALL_REQUEST_HANDLER }),
  };
}

export function eventBridgePort(client: EventBridgeClient, eventBusName: string): PutEventsPort {
  return {
    async putEvents(entries, budgetMs, signal) {
      const command = new PutEventsCommand({
        Entries: entries.map((entry) => ({ ...entry, EventBusName: eventBusName })),
      });
      // Only a budget shorter than the client's own timeout needs the per-call signal (which
      // bypasses the cached middleware stack); the caller's deadline race covers the rest.
      const tighter = budgetMs !== undefined && budgetMs > 0 && budgetMs < PUT_EVENTS_REQUEST_TIMEOUT_MS;
      const response = tighter
        ? await client.send(command, { abortSignal: signal ?? AbortSignal.timeout(budgetMs) })
        : await client.send(command);
      return response.Entries ?? [];
    },
  };
}

export function objectStorePort(client: LazyClient<S3Client>, bucket: string): ObjectStorePort {
  return {
    bucket,
    async putObject(key, body, contentType = 'application/json', signal) {
      const [s3, { PutObjectCommand }] = await Promise.all([clientOf(client), import('./aws-s3')]);
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        signal ? { abortSignal: signal } : {},
      );
    },
  };
}

export function spilloverPort(client: LazyClient<SQSClient>, queueUrl: string): SpilloverPort {
  return {
    async sendMessages(messages, signal) {
      const [sqs, { SendMessageBatchCommand }] = await Promise.all([clientOf(client), import('./aws-sqs')]);
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((message) => ({ Id: message.id, MessageBody: message.body })),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return { failedIds: (response.Failed ?? []).map((failure) => failure.Id ?? '') };
    },
  };
}
