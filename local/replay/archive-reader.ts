/**
 * Reads the S3 archive by partition: `events/event_type=<value>/dt=YYYY-MM-DD/hour=HH/<object>.gz`,
 * each object gzip JSON lines (one Braze event per line, as the archive's Firehose stream writes
 * them). `<value>` is the jq 1.6 `@uri` encoding of the event type (lambdas/shared/archive-partition.ts);
 * `dt`/`hour` are the UTC hour the archive received the event.
 *
 * Two places hold such objects: an S3 bucket (any SDK v3 S3 client, `AWS_ENDPOINT_URL_S3` honoured),
 * or local mode's data directory, where every archive object is a plain file at
 * `<dataDir>/s3/<bucket>/<key>` (the local S3 layout: readable while `npm start` runs or after).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { eventTypeFromPartitionValue } from '#lambdas/shared/archive-partition';
import { S3_PREFIX } from '#lambdas/shared/contract';
import { selects } from '#lambdas/shared/event-types';
import { UserError } from '#lib/cli';

const HOUR_MS = 3_600_000;

/** One archive object: where it is, and the partition it is in. */
export interface ArchiveObject {
  /** The S3 key (`events/event_type=.../dt=.../hour=.../name.gz`). */
  key: string;
  eventType: string;
  /** Start of the partition's hour (UTC). */
  hour: Date;
}

/** Where archive objects are listed and read from. */
export interface ArchiveStore {
  /** A name for people: `s3://bucket` or the local directory. */
  readonly location: string;
  /** The `event_type=` partition values under `events/`. */
  listEventTypePartitions(): Promise<string[]>;
  /** Keys of the objects directly under `prefix` (which ends with `/`), in key order. */
  listObjects(prefix: string): Promise<string[]>;
  /** The "folders" directly under `prefix` (which ends with `/`): full prefixes ending with `/`. */
  listPrefixes(prefix: string): Promise<string[]>;
  read(key: string): Promise<Buffer>;
}

/**
 * The UTC hours whose partitions overlap `[since, until)`: from the hour holding `since` to the
 * hour before `until` (or holding it, when `until` is not on the hour).
 * @throws Error when `since` is not before `until`
 */
export function partitionHours(since: Date, until: Date): Date[] {
  if (!(since.getTime() < until.getTime())) throw new Error('--since must be before --until');
  const hours: Date[] = [];
  for (let hour = Math.floor(since.getTime() / HOUR_MS) * HOUR_MS; hour < until.getTime(); hour += HOUR_MS) {
    hours.push(new Date(hour));
  }
  return hours;
}

/** `dt=YYYY-MM-DD/hour=HH/` of an hour, as the archive's Firehose prefix writes it. */
export function hourPrefix(hour: Date): string {
  const iso = hour.toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/**
 * The archive objects of the selected event types and hours, hour by hour (oldest first), event
 * types in name order within an hour. With no selectors every event type is read.
 *
 * Only partitions that exist are listed: per event type its `dt=` days, then the `hour=` folders of
 * the days in range, then the objects of the hours in range. The listing calls so grow with the
 * data in the range, not with its length (a ten-year `--since` over a young archive costs a few
 * calls per event type, not one per hour and type).
 * `onSkippedPartition` hears of a partition value that is not valid `@uri` text (never written by
 * the archive; such a directory is left alone).
 */
export async function* archiveObjects(
  store: ArchiveStore,
  hours: readonly Date[],
  selectors: readonly string[],
  onSkippedPartition: (value: string) => void = () => undefined,
): AsyncGenerator<ArchiveObject> {
  const eventTypes: { value: string; eventType: string }[] = [];
  for (const value of await store.listEventTypePartitions()) {
    let eventType: string;
    try {
      eventType = eventTypeFromPartitionValue(value);
    } catch {
      onSkippedPartition(value);
      continue;
    }
    if (selectors.length === 0 || selectors.some((selector) => selects(selector, eventType))) {
      eventTypes.push({ value, eventType });
    }
  }
  eventTypes.sort((a, b) => (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : 0));
  const wantedHours = new Set(hours.map(hourPrefix));
  const wantedDays = new Set([...wantedHours].map((prefix) => prefix.slice(0, 'dt=YYYY-MM-DD/'.length)));
  // Per hour prefix (`dt=…/hour=…/`), the event types that have a partition there.
  const present = new Map<string, { value: string; eventType: string }[]>();
  for (const type of eventTypes) {
    const typePrefix = `${S3_PREFIX.archive}event_type=${type.value}/`;
    for (const dayPrefix of await store.listPrefixes(typePrefix)) {
      if (!wantedDays.has(dayPrefix.slice(typePrefix.length))) continue;
      for (const hourFolder of await store.listPrefixes(dayPrefix)) {
        const hour = hourFolder.slice(typePrefix.length);
        if (!wantedHours.has(hour)) continue;
        const types = present.get(hour) ?? [];
        types.push(type);
        present.set(hour, types);
      }
    }
  }
  for (const hour of hours) {
    for (const { value, eventType } of present.get(hourPrefix(hour)) ?? []) {
      const prefix = `${S3_PREFIX.archive}event_type=${value}/${hourPrefix(hour)}`;
      for (const key of await store.listObjects(prefix)) yield { key, eventType, hour };
    }
  }
}

/** The JSON lines of one archive object (gzip, or plain when not gzip). */
export function archiveLines(body: Buffer): string[] {
  const text = (isGzip(body) ? gunzipSync(body) : body).toString('utf8');
  return text.split('\n').filter((line) => line.trim() !== '');
}

function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** An archive bucket in S3 (or any S3 endpoint). */
export function s3ArchiveStore(client: S3Client, bucket: string): ArchiveStore {
  const list = async (prefix: string, delimiter: string) => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) prefixes.push(common.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  };
  return {
    location: `s3://${bucket}`,
    async listEventTypePartitions() {
      const marker = `${S3_PREFIX.archive}event_type=`;
      const { prefixes } = await list(marker, '/');
      return prefixes.map((prefix) => prefix.slice(marker.length).replace(/\/$/, ''));
    },
    async listObjects(prefix) {
      return (await list(prefix, '/')).keys.sort();
    },
    async listPrefixes(prefix) {
      return (await list(prefix, '/')).prefixes.sort();
    },
    async read(key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = object.Body as { transformToByteArray(): Promise<Uint8Array> } | undefined;
      if (!body) throw new Error(`s3://${bucket}/${key} has no body`);
      return Buffer.from(await body.transformToByteArray());
    },
  };
}

