/**
 * The receiver's use case, one request from authentication to answer, over the ports in `deps`.
 * Every planned non-2xx answer is thrown as an {@link HttpError}; the handler's error mapper turns
 * it into the response.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { BRAZE_VERSION_HEADER, METRIC, SUPPORTED_BRAZE_VERSION } from '../shared/contract';
import { timeLeft, withDeadline } from '../shared/deadline';
import { type PreparedEvent, prepareEvents, resourcesFromQuery } from '../shared/entries';
import { type PutEventsPort, publishEntries, type RetryPolicy } from '../shared/publisher';
import {
  type ObjectStorePort,
  type QuarantineBatch,
  type QuarantineItem,
  type QuarantineReason,
  quarantine,
} from '../shared/quarantine';
import { buildSpilloverBodies, type SpilloverPort, sendToSpillover } from '../shared/spillover';
import { count, MetricUnit } from '../shared/telemetry';
import { isActiveToken, parseBearer, type SourceIpCheck } from './auth';
import { claimCheckKey, toPointer } from './claim-check';
import { decodeBody, headerValue } from './decode';
import { createDriftDetector, type DriftDetector } from './drift';
import { parseEnvelope } from './envelope';
import { HttpError, serviceUnavailable } from './http';
import type { TokenSource } from './token-source';

export interface ReceiverSettings {
  eventSource: string;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  claimCheckThresholdBytes: number;
  publishBudgetMs: number;
}

export interface ReceiverDeps {
  settings: ReceiverSettings;
  tokens: TokenSource;
  sourceIpAllowed: SourceIpCheck;
  bus: PutEventsPort;
  store: ObjectStorePort;
  spillover: SpilloverPort;
  logger: Logger;
  metrics: Metrics;
  clock: Pick<RetryPolicy, 'now' | 'sleep' | 'random'>;
  backoff: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
  newBatchId: () => string;
  /** Schema drift check; default: the catalog alone, no acknowledged extras. */
  drift?: DriftDetector;
}

export interface ReceiverRequest {
  headers?: Readonly<Record<string, string | undefined>>;
  body?: string;
  isBase64Encoded?: boolean;
  rawQueryString?: string;
  sourceIp?: string;
  /** What the Lambda context says is left; publishing keeps a reserve out of it for the spillover. */
  remainingTimeMs?: number;
}

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

export interface BatchSummary {
  batchId: string;
  received: number;
  published: number;
  spilled: number;
  quarantined: number;
  claimChecked: number;
}

/** Kept back from the Lambda's remaining time for the spillover and quarantine writes. */
export const SPILLOVER_RESERVE_MS = 2_000;

/**
 * Kept back from the Lambda's remaining time for answering: every AWS call of a request ends
 * (answers or is abandoned) this long before the function timeout, so the answer is ours (503
 * with Retry-After) and never API Gateway's 500 for a timed-out function.
 */
export const ANSWER_RESERVE_MS = 500;

/**
 * The most elements one request's `events` may hold: ten times a Braze batch (100 events). More
 * is answered 413 before any work, so what one request costs (parsing aside) is bounded.
 */
export const MAX_EVENTS_PER_REQUEST = 1_000;

