/**
 * Drains the spillover queue: each message's entries go to the bus through the same publisher as
 * the receiver. A message comes back (as a batch item failure) only while some of its entries are
 * still retryable; entries EventBridge refuses for good, and messages that cannot be read, go to
 * the quarantine instead, so nothing circles the queue forever.
 *
 * The use case settles one promise per record, all of them under ONE publishing deadline for the
 * invocation; @middy/sqs-partial-batch-failure turns the rejected ones into `batchItemFailures`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { entrySize } from '../shared/bus-entry';
import { METRIC } from '../shared/contract';
import { ANSWER_RESERVE_MS, timeLeft, WRITE_RESERVE_MS, withDeadline } from '../shared/deadline';
import { type PutEventsPort, publishEntries, type RetryPolicy } from '../shared/publisher';
import { type ObjectStorePort, type QuarantineBatch, quarantine } from '../shared/quarantine';
import { type ParsedSpilloverMessage, parseSpilloverMessage } from '../shared/spillover';
import { count } from '../shared/telemetry';

export interface RedriveDeps {
  publishBudgetMs: number;
  bus: PutEventsPort;
  store: ObjectStorePort;
  logger: Logger;
  metrics: Metrics;
  clock: Pick<RetryPolicy, 'now' | 'sleep' | 'random'>;
  backoff: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
}

/** What became of a message that leaves the queue. */
export type RedrivenMessage =
  | { kind: 'published'; entries: number }
  | { kind: 'quarantined'; reason: string };

/** A message whose entries are still failing at the deadline: it returns to the queue. */
export class EntriesStillFailing extends Error {
  override name = 'EntriesStillFailing';
  constructor(
    readonly originalBatchId: string,
    readonly unsent: number,
    readonly lastError: string | undefined,
  ) {
    super(`${unsent} entries still failing (${lastError ?? 'no error code'})`);
  }
}

export function createRedrive(deps: RedriveDeps) {
  const { logger, metrics } = deps;

  /** One quarantine write, ended (and thrown) at the invocation's deadline. */
  function keep(batch: QuarantineBatch, part: string, deadline: number): Promise<string> {
    return withDeadline(
      timeLeft(deadline, deps.clock.now()),
      (signal) => quarantine(deps.store, batch, { part, signal }),
      'quarantine write',
    );
  }

  async function quarantineMessage(
    record: SQSRecord,
    receivedAt: Date,
    error: string,
    deadline: number,
  ): Promise<void> {
    await keep(
      {
        reason: 'invalid-spillover-message',
        batchId: `redrive-${record.messageId}`,
        receivedAt: receivedAt.toISOString(),
        query: '',
        items: [{ index: 0, body: record.body, error }],
      },
      record.messageId,
      deadline,
    );
  }

  /** Publishes one message's entries; throws {@link EntriesStillFailing} or the quarantine's error. */
  async function redriveMessage(
    record: SQSRecord,
    message: ParsedSpilloverMessage,
    deadline: number,
    receivedAt: Date,
    invocationDeadline: number,
  ): Promise<RedrivenMessage> {
    const items = message.entries.map((entry, index) => ({ entry, index, bytes: entrySize(entry) }));
    const outcome = await publishEntries(items, deps.bus, { ...deps.clock, ...deps.backoff, deadline });
    count(metrics, METRIC.eventsRedriven, outcome.published.length);
    if (outcome.rejected.length > 0) {
      // One object per message: the messages of one spilled batch share its batchId.
      await keep(
        {
          reason: 'rejected-entry',
          batchId: message.batchId,
          receivedAt: receivedAt.toISOString(),
          query: '',
          items: outcome.rejected.map((rejected) => ({
            index: rejected.item.index,
            entry: rejected.item.entry,
            error: `${rejected.errorCode}: ${rejected.errorMessage}`,
          })),
        },
        record.messageId,
        invocationDeadline,
      );
    }
    count(metrics, METRIC.eventsQuarantined, outcome.rejected.length);
    if (outcome.unsent.length > 0) {
      // The whole message returns, so its published entries will be sent again: duplicates are
      // allowed (the Braze id is the idempotency key), losses are not.
      throw new EntriesStillFailing(message.batchId, outcome.unsent.length, outcome.lastError);
    }
    return { kind: 'published', entries: outcome.published.length };
  }

  async function redriveRecord(
    record: SQSRecord,
    deadline: number,
    receivedAt: Date,
    invocationDeadline: number,
  ): Promise<RedrivenMessage> {
    let message: ParsedSpilloverMessage;
    try {
      message = parseSpilloverMessage(record.body);
    } catch (error) {
      const reason = (error as Error).message;
      await quarantineMessage(record, receivedAt, reason, invocationDeadline);
      count(metrics, METRIC.eventsQuarantined, 1);
      logger.error('unreadable spillover message quarantined', { messageId: record.messageId });
      return { kind: 'quarantined', reason };
    }
    return redriveMessage(record, message, deadline, receivedAt, invocationDeadline);
  }

  /**
   * Redrives the records of one invocation, all at once, under one deadline: publishing stops
   * starting new rounds `publishBudgetMs` after the start (or {@link WRITE_RESERVE_MS} before the
   * function timeout, if sooner), and every AWS call ends {@link ANSWER_RESERVE_MS} before it.
   * @returns one settled result per record, in order: fulfilled when the message is done with
   *   (published, or kept in S3), rejected when it must return to the queue
   */
  return async function redrive(
    records: readonly SQSRecord[],
    remainingTimeMs?: number,
  ): Promise<PromiseSettledResult<RedrivenMessage>[]> {
    const receivedAt = new Date(deps.clock.now());
    const startedAt = deps.clock.now();
    // Every AWS call ends by this time, so the batch response is always returned.
    const invocationDeadline = startedAt + (remainingTimeMs ?? Number.POSITIVE_INFINITY) - ANSWER_RESERVE_MS;
    const budget = Math.min(
      deps.publishBudgetMs,
      (remainingTimeMs ?? Number.POSITIVE_INFINITY) - WRITE_RESERVE_MS,
    );
    const deadline = startedAt + Math.max(0, budget);
    const results = await Promise.allSettled(
      records.map((record) => redriveRecord(record, deadline, receivedAt, invocationDeadline)),
    );
    const failed = results.filter((result) => result.status === 'rejected').length;
    count(metrics, METRIC.redriveFailures, failed);
    logger.info('redrive done', { messages: records.length, failed });
    return results;
  };
}