/** A bucket directory of local mode: `<dataDir>/s3/<bucket>/`, objects as plain files. */
export function localArchiveStore(bucketDirectory: string): ArchiveStore {
  return {
    location: bucketDirectory,
    async listEventTypePartitions() {
      const entries = await readdirOrEmpty(path.join(bucketDirectory, S3_PREFIX.archive));
      return entries
        .filter((entry) => entry.isDirectory() && entry.name.startsWith('event_type='))
        .map((entry) => entry.name.slice('event_type='.length));
    },
    async listObjects(prefix) {
      const entries = await readdirOrEmpty(path.join(bucketDirectory, prefix));
      return entries
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => `${prefix}${entry.name}`)
        .sort();
    },
    async listPrefixes(prefix) {
      const entries = await readdirOrEmpty(path.join(bucketDirectory, prefix));
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${prefix}${entry.name}/`)
        .sort();
    },
    read(key) {
      return readFile(path.join(bucketDirectory, key));
    },
  };
}

/**
 * The local archive bucket directory under a data directory: the one bucket under `<dataDir>/s3/`
 * holding an `events/` folder.
 * @throws UserError naming what was found and what to do when there is none, or more than one
 */
export async function findLocalArchiveBucket(dataDir: string): Promise<string> {
  const dataDirectory = await stat(dataDir).catch(() => undefined);
  if (!dataDirectory?.isDirectory()) {
    throw new UserError(
      `no local data dir at ${dataDir}: give local mode's data dir with --data-dir (or $CURRENTS_DATA_DIR), or --bucket to read the archive in S3`,
    );
  }
  const s3Directory = path.join(dataDir, 's3');
  const buckets: string[] = [];
  for (const entry of await readdirOrEmpty(s3Directory)) {
    if (!entry.isDirectory()) continue;
    const events = await stat(path.join(s3Directory, entry.name, S3_PREFIX.archive)).catch(() => undefined);
    if (events?.isDirectory()) buckets.push(entry.name);
  }
  if (buckets.length === 1) return path.join(s3Directory, buckets[0] as string);
  if (buckets.length === 0) {
    throw new UserError(
      `no local archive under ${s3Directory} (no bucket with an ${S3_PREFIX.archive} folder); run npm start and send events first, or pass --bucket to read S3`,
    );
  }
  throw new UserError(
    `several local buckets hold an archive under ${s3Directory} (${buckets.join(', ')}); point AWS_ENDPOINT_URL_S3 at local mode's S3 and choose one with --bucket`,
  );
}

async function readdirOrEmpty(directory: string) {
  try {
    return await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
