import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { eventTypePartitionValue } from '#lambdas/shared/archive-partition';
import {
  evaluatePrefix,
  FirehoseDeliveryStream,
  formatTimestamp,
  jqUri,
  type ObjectStore,
  partitionPrefix,
} from '#local/stand-ins/eventbridge/firehose';
import type { FirehoseDestination } from '#local/stand-ins/eventbridge/routes';
import { parseMetadataExtractionQuery } from '#local/stand-ins/eventbridge/routes';

const arrival = new Date('2026-03-04T05:06:07Z');

const destination: FirehoseDestination = {
  streamLogicalId: 'Stream',
  streamName: 'archive',
  bucketName: 'bucket',
  prefix:
    'events/event_type=!{partitionKeyFromQuery:event_type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
  errorOutputPrefix: 'archive-errors/!{firehose:error-output-type}/',
  partitionKeyQueries: { event_type: '.event_type' },
  recordDelimiter: '\n',
  compression: 'GZIP',
  fileExtension: '.gz',
  bufferingIntervalSeconds: 60,
  bufferingSizeBytes: 1024,
};

class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  failing = false;
  async putObject(bucket: string, key: string, body: Buffer): Promise<void> {
    if (this.failing) throw new Error('S3 down');
    this.objects.set(`${bucket}/${key}`, body);
  }
}

describe('Firehose prefixes', () => {
  it('formats the Java timestamp letters Firehose prefixes use, in UTC', () => {
    expect(formatTimestamp(arrival, 'yyyy/MM/dd/HH-mm-ss')).toBe('2026/03/04/05-06-07');
  });

  it('fills partition keys from the JQ query and the arrival time', () => {
    const result = partitionPrefix(
      destination,
      '{"event_type":"users.behaviors.Purchase","id":"1"}',
      arrival,
    );

    expect(result).toEqual({ prefix: 'events/event_type=users.behaviors.Purchase/dt=2026-03-04/hour=05/' });
  });

  it('cannot partition a record without the key, or one that is not JSON', () => {
    expect(partitionPrefix(destination, '{"id":"1"}', arrival)).toHaveProperty('error');
    expect(partitionPrefix(destination, 'not json', arrival)).toHaveProperty('error');
  });

  it('adds the default YYYY/MM/DD/HH/ when there is no dynamic partitioning and no expression', () => {
    const plain = { ...destination, prefix: 'raw/', partitionKeyQueries: {} };

    expect(partitionPrefix(plain, 'anything', arrival)).toEqual({ prefix: 'raw/2026/03/04/05/' });
  });

  it('refuses expressions it does not emulate', () => {
    expect(() => evaluatePrefix('!{partitionKeyFromLambda:x}/', {}, arrival, undefined)).toThrow(
      /Unsupported/,
    );
  });

  it('partitions by jq @uri of the type: a path-like event_type stays one segment', () => {
    const uri = { ...destination, partitionKeyQueries: { event_type: '.event_type|@uri' } };
    const result = partitionPrefix(uri, '{"event_type":"../../../../../../../../x"}', arrival);
    expect(result).toEqual({
      prefix: 'events/event_type=..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fx/dt=2026-03-04/hour=05/',
    });
    expect(partitionPrefix(uri, '{"event_type":"users.behaviors.Purchase"}', arrival)).toEqual({
      prefix: 'events/event_type=users.behaviors.Purchase/dt=2026-03-04/hour=05/',
    });
  });

  it("implements jq 1.6's @uri: unreserved characters kept, every other UTF-8 byte as %XX", () => {
    expect(jqUri("aZ09-_.!~*'()")).toBe("aZ09-_.!~*'()");
    expect(jqUri('a b/é€😀%')).toBe('a%20b%2F%C3%A9%E2%82%AC%F0%9F%98%80%25');
  });

  it("agrees with the receiver's own partition encoding on any text (written separately)", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(jqUri(text)).toBe(eventTypePartitionValue(text));
      }),
    );
  });

  it('reads the (.field|@uri) query the archive uses', () => {
    expect(parseMetadataExtractionQuery('{"event_type":(.event_type|@uri)}')).toEqual({
      event_type: '.event_type|@uri',
    });
    expect(() => parseMetadataExtractionQuery('{"event_type":(.event_type|@uri}')).toThrow(/Unsupported/);
  });

  it('reads the simple {key: .field} MetadataExtractionQuery and refuses richer JQ', () => {
    expect(parseMetadataExtractionQuery('{"event_type":.event_type, app: .app.id}')).toEqual({
      event_type: '.event_type',
      app: '.app.id',
    });
    expect(() => parseMetadataExtractionQuery('{t: .a | ascii_downcase}')).toThrow(/Unsupported/);
  });
});

describe('FirehoseDeliveryStream', () => {
  const streams: FirehoseDeliveryStream[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) await stream.stop();
  });

  const open = (store: ObjectStore, overrides: Partial<FirehoseDestination> = {}) => {
    const stream = new FirehoseDeliveryStream({ ...destination, ...overrides }, store, {
      flushIntervalMs: 60_000,
      now: () => arrival,
    });
    streams.push(stream);
    return stream;
  };

  it('buffers until flushed, then writes one gzip object per partition with the stream name in the key', async () => {
    const store = new MemoryStore();
    const stream = open(store);

    stream.put('{"event_type":"a","id":1}');
    stream.put('{"event_type":"a","id":2}');
    stream.put('{"event_type":"b","id":3}');
    const beforeFlush = store.objects.size;
    await stream.flush();

    const objects = [...store.objects.entries()].map(([key, body]) => [
      key,
      gunzipSync(body).toString('utf8'),
    ]);
    expect(beforeFlush).toBe(0);
    expect(objects).toHaveLength(2);
    expect(objects.find(([key]) => key?.includes('event_type=a/'))?.[1]).toBe(
      '{"event_type":"a","id":1}\n{"event_type":"a","id":2}\n',
    );
    expect(objects.map(([key]) => key)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^bucket\/events\/event_type=b\/dt=2026-03-04\/hour=05\/archive-1-2026-03-04-05-06-07-.+\.gz$/,
        ),
      ]),
    );
    expect(stream.stats).toMatchObject({ recordsIn: 3, recordsDelivered: 3, objectsWritten: 2 });
  });

  it('writes a buffer as soon as it reaches the buffering size', async () => {
    const store = new MemoryStore();
    const stream = open(store, { bufferingSizeBytes: 10 });

    stream.put('{"event_type":"a","pad":"more than ten bytes"}');
    await stream.flush();

    expect(store.objects.size).toBe(1);
  });

  it('writes uncompressed objects when compression is off', async () => {
    const store = new MemoryStore();
    const stream = open(store, { compression: 'UNCOMPRESSED', fileExtension: '' });

    stream.put('{"event_type":"a"}');
    await stream.flush();

    expect([...store.objects.values()][0]?.toString('utf8')).toBe('{"event_type":"a"}\n');
  });

  it('keeps records while the store fails and writes them on a later flush', async () => {
    const store = new MemoryStore();
    const stream = open(store);
    store.failing = true;

    stream.put('{"event_type":"a"}');
    await stream.flush();
    const pendingWhileFailing = stream.pendingRecords;
    store.failing = false;
    await stream.flush();

    expect(pendingWhileFailing).toBe(1);
    expect(stream.pendingRecords).toBe(0);
    expect(store.objects.size).toBe(1);
    expect(stream.stats.deliveryErrors).toBe(1);
  });
});
