/**
 * Braze's reaction to each HTTP status of a Currents request, as a pure decision so the simulator
 * loop stays a thin executor and the table is tested on its own.
 */

export type Reaction =
  /** 2xx: the batch is delivered. */
  | { kind: 'ack' }
  /** 5xx, 429, network errors: send the same batch again after a backoff. */
  | { kind: 'retry' }
  /** 400 on a batch: resend every event on its own so the good ones get through. */
  | { kind: 'split-singles' }
  /** 413 on a batch: resend each half. */
  | { kind: 'split-halves' }
  /** 400 or 413 on a single event: Braze gives up on that event. */
  | { kind: 'drop' }
  /** 401/403/404: the connector is misconfigured; Braze stops sending and tells the admin. */
  | { kind: 'stop' };

/** `status` undefined means the request never got an answer (connection refused, reset, timeout). */
export function reactionTo(status: number | undefined, batchSize: number): Reaction {
  if (status === undefined) return { kind: 'retry' };
  if (status >= 200 && status < 300) return { kind: 'ack' };
  if (status === 429 || status >= 500) return { kind: 'retry' };
  if (status === 401 || status === 403 || status === 404) return { kind: 'stop' };
  if (status === 413) return batchSize > 1 ? { kind: 'split-halves' } : { kind: 'drop' };
  // 400 and any other 4xx: the request as such is refused; singling out events isolates the bad one.
  return batchSize > 1 ? { kind: 'split-singles' } : { kind: 'drop' };
}

/** Splits a batch into two halves (the first one larger when the size is odd). */
export function splitInHalves<T>(batch: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(batch.length / 2);
  return [batch.slice(0, middle), batch.slice(middle)];
}

/** Cuts a list of events into consecutive batches of at most `size`. */
export function toBatches<T>(events: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const batches: T[][] = [];
  for (let start = 0; start < events.length; start += size) batches.push(events.slice(start, start + size));
  return batches;
}
