/**
 * Writes Braze events as archive objects in the local S3 layout, exactly where the local Firehose
 * puts them (`<dataDir>/s3/<bucket>/events/event_type=<partition value>/dt=YYYY-MM-DD/hour=HH/<name>.gz`,
 * gzip JSON lines): for tests and the benchmark, which need a known archive without running the
 * pipeline.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { eventTypePartitionValue } from '#lambdas/shared/archive-partition';
import { S3_PREFIX } from '#lambdas/shared/contract';

export interface ArchivedLine {
  /** The event as archived; its `event_type` chooses the partition. */
  readonly event: { readonly event_type: string; readonly [field: string]: unknown };
  /** A line to archive instead of the event's JSON (e.g. one that is not JSON). */
  readonly raw?: string;
  /** When the archive received it: chooses `dt` and `hour` (UTC). */
  readonly arrival: Date;
}

/** The `dt=…/hour=…/` part of a key for an arrival time (UTC). */
export function arrivalPartition(arrival: Date): { dt: string; hour: string } {
  const iso = arrival.toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * Writes the lines as one object per partition (type, day, hour), as Firehose does per buffer.
 * @returns the paths written
 */
export function writeArchiveObjects(
  dataDir: string,
  bucket: string,
  lines: readonly ArchivedLine[],
): string[] {
  const objects = new Map<string, string[]>();
  for (const { event, arrival, raw } of lines) {
    const { dt, hour } = arrivalPartition(arrival);
    const prefix = `${S3_PREFIX.archive}event_type=${eventTypePartitionValue(event.event_type)}/dt=${dt}/hour=${hour}/`;
    const texts = objects.get(prefix) ?? [];
    texts.push(raw ?? JSON.stringify(event));
    objects.set(prefix, texts);
  }
  const written: string[] = [];
  for (const [prefix, texts] of objects) {
    const dir = path.join(dataDir, 's3', bucket, prefix);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `archive-${randomUUID()}.gz`);
    writeFileSync(file, gzipSync(`${texts.join('\n')}\n`));
    written.push(file);
  }
  return written;
}
