/**
 * A Braze Currents sender: posts events in batches the way Braze's Custom HTTP connector does and
 * reacts to every answer as Braze would (see `reaction.ts`), then reports what happened to each
 * event. Used by `npm run simulate` and, as a library, by the end-to-end tests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { BRAZE_VERSION_HEADER, SUPPORTED_BRAZE_VERSION } from '#lambdas/shared/contract';
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelayMs } from './backoff';
import { reactionTo, splitInHalves, toBatches } from './reaction';

/** Braze's default (and largest) Currents batch. */
export const BRAZE_MAX_BATCH_SIZE = 100;

export interface SimulateOptions {
  /** The connector URL, e.g. `http://127.0.0.1:3000/currents?app_group=brand-a`. */
  url: string;
  /** Bearer token; omitted means no `Authorization` header, as a connector without a token. */
  token?: string;
  events: readonly unknown[];
  /** Events per request, 1..100; default 100. */
  batchSize?: number;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  /** Send `Content-Encoding: gzip` bodies (Braze does not, but the receiver accepts them). */
  gzip?: boolean;
  backoff?: Partial<BackoffPolicy>;
  /** Attempts per request for retryable answers before its events count as dropped; default 10. */
  maxAttempts?: number;
  /** A request without an answer after this long counts as a network error; default 30 s. */
  requestTimeoutMs?: number;
  /** Extra headers, e.g. another `Braze-Currents-Version`. */
  headers?: Record<string, string>;
  onProgress?: (progress: SimulationProgress) => void;
  /** Stops the run early; events not yet delivered are reported as unsent. */
  signal?: AbortSignal;
  random?: () => number;
}

export interface DroppedEvent {
  id: string;
  /** The status of the last answer, or undefined after network errors only. */
  status: number | undefined;
  reason: string;
}

export interface SimulationProgress {
  total: number;
  acknowledged: number;
  dropped: number;
  requests: number;
  retries: number;
}

export interface SimulationReport {
  /** Events handed to the simulator (acknowledged + dropped + unsent). */
  sent: number;
  acknowledged: number;
  acknowledgedIds: string[];
  dropped: number;
  droppedEvents: DroppedEvent[];
  /** Events never delivered because the run stopped (401/403/404 or abort). */
  unsent: number;
  requests: number;
  retries: number;
  /** Answers by HTTP status; `network` counts requests that got no answer. */
  byStatus: Record<string, number>;
  /** Set when the connector stopped on 401/403/404, with the answer that stopped it. */
  stopped?: { status: number; body: string };
  durationMs: number;
}

interface Answer {
  status: number | undefined;
  retryAfter: string | null;
  body: string;
  error?: string;
}

/** Braze ids are strings; anything else is named by its position so the report still points at it. */
function eventId(event: unknown, index: number): string {
  if (typeof event === 'object' && event !== null && 'id' in event && typeof event.id === 'string')
    return event.id;
  return `#${index}`;
}

interface Item {
  id: string;
  event: unknown;
}

export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  const started = Date.now();
  const batchSize = options.batchSize ?? BRAZE_MAX_BATCH_SIZE;
  if (batchSize > BRAZE_MAX_BATCH_SIZE)
    throw new RangeError(`Braze sends at most ${BRAZE_MAX_BATCH_SIZE} events`);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const random = options.random ?? Math.random;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;

  const items: Item[] = options.events.map((event, index) => ({ id: eventId(event, index), event }));
  const report: SimulationReport = {
    sent: items.length,
    acknowledged: 0,
    acknowledgedIds: [],
    dropped: 0,
    droppedEvents: [],
    unsent: 0,
    requests: 0,
    retries: 0,
    byStatus: {},
    durationMs: 0,
  };
  const progress = () =>
    options.onProgress?.({
      total: report.sent,
      acknowledged: report.acknowledged,
      dropped: report.dropped,
      requests: report.requests,
      retries: report.retries,
    });
  const halted = () => report.stopped !== undefined || options.signal?.aborted === true;

  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [BRAZE_VERSION_HEADER]: SUPPORTED_BRAZE_VERSION,
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    ...options.headers,
  };

  async function post(batch: readonly Item[]): Promise<Answer> {
    const json = JSON.stringify({ events: batch.map((item) => item.event) });
    const body = options.gzip ? gzipSync(json) : json;
    report.requests++;
    try {
      const signals = [AbortSignal.timeout(requestTimeoutMs), ...(options.signal ? [options.signal] : [])];
      const response = await fetch(options.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any(signals),
      });
      const text = await response.text();
      count(String(response.status));
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text };
    } catch (error) {
      count('network');
      return { status: undefined, retryAfter: null, body: '', error: (error as Error).message };
    }
  }

  function count(key: string): void {
    report.byStatus[key] = (report.byStatus[key] ?? 0) + 1;
  }

  function drop(batch: readonly Item[], status: number | undefined, reason: string): void {
    for (const item of batch) report.droppedEvents.push({ id: item.id, status, reason });
    report.dropped += batch.length;
  }

  async function deliver(batch: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (halted()) {
        report.unsent += batch.length;
        return;
      }
      const answer = await post(batch);
      const reaction = reactionTo(answer.status, batch.length);
      switch (reaction.kind) {
        case 'ack':
          report.acknowledged += batch.length;
          for (const item of batch) report.acknowledgedIds.push(item.id);
          progress();
          return;
        case 'drop':
          drop(batch, answer.status, `HTTP ${answer.status} for a single event`);
          progress();
          return;
        case 'stop':
          report.stopped ??= { status: answer.status ?? 0, body: answer.body };
          report.unsent += batch.length;
          progress();
          return;
        case 'split-singles':
          for (const item of batch) await deliver([item]);
          return;
        case 'split-halves':
          for (const half of splitInHalves(batch)) await deliver(half);
          return;
        case 'retry': {
          if (attempt >= maxAttempts) {
            const last =
              answer.status === undefined ? `network error: ${answer.error}` : `HTTP ${answer.status}`;
            drop(batch, answer.status, `gave up after ${attempt} attempts (last: ${last})`);
            progress();
            return;
          }
          report.retries++;
          progress();
          try {
            await sleep(retryDelayMs(attempt - 1, answer.retryAfter, policy, random), undefined, {
              signal: options.signal,
            });
          } catch {
            // Aborted while waiting: the loop head reports the batch as unsent.
          }
        }
      }
    }
  }

  const queue = toBatches(items, batchSize);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < queue.length) {
      const batch = queue[next++] as Item[];
      await deliver(batch);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  report.durationMs = Date.now() - started;
  return report;
}
