/**
 * The receiver's use case: one request from authentication to a {@link ReceiveOutcome}, over the
 * ports in `deps`. It knows nothing of HTTP (`http.ts` answers each outcome) nor of metrics
 * (`metrics.ts` derives them from the outcome): it decides, it publishes, it keeps what it cannot
 * publish, and it says what became of the batch. Only a bug throws.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { BRAZE_VERSION_HEADER, SUPPORTED_BRAZE_VERSION } from '../shared/contract';
import { ANSWER_RESERVE_MS, timeLeft, WRITE_RESERVE_MS, withDeadline } from '../shared/deadline';
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
import { isActiveToken, parseBearer, type SourceIpCheck } from './auth';
import { claimCheckKey, toPointer } from './claim-check';
import { decodeBody, headerValue } from './decode';
import type { DriftDetector } from './drift';
import { parseEnvelope } from './envelope';
import type { TokenSource } from './token-source';

export interface ReceiverSettings {
  eventSource: string;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  claimCheckThresholdBytes: number;
  publishBudgetMs: number;
}

/** The logging the use case needs: Powertools' Logger, or anything with these methods. */
export type ReceiverLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'appendKeys'>;

export interface ReceiverDeps {
  settings: ReceiverSettings;
  tokens: TokenSource;
  sourceIpAllowed: SourceIpCheck;
  bus: PutEventsPort;
  store: ObjectStorePort;
  spillover: SpilloverPort;
  logger: ReceiverLogger;
  /** Schema drift check (counts and logs what the catalog does not know). */
  drift: DriftDetector;
  clock: Pick<RetryPolicy, 'now' | 'sleep' | 'random'>;
  backoff: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
  newBatchId: () => string;
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

/** What became of a batch's events; the body of the 200 answer, in this key order. */
export interface BatchSummary {
  batchId: string;
  received: number;
  published: number;
  spilled: number;
  quarantined: number;
  claimChecked: number;
}

/**
 * What the use case learnt about a request that got past authentication: the source of the batch
 * metrics. Counts are of what really happened, also when the request ends unavailable.
 */
export interface BatchReport {
  summary: BatchSummary;
  /** `Braze-Currents-Version` when present and other than the supported one (at most 20 characters). */
  unsupportedVersion?: string;
  /** The body decoded to text (what the `Batches` metric counts); false when it did not. */
  decoded: boolean;
  /** Time spent in PutEvents calls and retries (ms), when there was anything to publish. */
  publishLatencyMs?: number;
  /** Receive time minus the Braze `time` of the batch's oldest event (s), when any event has one. */
  eventLagSeconds?: number;
  /** PutEvents rounds, the first included. */
  rounds?: number;
}

/** A dependency whose failure ends a request unanswered by us but for a retry. */
export type Dependency =
  | 'token source'
  | 'quarantine'
  | 'claim-check store'
  | 'event bus and spillover queue';

/** What became of one request. `http.ts` answers each kind; `metrics.ts` counts it. */
export type ReceiveOutcome =
  /** No `Authorization: Bearer <token>`. */
  | { kind: 'unauthenticated'; message: string }
  /** A token that is not active, or a source address outside the allow-list. */
  | { kind: 'forbidden'; message: string }
  /** Over a size cap (body, decompressed body, or number of events): nothing was kept. */
  | { kind: 'body-too-large'; message: string; batch: BatchReport }
  /** Not a Currents envelope: the body was kept in the quarantine. */
  | { kind: 'invalid-body'; message: string; batch: BatchReport }
  /** A dependency failed: not every event is published or kept. `batch` is absent before auth. */
  | { kind: 'unavailable'; dependency: Dependency; batch?: BatchReport }
  /** Every event is on the bus, in the spillover queue, or in S3 (quarantine or claim check). */
  | { kind: 'accepted'; batch: BatchReport };

/** The messages of the authentication outcomes; the contract table in docs/receiver.md quotes them. */
export const AUTH_MESSAGES = {
  missingBearer: 'Authorization: Bearer <token> is required',
  tokenNotActive: 'Token not accepted',
  sourceIpNotAllowed: 'Forbidden',
} as const;

/**
 * The most elements one request's `events` may hold: ten times a Braze batch (100 events). More
 * is answered 413 before any work, so what one request costs (parsing aside) is bounded.
 */
export const MAX_EVENTS_PER_REQUEST = 1_000;

/** A dependency failed: ends the request as `unavailable` (thrown inside the use case only). */
class Unavailable extends Error {
  constructor(readonly dependency: Dependency) {
    super(`${dependency} unavailable`);
  }
}

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

/** The lag (s) of the oldest event: one value per batch is what an alarm on delivery delay needs. */
function oldestEventLag(prepared: readonly PreparedEvent[], receivedAt: Date): number | undefined {
  let oldest = Number.POSITIVE_INFINITY;
  for (const item of prepared) {
    if (item.brazeTime !== undefined && item.brazeTime < oldest) oldest = item.brazeTime;
  }
  return oldest === Number.POSITIVE_INFINITY ? undefined : receivedAt.getTime() / 1000 - oldest;
}

/**
 * Builds the use case. The returned function takes one request and resolves to its outcome; it
 * rejects only on a bug (the handler answers that 500).
 */
export function createReceiver(deps: ReceiverDeps): (request: ReceiverRequest) => Promise<ReceiveOutcome> {
  const { settings, logger } = deps;

  /**
   * Undefined when the request may post; otherwise the outcome that refuses it. Throws
   * {@link Unavailable} when the active tokens cannot be read.
   */
  async function authenticate(
    request: ReceiverRequest,
    deadline: number,
  ): Promise<ReceiveOutcome | undefined> {
    if (!deps.sourceIpAllowed(request.sourceIp)) {
      logger.warn('source IP not in the allow-list', { sourceIp: request.sourceIp });
      return { kind: 'forbidden', message: AUTH_MESSAGES.sourceIpNotAllowed };
    }
    const bearer = parseBearer(request.headers);
    if (bearer.kind !== 'token') {
      logger.warn('no bearer token', { problem: bearer.kind });
      return { kind: 'unauthenticated', message: AUTH_MESSAGES.missingBearer };
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
      throw new Unavailable('token source');
    }
    if (!isActiveToken(bearer.token, active)) {
      logger.warn('bearer token not active', { sourceIp: request.sourceIp });
      return { kind: 'forbidden', message: AUTH_MESSAGES.tokenNotActive };
    }
    return undefined;
  }

  /** Writes one quarantine object for the batch and reason; throws {@link Unavailable} when it cannot in time. */
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
      throw new Unavailable('quarantine');
    }
  }

  /** Stores each event over the threshold in S3 and swaps in its pointer; counts into `summary`. */
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
          throw new Unavailable('claim-check store');
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
  ): Promise<void> {
    try {
      const bodies = buildSpilloverBodies(
        batchId,
        unsent.map((item) => item.entry),
      );
      await sendToSpillover(bodies, deps.spillover, () => timeLeft(deadline, deps.clock.now()));
      logger.warn('spilled over', { entries: unsent.length, messages: bodies.length, lastError });
    } catch (error) {
      logger.error('spillover failed', { entries: unsent.length, lastError, error: error as Error });
      throw new Unavailable('event bus and spillover queue');
    }
  }

  /** Everything after authentication; fills `batch` as it goes. Throws {@link Unavailable}. */
  async function receiveBatch(
    request: ReceiverRequest,
    batch: BatchReport,
    receivedAt: Date,
    deadline: number,
  ): Promise<ReceiveOutcome> {
    const { summary } = batch;
    const query = request.rawQueryString ?? '';
    const context = { batchId: summary.batchId, receivedAt: receivedAt.toISOString(), query };

    const decoded = decodeBody(request, settings);
    if (!decoded.ok) {
      if (decoded.status === 413) return { kind: 'body-too-large', message: decoded.message, batch };
      await keep(
        context,
        'invalid-body',
        [{ index: 0, bodyBase64: decoded.raw.toString('base64'), error: decoded.message }],
        deadline,
      );
      return { kind: 'invalid-body', message: decoded.message, batch };
    }
    batch.decoded = true;

    const envelope = parseEnvelope(decoded.text);
    if (envelope.kind === 'invalid') {
      await keep(
        context,
        'invalid-body',
        [{ index: 0, body: decoded.text, error: envelope.message }],
        deadline,
      );
      return { kind: 'invalid-body', message: envelope.message, batch };
    }
    const { events } = envelope;
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      const message = `more than ${MAX_EVENTS_PER_REQUEST} elements in events (${events.length}); send smaller batches`;
      return { kind: 'body-too-large', message, batch };
    }
    summary.received = events.length;
    if (events.length === 0) return { kind: 'accepted', batch };

    const { prepared, invalid } = prepareEvents(
      events,
      { source: settings.eventSource, resources: resourcesFromQuery(query), receivedAt },
      envelope.texts,
      envelope.shapes,
    );
    deps.drift.record(prepared);
    const lag = oldestEventLag(prepared, receivedAt);
    if (lag !== undefined) batch.eventLagSeconds = lag;

    const toPublish = await claimCheckOversized(prepared, receivedAt, summary, deadline);
    // The quarantine write runs while publishing; settled at once, so a failure that comes before
    // the publishing is done is never an unhandled rejection. Each write counts what it kept only
    // once it is done.
    const writes: Promise<PromiseSettledResult<void>>[] = [];
    if (invalid.length > 0) {
      const items = invalid.map((bad): QuarantineItem => {
        const item: QuarantineItem = { index: bad.index, error: bad.error };
        if (bad.text !== undefined) item.eventText = bad.text;
        else item.event = bad.event;
        return item;
      });
      writes.push(
        settle(
          keep(context, 'invalid-event', items, deadline).then(() => {
            summary.quarantined += items.length;
          }),
        ),
      );
    }
    const publishStart = deps.clock.now();
    const outcome = await publishEntries(toPublish, deps.bus, {
      ...deps.clock,
      ...deps.backoff,
      deadline: Math.min(
        publishStart + settings.publishBudgetMs,
        Math.max(publishStart, deadline - WRITE_RESERVE_MS),
      ),
    });
    batch.publishLatencyMs = deps.clock.now() - publishStart;
    batch.rounds = outcome.rounds;
    summary.published = outcome.published.length;

    if (outcome.rejected.length > 0) {
      const items = outcome.rejected.map((rejected) => ({
        index: rejected.item.index,
        entry: rejected.item.entry,
        error: `${rejected.errorCode}: ${rejected.errorMessage}`,
      }));
      writes.push(
        settle(
          keep(context, 'rejected-entry', items, deadline).then(() => {
            summary.quarantined += items.length;
          }),
        ),
      );
    }
    if (outcome.unsent.length > 0) {
      const unsent = outcome.unsent;
      writes.push(
        settle(
          spill(summary.batchId, unsent, outcome.lastError, deadline).then(() => {
            summary.spilled = unsent.length;
          }),
        ),
      );
    }
    const failed = (await Promise.all(writes)).find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    logger.info('batch accepted', { ...summary, rounds: outcome.rounds, query });
    return { kind: 'accepted', batch };
  }

  return async function receive(request) {
    const batchId = deps.newBatchId();
    logger.appendKeys({ batchId });
    const startedAt = deps.clock.now();
    // Every AWS call of this request ends by this time (epoch ms): the answer stays ours.
    const deadline = startedAt + (request.remainingTimeMs ?? Number.POSITIVE_INFINITY) - ANSWER_RESERVE_MS;

    let batch: BatchReport | undefined;
    try {
      const refused = await authenticate(request, deadline);
      if (refused) return refused;
      batch = {
        summary: { batchId, received: 0, published: 0, spilled: 0, quarantined: 0, claimChecked: 0 },
        decoded: false,
      };
      const version = headerValue(request.headers, BRAZE_VERSION_HEADER);
      if (version !== undefined && version.trim() !== SUPPORTED_BRAZE_VERSION) {
        batch.unsupportedVersion = version.slice(0, 20);
        logger.info('Braze-Currents-Version other than 1, accepted', { version: batch.unsupportedVersion });
      }
      return await receiveBatch(request, batch, new Date(startedAt), deadline);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      logger.error('batch not accepted', { dependency: error.dependency, ...batch?.summary });
      return batch
        ? { kind: 'unavailable', dependency: error.dependency, batch }
        : { kind: 'unavailable', dependency: error.dependency };
    }
  };
}
