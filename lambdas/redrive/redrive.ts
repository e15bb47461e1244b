/**
 * Drains the spillover queue: each message's entries go to the bus through the same publisher as
 * the receiver. A message comes back (as a batch item failure) only while some of its entries are
 * still retryable; entries EventBridge refuses for good, and messages that cannot be read, go to
 * the quarantine instead, so nothing circles the queue forever.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { entrySize } from '../shared/bus-entry';
import { METRIC } from '../shared/contract';
import { timeLeft, withDeadline } from '../shared/deadline';
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

/** Kept back from the Lambda's remaining time so the quarantine writes can still finish. */
export const REDRIVE_RESERVE_MS = 2_000;

/** Every AWS call of an invocation ends this long before the function timeout. */
export const REDRIVE_ANSWER_RESERVE_MS = 500;

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

  /** Returns true when the message is done with (published, or kept in S3). */
  async function redriveMessage(
    record: SQSRecord,
    message: ParsedSpilloverMessage,
    deadline: number,
    receivedAt: Date,
    invocationDeadline: number,
  ): Promise<boolean> {
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
      logger.warn('entries still failing, message returns to the queue', {
        messageId: record.messageId,
        originalBatchId: message.batchId,
        unsent: outcome.unsent.length,
        lastError: outcome.lastError,
      });
      return false;
    }
    return true;
  }

  return async function redrive(
    records: readonly SQSRecord[],
    remainingTimeMs?: number,
  ): Promise<SQSBatchResponse> {
    const receivedAt = new Date(deps.clock.now());
    const startedAt = deps.clock.now();
    // Every AWS call ends by this time, so the batch response is always returned.
    const invocationDeadline =
      startedAt + (remainingTimeMs ?? Number.POSITIVE_INFINITY) - REDRIVE_ANSWER_RESERVE_MS;
    const budget = Math.min(
      deps.publishBudgetMs,
      (remainingTimeMs ?? Number.POSITIVE_INFINITY) - REDRIVE_RESERVE_MS,
    );
    const deadline = startedAt + Math.max(0, budget);
    const results = await Promise.all(
      records.map(async (record) => {
        try {
          let message: ParsedSpilloverMessage;
          try {
            message = parseSpilloverMessage(record.body);
          } catch (error) {
            await quarantineMessage(record, receivedAt, (error as Error).message, invocationDeadline);
            count(metrics, METRIC.eventsQuarantined, 1);
            logger.error('unreadable spillover message quarantined', { messageId: record.messageId });
            return true;
          }
          return await redriveMessage(record, message, deadline, receivedAt, invocationDeadline);
        } catch (error) {
          logger.error('redrive failed', { messageId: record.messageId, error: error as Error });
          return false;
        }
      }),
    );
    const batchItemFailures = records
      .filter((_, index) => !results[index])
      .map((record) => ({ itemIdentifier: record.messageId }));
    count(metrics, METRIC.redriveFailures, batchItemFailures.length);
    logger.info('redrive done', { messages: records.length, failed: batchItemFailures.length });
    return { batchItemFailures };
  };
}
