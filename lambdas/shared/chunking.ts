import { PUT_EVENTS_LIMITS } from './contract';

export interface ChunkLimits {
  maxItems: number;
  maxBytes: number;
}

/**
 * Splits items, in order, into the fewest consecutive chunks that each hold at most `maxItems`
 * items and at most `maxBytes` bytes. An item larger than `maxBytes` alone gets a chunk of its own:
 * the caller decides what to do with it (callers keep such items out beforehand).
 */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limits: ChunkLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const bytes = sizeOf(item);
    if (current.length > 0 && (current.length >= limits.maxItems || currentBytes + bytes > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export const PUT_EVENTS_CHUNK_LIMITS: ChunkLimits = {
  maxItems: PUT_EVENTS_LIMITS.maxEntriesPerRequest,
  maxBytes: PUT_EVENTS_LIMITS.maxRequestBytes,
};

/** Items that carry their entry size, computed once when the entry is built. */
export interface Sized {
  bytes: number;
}

/** PutEvents requests: at most 10 entries and 1 MB, sizes counted as EventBridge counts them. */
export function chunkForPutEvents<T extends Sized>(items: readonly T[]): T[][] {
  return chunkBySize(items, (item) => item.bytes, PUT_EVENTS_CHUNK_LIMITS);
}
