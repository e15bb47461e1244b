/**
 * The only module that talks to AWS: thin adapters from the SDK clients to the narrow ports the
 * pure code uses. The clients honour the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is
 * how local mode points them at its stand-ins.
 */
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { PutEventsPort } from './publisher';
import type { ObjectStorePort } from './quarantine';
import type { SpilloverPort } from './spillover';

/**
 * s3rver and most S3 stand-ins only understand path-style URLs; real S3 is addressed
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

export interface AwsClients {
  eventBridge: EventBridgeClient;
  s3: S3Client;
  sqs: SQSClient;
  secretsManager: SecretsManagerClient;
}

export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  return {
    eventBridge: new EventBridgeClient(eventBridgeClientConfig()),
    s3: new S3Client({ ...s3ClientConfig(env), requestHandler: AWS_CALL_REQUEST_HANDLER }),
    sqs: new SQSClient({ requestHandler: AWS_CALL_REQUEST_HANDLER }),
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

export function objectStorePort(client: S3Client, bucket: string): ObjectStorePort {
  return {
    bucket,
    async putObject(key, body, contentType = 'application/json', signal) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        signal ? { abortSignal: signal } : {},
      );
    },
  };
}

export function spilloverPort(client: SQSClient, queueUrl: string): SpilloverPort {
  return {
    async sendMessages(messages, signal) {
      const response = await client.send(
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
