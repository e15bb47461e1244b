/**
 * A local Amazon Data Firehose delivery stream with an extended S3 destination, as a rule target:
 * dynamic partitioning from the MetadataExtraction JQ query (`{key: .field}`), the `Prefix` with
 * `!{partitionKeyFromQuery:…}` and `!{timestamp:…}` expressions, the record delimiter, GZIP,
 * buffering (a short local interval instead of minutes, size as configured, and a flush on stop),
 * records it cannot partition under `ErrorOutputPrefix`, and retries while S3 is unavailable.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FirehoseDestination } from './routes';

/** The one S3 call Firehose makes; a narrow interface so tests can use any store. */
export interface ObjectStore {
  putObject(bucket: string, key: string, body: Buffer): Promise<void>;
}

export interface FirehoseOptions {
  /** How often buffers are written out locally; default 1000 ms (the service waits 60–900 s). */
  flushIntervalMs?: number;
  /** Arrival clock, for tests; default the current time. */
  now?: () => Date;
}

export interface FirehoseStats {
  recordsIn: number;
  recordsDelivered: number;
  recordsFailedPartitioning: number;
  objectsWritten: number;
  /** S3 writes that failed and were retried later. */
  deliveryErrors: number;
}

interface Buffered {
  bucketKeyPrefix: string;
  records: Buffer[];
  bytes: number;
  failedPartitioning: boolean;
}

export class FirehoseDeliveryStream {
  readonly stats: FirehoseStats = {
    recordsIn: 0,
    recordsDelivered: 0,
    recordsFailedPartitioning: 0,
    objectsWritten: 0,
    deliveryErrors: 0,
  };
  private readonly buffers = new Map<string, Buffered>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => Date;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly destination: FirehoseDestination,
    private readonly store: ObjectStore,
    options: FirehoseOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Records waiting in buffers (not yet in S3). */
  get pendingRecords(): number {
    let count = 0;
    for (const buffer of this.buffers.values()) count += buffer.records.length;
    return count;
  }

  /** Takes one record (the JSON text the rule target sends). */
  put(recordText: string): void {
    this.stats.recordsIn += 1;
    const arrival = this.now();
    const partitioned = partitionPrefix(this.destination, recordText, arrival);
    if ('prefix' in partitioned) {
      this.append(
        partitioned.prefix,
        Buffer.from(recordText + this.destination.recordDelimiter, 'utf8'),
        false,
      );
    } else {
      this.stats.recordsFailedPartitioning += 1;
      const errorRecord = {
        attemptsMade: 1,
        arrivalTimestamp: arrival.getTime(),
        errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
        errorMessage: partitioned.error,
        attemptEndingTimestamp: arrival.getTime(),
        rawData: Buffer.from(recordText, 'utf8').toString('base64'),
      };
      const errorPrefix = evaluatePrefix(
        errorPrefixTemplate(this.destination),
        {},
        arrival,
        'processing-failed',
      );
      this.append(errorPrefix, Buffer.from(`${JSON.stringify(errorRecord)}\n`, 'utf8'), true);
    }
  }

