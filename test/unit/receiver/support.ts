/**
 * Shared test support for the receiver and redrive: API Gateway events, a Lambda context, a fake
 * clock, mocked AWS clients and a capture of everything Powertools writes (logs and EMF metrics).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { vi } from 'vitest';
import { loadReceiverConfig, type ReceiverConfig } from '#lambdas/shared/config';

export const TOKEN = 'good-token-0123456789abcdefghijklmnop';
export const BUS = 'currents-bus';
export const BUCKET = 'archive-bucket';
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/spillover';
export const NOW = Date.parse('2026-11-23T12:00:00Z');

/** A PutEvents answer that accepts every entry: pass to `mock.on(PutEventsCommand).callsFake`. */
export function acceptEveryEntry(input: { Entries?: unknown[] }) {
  return {
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `event-${index}` })),
  };
}

export function receiverConfig(env: Record<string, string> = {}): ReceiverConfig {
  return loadReceiverConfig({
    EVENT_BUS_NAME: BUS,
    ARCHIVE_BUCKET: BUCKET,
    SPILLOVER_QUEUE_URL: QUEUE_URL,
    CURRENTS_TOKENS: TOKEN,
    ...env,
  });
}

/** Clients the mocks intercept; credentials and region so nothing looks for real ones. */
export function testClients() {
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return {
    eventBridge: new EventBridgeClient(config),
    s3: new S3Client(config),
    sqs: new SQSClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
}

/** Time that moves only when the code under test sleeps: budgets without real waiting. */
export function fakeClock(start = NOW) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    random: () => 1,
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface ApiEventOptions {
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  rawQueryString?: string;
  sourceIp?: string;
  token?: string | null;
}

export function apiEvent(options: ApiEventOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { 'braze-currents-version': '1', ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
  return {
    version: '2.0',
    routeKey: 'POST /currents',
    rawPath: '/currents',
    rawQueryString: options.rawQueryString ?? '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'example',
      http: {
        method: 'POST',
        path: '/currents',
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '203.0.113.10',
        userAgent: 'Braze',
      },
      requestId: 'request-1',
      routeKey: 'POST /currents',
      stage: '$default',
      time: '23/Nov/2026:12:00:00 +0000',
      timeEpoch: NOW,
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

export function lambdaContext(remainingMs = 25_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'currents-receiver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:currents-receiver',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-request-1',
    logGroupName: '/aws/lambda/currents-receiver',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface CapturedOutput {
  /** Every line written to stdout and stderr. */
  text: () => string;
  /** Parsed JSON lines that are Powertools log entries. */
  logs: () => Record<string, unknown>[];
  /** Metric name → summed values, over every EMF blob written. */
  metrics: () => Record<string, number>;
  /** Metric name → every value, in order. */
  metricValues: (name: string) => number[];
  /** The raw EMF blobs. */
  emf: () => Record<string, unknown>[];
}

/** Captures Powertools' output (it writes through its own Console onto process.stdout/stderr). */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const emf = () => lines().filter((line) => typeof line._aws === 'object');
  return {
    emf,
    text: () => chunks.join(''),
    logs: () => lines().filter((line) => typeof line._aws !== 'object'),
    metrics: () => {
      const totals: Record<string, number> = {};
      for (const blob of emf()) {
        const names = (
          blob._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
        ).CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name));
        for (const name of names) {
          const value = blob[name];
          const values = Array.isArray(value) ? (value as number[]) : [value as number];
          totals[name] = (totals[name] ?? 0) + values.reduce((sum, item) => sum + item, 0);
        }
      }
      return totals;
    },
    metricValues: (name) =>
      emf().flatMap((blob) => {
        const value = blob[name];
        if (value === undefined) return [];
        return Array.isArray(value) ? (value as number[]) : [value as number];
      }),
  };
}