export function createReceiver(deps: ReceiverDeps): (request: ReceiverRequest) => Promise<BatchSummary> {
  const { settings, logger, metrics } = deps;
  const drift = deps.drift ?? createDriftDetector(logger, metrics);

  async function authenticate(request: ReceiverRequest, deadline: number): Promise<void> {
    if (!deps.sourceIpAllowed(request.sourceIp)) {
      count(metrics, METRIC.authRejected, 1);
      logger.warn('source IP not in the allow-list', { sourceIp: request.sourceIp });
      throw new HttpError(403, 'Forbidden');
    }
    const bearer = parseBearer(request.headers);
    if (bearer.kind !== 'token') {
      count(metrics, METRIC.authMissing, 1);
      logger.warn('no bearer token', { problem: bearer.kind });
      // RFC 6750 asks a 401 to name the scheme it wants.
      throw new HttpError(401, 'Authorization: Bearer <token> is required', { 'www-authenticate': 'Bearer' });
    }
    let active: readonly Buffer[];
    try {
      active = await withDeadline(
        timeLeft(deadline, deps.clock.now()),
        () => deps.tokens.activeDigests(),
        'reading the active tokens',
        // Powertools' provider takes no signal; the Secrets Manager client's timeout ends the request.
        false,
      );
    } catch (error) {
      logger.error('the active tokens could not be read', { error: error as Error });
      throw serviceUnavailable('token source unavailable');
    }
    if (!isActiveToken(bearer.token, active)) {
      count(metrics, METRIC.authRejected, 1);
      logger.warn('bearer token not active', { sourceIp: request.sourceIp });
      throw new HttpError(403, 'Token not accepted');
    }
  }

  /** Writes one quarantine object for the batch and reason; 503 when it cannot be written in time. */
  async function keep(
    context: Omit<QuarantineBatch, 'reason' | 'items'>,
    reason: QuarantineReason,
    items: QuarantineItem[],
    deadline: number,
  ): Promise<void> {
    try {
      const key = await withDeadline(
        timeLeft(deadline, deps.clock.now()),
        (signal) => quarantine(deps.store, { ...context, reason, items }, { signal }),
        'quarantine write',
      );
      logger.warn('quarantined', {
        reason,
        items: items.length,
        key,
        errors: [...new Set(items.map((item) => item.error))].slice(0, 5),
      });
    } catch (error) {
      logger.error('quarantine write failed', { reason, items: items.length, error: error as Error });
      throw serviceUnavailable('quarantine unavailable');
    }
  }

  return async function receive(request) {
    const batchId = deps.newBatchId();
    logger.appendKeys({ batchId });
    const startedAt = deps.clock.now();
    const receivedAt = new Date(startedAt);
    const query = request.rawQueryString ?? '';
    // Every AWS call of this request ends by this time (epoch ms): the answer stays ours.
    const deadline = startedAt + (request.remainingTimeMs ?? Number.POSITIVE_INFINITY) - ANSWER_RESERVE_MS;

    await authenticate(request, deadline);

    const version = headerValue(request.headers, BRAZE_VERSION_HEADER);
    if (version !== undefined && version.trim() !== SUPPORTED_BRAZE_VERSION) {
      count(metrics, METRIC.unsupportedVersion, 1);
      logger.info('Braze-Currents-Version other than 1, accepted', { version: version.slice(0, 20) });
    }

    const context = { batchId, receivedAt: receivedAt.toISOString(), query };
    const decoded = decodeBody(request, settings);
    if (!decoded.ok) {
      if (decoded.status === 413) {
        count(metrics, METRIC.bodiesTooLarge, 1);
        throw new HttpError(413, decoded.message);
      }
      count(metrics, METRIC.bodiesRejected, 1);
      await keep(
        context,
        'invalid-body',
        [{ index: 0, bodyBase64: decoded.raw.toString('base64'), error: decoded.message }],
        deadline,
      );
      throw new HttpError(400, decoded.message);
    }

    count(metrics, METRIC.batches, 1);
    const envelope = parseEnvelope(decoded.text);
    if (envelope.kind === 'invalid') {
      count(metrics, METRIC.bodiesRejected, 1);
      await keep(
        context,
        'invalid-body',
        [{ index: 0, body: decoded.text, error: envelope.message }],
        deadline,
      );
      throw new HttpError(400, envelope.message);
    }

    const { events } = envelope;
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      count(metrics, METRIC.bodiesTooLarge, 1);
      throw new HttpError(
        413,
        `more than ${MAX_EVENTS_PER_REQUEST} elements in events (${events.length}); send smaller batches`,
      );
    }
    const summary: BatchSummary = {
      batchId,
      received: events.length,
      published: 0,
      spilled: 0,
      quarantined: 0,
      claimChecked: 0,
    };
    if (events.length === 0) return summary;
    count(metrics, METRIC.eventsReceived, events.length);

    const { prepared, invalid } = prepareEvents(
      events,
      { source: settings.eventSource, resources: resourcesFromQuery(query), receivedAt },
      envelope.texts,
      envelope.shapes,
    );
    recordEventMetrics(prepared, receivedAt);

    let toPublish: PreparedEvent[];
    try {
      toPublish = await claimCheckOversized(prepared, receivedAt, summary, deadline);
    } catch (error) {
      count(metrics, METRIC.batchesFailed, 1);
      throw error;
    }
    // The quarantine write runs while publishing; settled at once, so a failure that comes before
    // the publishing is done is never an unhandled rejection.
    const writes: Promise<PromiseSettledResult<void>>[] = [];
    if (invalid.length > 0) {
      const items = invalid.map((bad): QuarantineItem => {
        const item: QuarantineItem = { index: bad.index, error: bad.error };
        if (bad.text !== undefined) item.eventText = bad.text;
        else item.event = bad.event;
        return item;
      });
      writes.push(settle(keep(context, 'invalid-event', items, deadline)));
    }
    const publishStart = deps.clock.now();
    const outcome = await publishEntries(toPublish, deps.bus, {
      ...deps.clock,
      ...deps.backoff,
      deadline: Math.min(
        publishStart + settings.publishBudgetMs,
        Math.max(publishStart, deadline - SPILLOVER_RESERVE_MS),
      ),
    });
    metrics.addMetric(METRIC.publishLatency, MetricUnit.Milliseconds, deps.clock.now() - publishStart);

    if (outcome.rejected.length > 0) {
      const items = outcome.rejected.map((rejected) => ({
        index: rejected.item.index,
        entry: rejected.item.entry,
        error: `${rejected.errorCode}: ${rejected.errorMessage}`,
      }));
      writes.push(settle(keep(context, 'rejected-entry', items, deadline)));
    }
    if (outcome.unsent.length > 0) {
      writes.push(settle(spill(batchId, outcome.unsent, outcome.lastError, deadline)));
    }

    const settled = await Promise.all(writes);
    const failed = settled.find((result) => result.status === 'rejected');

    summary.published = outcome.published.length;
    summary.spilled = outcome.unsent.length;
    summary.quarantined = invalid.length + outcome.rejected.length;
    count(metrics, METRIC.eventsPublished, summary.published);
    count(metrics, METRIC.eventsClaimChecked, summary.claimChecked);
    if (failed) {
      count(metrics, METRIC.batchesFailed, 1);
      throw failed.reason;
    }
    count(metrics, METRIC.eventsSpilled, summary.spilled);
    count(metrics, METRIC.eventsQuarantined, summary.quarantined);
    logger.info('batch accepted', { ...summary, rounds: outcome.rounds, query });
    return summary;
  };

  /**
   * EventLag is one value per batch, the lag of its oldest event: what an alarm on delivery delay
   * needs, at a fraction of the cost of a metric value per event.
   */
  function recordEventMetrics(prepared: readonly PreparedEvent[], receivedAt: Date): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const item of prepared) {
      if (item.brazeTime !== undefined && item.brazeTime < oldest) oldest = item.brazeTime;
    }
    drift.record(prepared);
    if (oldest !== Number.POSITIVE_INFINITY) {
      metrics.addMetric(METRIC.eventLag, MetricUnit.Seconds, receivedAt.getTime() / 1000 - oldest);
    }
  }

  async function claimCheckOversized(
    prepared: PreparedEvent[],
    receivedAt: Date,
    summary: BatchSummary,
    deadline: number,
  ): Promise<PreparedEvent[]> {
    if (!prepared.some((item) => item.bytes > settings.claimCheckThresholdBytes)) return prepared;
    return Promise.all(
      prepared.map(async (item) => {
        if (item.bytes <= settings.claimCheckThresholdBytes) return item;
        const key = claimCheckKey(receivedAt, item.eventType, item.event.id, item.entry.Detail);
        try {
          await withDeadline(
            timeLeft(deadline, deps.clock.now()),
            (signal) => deps.store.putObject(key, item.entry.Detail, 'application/json', signal),
            'claim-check write',
          );
        } catch (error) {
          logger.error('claim-check write failed', { index: item.index, error: error as Error });
          throw serviceUnavailable('claim-check store unavailable');
        }
        summary.claimChecked++;
        logger.info('claim-checked', { index: item.index, bytes: item.bytes, key });
        return toPointer(item, deps.store.bucket, key);
      }),
    );
  }

  async function spill(
    batchId: string,
    unsent: readonly PreparedEvent[],
    lastError: string | undefined,
    deadline: number,
  ) {
    try {
      const bodies = buildSpilloverBodies(
        batchId,
        unsent.map((item) => item.entry),
      );
      await sendToSpillover(bodies, deps.spillover, () => timeLeft(deadline, deps.clock.now()));
      logger.warn('spilled over', { entries: unsent.length, messages: bodies.length, lastError });
    } catch (error) {
      logger.error('spillover failed', { entries: unsent.length, lastError, error: error as Error });
      throw serviceUnavailable('event bus and spillover queue unavailable');
    }
  }
}