  /** Writes every buffer to S3 now; buffers whose write fails stay for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeAll());
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private append(prefix: string, record: Buffer, failedPartitioning: boolean): void {
    const bufferKey = `${failedPartitioning ? 'error' : 'ok'}:${prefix}`;
    const buffer = this.buffers.get(bufferKey) ?? {
      bucketKeyPrefix: prefix,
      records: [],
      bytes: 0,
      failedPartitioning,
    };
    buffer.records.push(record);
    buffer.bytes += record.length;
    this.buffers.set(bufferKey, buffer);
    if (buffer.bytes >= this.destination.bufferingSizeBytes) void this.flush();
  }

  private async writeAll(): Promise<void> {
    const ready = [...this.buffers.entries()];
    this.buffers.clear();
    await Promise.all(ready.map(([bufferKey, buffer]) => this.write(bufferKey, buffer)));
  }

  private async write(bufferKey: string, buffer: Buffered): Promise<void> {
    const content = Buffer.concat(buffer.records);
    const body = this.destination.compression === 'GZIP' ? gzipSync(content) : content;
    const key = `${buffer.bucketKeyPrefix}${this.destination.streamName}-1-${formatTimestamp(this.now(), 'yyyy-MM-dd-HH-mm-ss')}-${randomUUID()}${this.destination.fileExtension}`;
    try {
      await this.store.putObject(this.destination.bucketName, key, body);
      this.stats.objectsWritten += 1;
      if (!buffer.failedPartitioning) this.stats.recordsDelivered += buffer.records.length;
    } catch {
      // Firehose keeps retrying S3 for up to 24 h; locally the records simply wait for the next flush.
      this.stats.deliveryErrors += 1;
      const current = this.buffers.get(bufferKey);
      if (current) {
        current.records.unshift(...buffer.records);
        current.bytes += buffer.bytes;
      } else {
        this.buffers.set(bufferKey, buffer);
      }
    }
  }
}

function errorPrefixTemplate(destination: FirehoseDestination): string {
  return destination.errorOutputPrefix || '!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/';
}

/** The S3 key prefix of one record, or why it cannot be partitioned. */
export function partitionPrefix(
  destination: FirehoseDestination,
  recordText: string,
  arrival: Date,
): { prefix: string } | { error: string } {
  const queries = Object.entries(destination.partitionKeyQueries);
  const keys: Record<string, string> = {};
  if (queries.length > 0) {
    let record: unknown;
    try {
      record = JSON.parse(recordText);
    } catch {
      return { error: 'Non JSON record provided' };
    }
    for (const [name, query] of queries) {
      const [path = '', filter] = query.split('|');
      const value = selectJqPath(record, path);
      if (value === undefined || value === null || typeof value === 'object') {
        return { error: `The partition key ${name} (${path}) is missing or not a scalar in the record` };
      }
      keys[name] = filter === '@uri' ? jqUri(String(value)) : String(value);
    }
  }
  try {
    const template =
      destination.prefix.includes('!{') || queries.length > 0
        ? destination.prefix
        : `${destination.prefix}!{timestamp:yyyy/MM/dd/HH}/`;
    return { prefix: evaluatePrefix(template, keys, arrival, undefined) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * jq 1.6's `@uri` filter, written here from jq 1.6's manual and source (`src/builtin.c`, the
 * `@uri` format: every byte of the UTF-8 text that is not one of `A–Z a–z 0–9 - _ . ! ~ * ' ( )`
 * becomes `%XX`, upper-case hex). Deliberately not imported from the receiver's
 * `archive-partition.ts`: a stand-in that shares the code it checks proves nothing.
 */
export function jqUri(text: string): string {
  const keep = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()");
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && keep.has(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `.a.b` on a parsed record. */
function selectJqPath(record: unknown, path: string): unknown {
  let current = record;
  for (const segment of path.split('.').filter(Boolean)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Fills `!{namespace:expression}` as Firehose does; unknown namespaces are an error. */
export function evaluatePrefix(
  template: string,
  partitionKeys: Record<string, string>,
  arrival: Date,
  errorOutputType: string | undefined,
): string {
  return template.replace(/!\{([\w-]+):([^}]*)\}/g, (_, namespace: string, expression: string) => {
    if (namespace === 'timestamp') return formatTimestamp(arrival, expression);
    if (namespace === 'partitionKeyFromQuery') {
      const value = partitionKeys[expression];
      if (value === undefined)
        throw new Error(`No partition key ${expression} in the MetadataExtractionQuery`);
      return value;
    }
    if (namespace === 'firehose' && expression === 'error-output-type' && errorOutputType)
      return errorOutputType;
    if (namespace === 'firehose' && expression === 'random-string') return randomUUID().slice(0, 11);
    throw new Error(`Unsupported prefix expression !{${namespace}:${expression}}`);
  });
}

/** The Java `DateTimeFormatter` letters Firehose prefixes use, in UTC. */
export function formatTimestamp(time: Date, pattern: string): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const fields: Record<string, string> = {
    yyyy: String(time.getUTCFullYear()),
    MM: pad(time.getUTCMonth() + 1),
    dd: pad(time.getUTCDate()),
    HH: pad(time.getUTCHours()),
    mm: pad(time.getUTCMinutes()),
    ss: pad(time.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => fields[token] ?? token);
}
