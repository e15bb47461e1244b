/**
 * The S3 stand-in: a small S3 REST server of our own, keeping every object as an ordinary file
 * under `<dataDir>/s3/<bucket>/` (the key-to-path mapping is in ./s3/key-path.ts, documented in
 * docs/s3-stand-in.md), on an ephemeral loopback port.
 *
 * Why our own: no S3 server on npm fits local mode. `s3rver` is unmaintained, stores objects as
 * `<key>._S3rver_object`, turns keys into paths unchecked, never truncates listings on Node 17+
 * and stores aws-chunked bodies verbatim; its maintained fork `@20minutes/s3rver` keeps the same
 * file layout and path handling (and its current major needs Node 24); `@push.rocks/smarts3` and
 * `serverless-s3-local` wrap s3rver; MinIO, S3Mock and LocalStack need a binary, a JVM or Docker.
 *
 * What it serves (path-style, or `<bucket>.localhost` virtual hosts), for the calls this project,
 * the SDK's multipart upload (`@aws-sdk/lib-storage`) and the AWS CLI's `s3 ls`/`cp`/`sync`/`mb`/
 * `rb`/`rm` make: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 * ListObjectsV2, ListObjects, PutObject, GetObject (with Range), HeadObject, DeleteObject,
 * DeleteObjects, CopyObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload. Other operations answer `NotImplemented`. Any credentials are accepted
 * and signatures are not checked.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { closeServer, listenOnLoopback } from './loopback-server';
import { AwsChunkedDecoder, AwsChunkedError } from './s3/aws-chunked';
import {
  CHECKSUM_ALGORITHMS,
  type Checksum,
  type ChecksumAlgorithm,
  checksumHeader,
  createChecksum,
  createMd5,
  isChecksumAlgorithm,
} from './s3/checksums';
import { S3Error, s3Errors } from './s3/errors';
import { FileStore, isValidBucketName, type ObjectMetadata, type OpenedObject } from './s3/file-store';
import { listPage, MAX_KEYS_LIMIT } from './s3/listing';
import { parseXml, type XmlElement, xmlDocument } from './s3/xml';

export interface S3StandInOptions {
  /** Objects go under `<dataDir>/s3/`. */
  dataDir: string;
  /** Buckets created at start (kept if they exist). */
  buckets: readonly string[];
  port?: number;
  /** The Region the buckets are in (GetBucketLocation, `x-amz-bucket-region`); default us-east-1. */
  region?: string;
}

/**
 * Settings an S3 client needs against the stand-in: path-style addressing (the stand-in runs on
 * `127.0.0.1`, which has no `<bucket>.` sub-domains). The SDK's default checksums are accepted.
 */
export const S3_CLIENT_SETTINGS_FOR_STAND_IN = { forcePathStyle: true } as const;

/** Largest single PUT: 5 GiB. https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** Longest key: 1,024 bytes of UTF-8. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_KEY_BYTES = 1024;
/**
 * Multipart limits: parts numbered 1 to 10,000, each but the last at least 5 MiB.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 */
export const MULTIPART_LIMITS = { minPartBytes: 5 * 1024 ** 2, maxParts: 10_000 } as const;
/** User-defined metadata: at most 2 KB (names and values, UTF-8). https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html */
export const MAX_USER_METADATA_BYTES = 2048;
/** DeleteObjects: at most 1,000 keys. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html */
export const MAX_DELETE_KEYS = 1000;

/** Content-Type S3 gives an object stored without one. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
/** Representation headers stored with an object and returned on GET/HEAD. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-language', 'expires'] as const;
/** Query parameters that carry no sub-resource (SigV4 presigning, the SDK's `x-id`, `response-*`). */
const IGNORED_QUERY = /^(x-id|x-amz-.*|response-.*|versionId)$/i;

interface RequestTarget {
  bucket: string;
  key: string;
  query: URLSearchParams;
}

interface ReceivedBody {
  tempPath: string;
  size: number;
  md5: Buffer;
  /** Checksums computed over the received bytes (CRC64NVME always, plus any the client declared). */
  computed: Partial<Record<ChecksumAlgorithm, string>>;
  /** The algorithm the client sent a checksum for, if any. */
  declared?: ChecksumAlgorithm;
  /** `Content-Encoding` without `aws-chunked`. */
  contentEncoding?: string;
}

interface UploadRecord {
  bucket: string;
  key: string;
  metadata: Omit<ObjectMetadata, 'etag' | 'checksums' | 'checksumType'>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  initiated: string;
}

interface PartRecord {
  partNumber: number;
  etag: string;
  size: number;
  md5: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** Hashes what streams through it. */
class Hashing extends Transform {
  size = 0;
  constructor(private readonly hashes: Checksum[]) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    for (const hash of this.hashes) hash.update(chunk);
    callback(undefined, chunk);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export class S3StandIn {
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private readonly store: FileStore;
  private readonly region: string;

  constructor(private readonly options: S3StandInOptions) {
    this.store = new FileStore(join(options.dataDir, 's3'));
    this.region = options.region ?? 'us-east-1';
  }

  /** Where the objects are stored: `<dataDir>/s3/<bucket>/<path of key>`. */
  get directory(): string {
    return this.store.root;
  }

  async start(): Promise<{ url: string }> {
    if (this.server) throw new Error('already started');
    await this.store.init();
    // Bodies a crash left half-received are never objects; start clean.
    await rm(join(this.store.internal, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.store.internal, 'tmp'), { recursive: true });
    for (const bucket of this.options.buckets) {
      if (!isValidBucketName(bucket)) throw new Error(`invalid S3 bucket name: ${bucket}`);
      await this.store.createBucket(bucket);
    }
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
    this.baseUrl = await listenOnLoopback(server, this.options.port ?? 0, '127.0.0.1');
    this.server = server;
    return { url: this.baseUrl };
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('not started');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeServer(server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    response.setHeader('x-amz-request-id', requestId);
    response.setHeader('x-amz-id-2', requestId);
    try {
      await this.route(request, response);
    } catch (error) {
      // Whatever is left of the body must not be taken for the next request on this connection.
      request.resume();
      const s3Error =
        error instanceof S3Error
          ? error
          : error instanceof AwsChunkedError
            ? s3Errors.incompleteBody()
            : new S3Error(
                'InternalError',
                500,
                `We encountered an internal error: ${(error as Error).message}`,
              );
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const body =
        request.method === 'HEAD'
          ? ''
          : xmlDocument(
              'Error',
              { Code: s3Error.code, Message: s3Error.message, ...s3Error.details, RequestId: requestId },
              false,
            );
      response.writeHead(s3Error.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    }
  }

  /** Bucket, key and query of a request, path-style or `<bucket>.localhost` virtual-hosted. */
  private target(request: IncomingMessage): RequestTarget {
    const raw = request.url ?? '/';
    const at = raw.indexOf('?');
    const path = at >= 0 ? raw.slice(0, at) : raw;
    const query = new URLSearchParams(at >= 0 ? raw.slice(at + 1) : '');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw s3Errors.invalidUri();
      }
    };
    const host = (header(request, 'host') ?? '').replace(/:\d+$/, '');
    if (host.endsWith('.localhost')) {
      return { bucket: host.slice(0, -'.localhost'.length), key: decode(path.slice(1)), query };
    }
    const slash = path.indexOf('/', 1);
    if (slash < 0) return { bucket: decode(path.slice(1)), key: '', query };
    return { bucket: decode(path.slice(1, slash)), key: decode(path.slice(slash + 1)), query };
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = this.target(request);
    const method = request.method ?? 'GET';
    const { bucket, key, query } = target;
    for (const name of query.keys()) {
      const known = [
        'list-type',
        'prefix',
        'delimiter',
        'max-keys',
        'continuation-token',
        'start-after',
        'encoding-type',
        'fetch-owner',
        'marker',
        'uploads',
        'uploadId',
        'partNumber',
        'delete',
        'location',
      ];
      if (!known.includes(name) && !IGNORED_QUERY.test(name)) throw s3Errors.notImplemented(`?${name}`);
    }
    if (bucket === '') {
      if (method === 'GET') return this.listBuckets(response);
      throw s3Errors.methodNotAllowed(method);
    }
    if (key === '') {
      switch (method) {
        case 'PUT':
          return this.createBucket(request, response, bucket);
        case 'HEAD':
          await this.requireBucket(bucket);
          response.writeHead(200, { 'x-amz-bucket-region': this.region });
          response.end();
          return;
        case 'DELETE':
          return this.deleteBucket(response, bucket);
        case 'GET':
          await this.requireBucket(bucket);
          if (query.has('location')) return this.getBucketLocation(response);
          if (query.has('uploads')) throw s3Errors.notImplemented('ListMultipartUploads');
          return this.listObjects(response, bucket, query);
        case 'POST':
          await this.requireBucket(bucket);
          if (query.has('delete')) return this.deleteObjects(request, response, bucket);
          throw s3Errors.notImplemented('POST on a bucket');
        default:
          throw s3Errors.methodNotAllowed(method);
      }
    }
    await this.requireBucket(bucket);
    if (utf8Bytes(key) > MAX_KEY_BYTES) throw s3Errors.keyTooLong();
    const uploadId = query.get('uploadId');
    switch (method) {
      case 'GET':
      case 'HEAD':
        if (uploadId !== null) throw s3Errors.notImplemented('ListParts');
        return this.getObject(request, response, bucket, key, method === 'HEAD');
      case 'PUT':
        if (uploadId !== null) return this.uploadPart(request, response, target, uploadId);
        if (header(request, 'x-amz-copy-source')) return this.copyObject(request, response, bucket, key);
        return this.putObject(request, response, bucket, key);
      case 'DELETE':
        if (uploadId !== null) return this.abortMultipartUpload(response, target, uploadId);
        await this.store.delete(bucket, key);
        response.writeHead(204);
        response.end();
        return;
      case 'POST':
        if (query.has('uploads')) return this.createMultipartUpload(request, response, bucket, key);
        if (uploadId !== null) return this.completeMultipartUpload(request, response, target, uploadId);
        throw s3Errors.notImplemented('POST on an object');
      default:
        throw s3Errors.methodNotAllowed(method);
    }
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.store.bucketExists(bucket))) throw s3Errors.noSuchBucket(bucket);
  }

  private sendXml(
    response: ServerResponse,
    root: string,
    body: XmlElement,
    headers: Record<string, string> = {},
  ): void {
    const text = xmlDocument(root, body);
    response.writeHead(200, {
      ...headers,
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  // ---- buckets ----

  private async listBuckets(response: ServerResponse): Promise<void> {
    const buckets = await this.store.listBuckets();
    this.sendXml(response, 'ListAllMyBucketsResult', {
      Owner: { ID: 'local', DisplayName: 'local' },
      Buckets: {
        Bucket: buckets.map(({ name, created }) => ({ Name: name, CreationDate: created.toISOString() })),
      },
    });
  }

  /**
   * CreateBucket. Re-creating a bucket you own answers 200 in us-east-1 and 409
   * `BucketAlreadyOwnedByYou` elsewhere: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
   */
  private async createBucket(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
  ): Promise<void> {
    request.resume();
    if (!isValidBucketName(bucket)) throw s3Errors.invalidBucketName(bucket);
    const created = await this.store.createBucket(bucket);
    if (!created && this.region !== 'us-east-1') throw s3Errors.bucketAlreadyOwnedByYou(bucket);
    response.writeHead(200, { location: `/${bucket}`, 'content-length': 0 });
    response.end();
  }

  private async deleteBucket(response: ServerResponse, bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    if (!(await this.store.deleteBucket(bucket))) throw s3Errors.bucketNotEmpty(bucket);
    response.writeHead(204);
    response.end();
  }

  /** An empty `LocationConstraint` means us-east-1. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html */
  private getBucketLocation(response: ServerResponse): void {
    const value = this.region === 'us-east-1' ? '' : this.region;
    const text = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${value}</LocationConstraint>`;
    response.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }

  // ---- listing ----

  /** ListObjectsV2 (`list-type=2`) and ListObjects (V1). */
  private async listObjects(response: ServerResponse, bucket: string, query: URLSearchParams): Promise<void> {
    const v2 = query.get('list-type') === '2';
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const encodingType = query.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') {
      throw s3Errors.invalidArgument(
        'Invalid Encoding Method specified in Request',
        'encoding-type',
        encodingType,
      );
    }
    const maxKeysText = query.get('max-keys');
    let maxKeys = MAX_KEYS_LIMIT;
    if (maxKeysText !== null) {
      if (!/^\d+$/.test(maxKeysText) || Number(maxKeysText) > 2_147_483_647) {
        throw s3Errors.invalidArgument(
          'Provided max-keys not an integer or within integer range',
          'max-keys',
          maxKeysText,
        );
      }
      maxKeys = Math.min(Number(maxKeysText), MAX_KEYS_LIMIT);
    }
    const continuationToken = query.get('continuation-token');
    const startAfter = query.get('start-after');
    const marker = query.get('marker');
    let after: string | undefined;
    if (v2 && continuationToken !== null) {
      after = decodeContinuationToken(continuationToken);
    } else if (v2) {
      after = startAfter ?? undefined;
    } else {
      after = marker ?? undefined;
    }
    if (after === '') after = undefined;

    const objects = await this.store.allObjects(bucket, prefix);
    const page = listPage(objects, { prefix, delimiter, maxKeys, after });
    const encode = (text: string) => (encodingType === 'url' ? encodeURIComponent(text) : text);
    const contents: XmlElement[] = [];
    for (const object of page.objects) {
      const opened = await this.store.open(bucket, object.key);
      if (!opened) continue; // deleted since the walk
      await opened.handle.close();
      const algorithm = Object.keys(opened.metadata.checksums)[0];
      contents.push({
        Key: encode(object.key),
        LastModified: opened.lastModified.toISOString(),
        ETag: opened.metadata.etag,
        ...(algorithm
          ? { ChecksumAlgorithm: algorithm, ChecksumType: opened.metadata.checksumType ?? 'FULL_OBJECT' }
          : {}),
        Size: opened.size,
        StorageClass: 'STANDARD',
      });
    }
    const commonPrefixes = page.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) }));
    if (v2) {
      this.sendXml(response, 'ListBucketResult', {
        Name: bucket,
        Prefix: encode(prefix),
        ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
        MaxKeys: maxKeys,
        ...(encodingType ? { EncodingType: encodingType } : {}),
        KeyCount: contents.length + commonPrefixes.length,
        IsTruncated: page.isTruncated,
        ...(continuationToken !== null ? { ContinuationToken: continuationToken } : {}),
        ...(page.isTruncated && page.last !== undefined
          ? { NextContinuationToken: encodeContinuationToken(page.last) }
          : {}),
        ...(startAfter !== null ? { StartAfter: encode(startAfter) } : {}),
        Contents: contents,
        CommonPrefixes: commonPrefixes,
      });
      return;
    }
    this.sendXml(response, 'ListBucketResult', {
      Name: bucket,
      Prefix: encode(prefix),
      Marker: encode(marker ?? ''),
      // "returned only if you have the delimiter request parameter specified"
      ...(page.isTruncated && delimiter && page.last !== undefined ? { NextMarker: encode(page.last) } : {}),
      ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
      MaxKeys: maxKeys,
      ...(encodingType ? { EncodingType: encodingType } : {}),
      IsTruncated: page.isTruncated,
      Contents: contents,
      CommonPrefixes: commonPrefixes,
    });
  }

  // ---- objects ----

  /**
   * Receives a request body into a temp file: decodes `aws-chunked`, checks the length, the
   * `Content-MD5` and the declared `x-amz-checksum-*` (header or trailer) against the bytes.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
   */
  private async receiveBody(
    request: IncomingMessage,
    extraAlgorithm?: ChecksumAlgorithm,
  ): Promise<ReceivedBody> {
    const encodings = (header(request, 'content-encoding') ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const sha256Header = header(request, 'x-amz-content-sha256') ?? '';
    const chunked = encodings.includes('aws-chunked') || sha256Header.startsWith('STREAMING-');
    const storedEncodings = encodings.filter((part) => part !== 'aws-chunked');
    const lengthText = chunked
      ? header(request, 'x-amz-decoded-content-length')
      : header(request, 'content-length');
    if (lengthText === undefined || !/^\d+$/.test(lengthText)) {
      request.resume();
      throw new S3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
    }
    const expected = Number(lengthText);
    if (expected > MAX_PUT_BYTES) {
      request.resume();
      throw s3Errors.entityTooLarge(MAX_PUT_BYTES);
    }

    // The declared checksum: a header with the value, or a trailer named in x-amz-trailer.
    const declaredHeaders = CHECKSUM_ALGORITHMS.filter(
      (algorithm) => header(request, checksumHeader(algorithm)) !== undefined,
    );
    const trailerName = header(request, 'x-amz-trailer')?.trim().toLowerCase();
    const trailerAlgorithm = CHECKSUM_ALGORITHMS.find(
      (algorithm) => checksumHeader(algorithm) === trailerName,
    );
    if (declaredHeaders.length + (trailerAlgorithm ? 1 : 0) > 1) {
      request.resume();
      throw s3Errors.invalidRequest(
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      );
    }
    const declared = declaredHeaders[0] ?? trailerAlgorithm;
    const algorithms = new Set<ChecksumAlgorithm>(['CRC64NVME']);
    if (declared) algorithms.add(declared);
    if (extraAlgorithm) algorithms.add(extraAlgorithm);
    const checksums = new Map(
      [...algorithms].map((algorithm) => [algorithm, createChecksum(algorithm)] as const),
    );
    const md5 = createMd5();
    const hashing = new Hashing([md5, ...checksums.values()]);
    const decoder = chunked ? new AwsChunkedDecoder() : undefined;
    const tempPath = this.store.tempPath();
    try {
      const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [request];
      if (decoder) stages.push(decoder);
      stages.push(hashing, createWriteStream(tempPath));
      await (pipeline as (...streams: Array<NodeJS.ReadableStream | NodeJS.WritableStream>) => Promise<void>)(
        ...stages,
      );
      if (hashing.size !== expected) throw s3Errors.incompleteBody();
      const md5Digest = md5.digest();
      const contentMd5 = header(request, 'content-md5');
      if (contentMd5 !== undefined) {
        const given = Buffer.from(contentMd5, 'base64');
        if (given.length !== 16) throw s3Errors.invalidDigest();
        if (!given.equals(md5Digest))
          throw s3Errors.badDigest('The Content-MD5 you specified did not match what we received.');
      }
      const computed: Partial<Record<ChecksumAlgorithm, string>> = {};
      for (const [algorithm, checksum] of checksums)
        computed[algorithm] = checksum.digest().toString('base64');
      if (declared) {
        const name = checksumHeader(declared);
        const given = declaredHeaders.length > 0 ? header(request, name) : decoder?.trailers[name];
        if (given === undefined)
          throw s3Errors.invalidRequest(`The ${name} trailer was declared but not sent.`);
        if (given !== computed[declared]) {
          throw s3Errors.badDigest(`The ${declared} you specified did not match the calculated checksum.`);
        }
      }
      return {
        tempPath,
        size: hashing.size,
        md5: md5Digest,
        computed,
        ...(declared ? { declared } : {}),
        ...(storedEncodings.length > 0 ? { contentEncoding: storedEncodings.join(',') } : {}),
      };
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  /** Content type, user metadata and stored headers from a PUT or CreateMultipartUpload. */
  private metadataFromHeaders(
    request: IncomingMessage,
  ): Omit<ObjectMetadata, 'etag' | 'checksums' | 'checksumType'> {
    const userMetadata: Record<string, string> = {};
    let metadataBytes = 0;
    for (const [name, value] of Object.entries(request.headers)) {
      if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
      const text = Array.isArray(value) ? value.join(',') : value;
      const metaName = name.slice('x-amz-meta-'.length);
      userMetadata[metaName] = text;
      metadataBytes += utf8Bytes(metaName) + utf8Bytes(text);
    }
    if (metadataBytes > MAX_USER_METADATA_BYTES) {
      throw new S3Error(
        'MetadataTooLarge',
        400,
        'Your metadata headers exceed the maximum allowed metadata size.',
      );
    }
    const headers: Record<string, string> = {};
    for (const name of STORED_HEADERS) {
      const value = header(request, name);
      if (value !== undefined) headers[name] = value;
    }
    return { contentType: header(request, 'content-type') ?? DEFAULT_CONTENT_TYPE, userMetadata, headers };
  }

  private async putObject(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    const metadata = this.metadataFromHeaders(request);
    const body = await this.receiveBody(request);
    const algorithm = body.declared ?? 'CRC64NVME';
    const checksumValue = body.computed[algorithm] as string;
    const etag = `"${body.md5.toString('hex')}"`;
    await this.store.commit(bucket, key, body.tempPath, {
      ...metadata,
      ...(body.contentEncoding
        ? { headers: { ...metadata.headers, 'content-encoding': body.contentEncoding } }
        : {}),
      etag,
      checksums: { [algorithm]: checksumValue },
      checksumType: 'FULL_OBJECT',
    });
    response.writeHead(200, {
      etag,
      [checksumHeader(algorithm)]: checksumValue,
      'x-amz-checksum-type': 'FULL_OBJECT',
      'content-length': 0,
    });
    response.end();
  }

  /** GetObject / HeadObject, with a single `Range` (multiple ranges get the whole object, as S3). */
  private async getObject(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    key: string,
    headOnly: boolean,
  ): Promise<void> {
    const object = await this.store.open(bucket, key);
    if (!object) {
      if (headOnly) throw new S3Error('NotFound', 404, 'Not Found');
      throw s3Errors.noSuchKey(key);
    }
    try {
      const condition = checkConditions(request, object);
      if (condition === 'not-modified') {
        response.writeHead(304, {
          etag: object.metadata.etag,
          'last-modified': object.lastModified.toUTCString(),
        });
        response.end();
        return;
      }
      const range = parseRange(header(request, 'range'), object.size);
      const headers: Record<string, string | number> = {
        'content-type': object.metadata.contentType,
        etag: object.metadata.etag,
        'last-modified': object.lastModified.toUTCString(),
        'accept-ranges': 'bytes',
        ...object.metadata.headers,
      };
      for (const [name, value] of Object.entries(object.metadata.userMetadata))
        headers[`x-amz-meta-${name}`] = value;
      const query = this.target(request).query;
      for (const [name, value] of query) {
        const override =
          /^response-(content-type|content-language|expires|cache-control|content-disposition|content-encoding)$/i.exec(
            name,
          );
        if (override?.[1]) headers[override[1].toLowerCase()] = value;
      }
      // Checksums describe the whole object: returned when asked for, and not for a range.
      if (!range && header(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
        for (const [algorithm, value] of Object.entries(object.metadata.checksums)) {
          if (isChecksumAlgorithm(algorithm)) headers[checksumHeader(algorithm)] = value;
        }
        if (object.metadata.checksumType) headers['x-amz-checksum-type'] = object.metadata.checksumType;
      }
      if (range) {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${object.size}`;
        headers['content-length'] = range.end - range.start + 1;
      } else {
        headers['content-length'] = object.size;
      }
      response.writeHead(range ? 206 : 200, headers);
      if (headOnly || object.size === 0) {
        response.end();
        return;
      }
      const stream = object.handle.createReadStream({
        start: range?.start ?? 0,
        end: range?.end ?? object.size - 1,
        autoClose: false,
      });
      await pipeline(stream, response).catch(() => undefined);
    } finally {
      await object.handle.close();
    }
  }

  /** CopyObject: `x-amz-copy-source` is `<bucket>/<key>` (URL-encoded, optionally with a leading `/`). */
  private async copyObject(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    request.resume();
    const source = (header(request, 'x-amz-copy-source') ?? '').replace(/^\//, '').split('?')[0] ?? '';
    const slash = source.indexOf('/');
    if (slash <= 0)
      throw s3Errors.invalidArgument(
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
        'x-amz-copy-source',
        source,
      );
    let sourceBucket: string;
    let sourceKey: string;
    try {
      sourceBucket = decodeURIComponent(source.slice(0, slash));
      sourceKey = decodeURIComponent(source.slice(slash + 1));
    } catch {
      throw s3Errors.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', source);
    }
    await this.requireBucket(sourceBucket);
    const directive = (header(request, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw s3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    }
    if (sourceBucket === bucket && sourceKey === key && directive === 'COPY') {
      throw s3Errors.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const opened = await this.store.open(sourceBucket, sourceKey);
    if (!opened) throw s3Errors.noSuchKey(sourceKey);
    let tempPath: string;
    const md5 = createMd5();
    const crc = createChecksum('CRC64NVME');
    try {
      tempPath = this.store.tempPath();
      await pipeline(
        opened.handle.createReadStream({ start: 0, autoClose: false }),
        new Hashing([md5, crc]),
        createWriteStream(tempPath),
      );
    } finally {
      await opened.handle.close();
    }
    const base = directive === 'REPLACE' ? this.metadataFromHeaders(request) : opened.metadata;
    const fullObject = opened.metadata.checksumType !== 'COMPOSITE' ? opened.metadata.checksums : {};
    const checksums =
      Object.keys(fullObject).length > 0 ? fullObject : { CRC64NVME: crc.digest().toString('base64') };
    const etag = `"${md5.digest().toString('hex')}"`;
    const stored = await this.store.commit(bucket, key, tempPath, {
      contentType: base.contentType,
      userMetadata: base.userMetadata,
      headers: base.headers,
      etag,
      checksums,
      checksumType: 'FULL_OBJECT',
    });
    const checksumElements: XmlElement = {};
    for (const [algorithm, value] of Object.entries(checksums))
      checksumElements[`Checksum${algorithm}`] = value;
    this.sendXml(response, 'CopyObjectResult', {
      ETag: etag,
      LastModified: stored.lastModified.toISOString(),
      ChecksumType: 'FULL_OBJECT',
      ...checksumElements,
    });
  }

  /**
   * DeleteObjects: up to 1,000 keys; the request must carry `Content-MD5` or an `x-amz-checksum-*`.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
   */
  private async deleteObjects(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
  ): Promise<void> {
    const hasIntegrity =
      header(request, 'content-md5') !== undefined ||
      header(request, 'x-amz-trailer') !== undefined ||
      CHECKSUM_ALGORITHMS.some((algorithm) => header(request, checksumHeader(algorithm)) !== undefined);
    if (!hasIntegrity) {
      request.resume();
      throw s3Errors.invalidRequest('Missing required header for this request: Content-MD5');
    }
    const body = await this.receiveBody(request);
    let document: Record<string, unknown>;
    try {
      document = parseXml(await readFile(body.tempPath, 'utf8'));
    } catch {
      throw s3Errors.malformedXml();
    } finally {
      await rm(body.tempPath, { force: true });
    }
    const deleteElement = document.Delete as
      | { Object?: Array<{ Key?: unknown }>; Quiet?: unknown }
      | undefined;
    const objects = deleteElement?.Object ?? [];
    if (!deleteElement || objects.length === 0 || objects.length > MAX_DELETE_KEYS)
      throw s3Errors.malformedXml();
    const quiet = String(deleteElement.Quiet ?? '').trim() === 'true';
    const deleted: XmlElement[] = [];
    const errors: XmlElement[] = [];
    for (const object of objects) {
      const key = typeof object.Key === 'string' ? object.Key : undefined;
      if (key === undefined || key === '') throw s3Errors.malformedXml();
      if (utf8Bytes(key) > MAX_KEY_BYTES) {
        errors.push({ Key: key, Code: 'KeyTooLongError', Message: 'Your key is too long' });
        continue;
      }
      await this.store.delete(bucket, key);
      if (!quiet) deleted.push({ Key: key });
    }
    this.sendXml(response, 'DeleteResult', { Deleted: deleted, Error: errors });
  }

  // ---- multipart uploads ----

  private async readUpload(target: RequestTarget, uploadId: string): Promise<UploadRecord> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(uploadId)) throw s3Errors.noSuchUpload(uploadId);
    try {
      const upload = JSON.parse(
        await readFile(join(this.store.uploadDirectory(uploadId), 'upload.json'), 'utf8'),
      ) as UploadRecord;
      if (upload.bucket !== target.bucket || upload.key !== target.key) throw s3Errors.noSuchUpload(uploadId);
      return upload;
    } catch (error) {
      if (error instanceof S3Error) throw error;
      throw s3Errors.noSuchUpload(uploadId);
    }
  }

  /** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html */
  private async createMultipartUpload(
    request: IncomingMessage,
    response: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    request.resume();
    const metadata = this.metadataFromHeaders(request);
    const algorithmText = header(request, 'x-amz-checksum-algorithm')?.toUpperCase();
    if (algorithmText !== undefined && !isChecksumAlgorithm(algorithmText)) {
      throw s3Errors.invalidRequest(`Checksum algorithm provided is unsupported: ${algorithmText}`);
    }
    const typeText = header(request, 'x-amz-checksum-type')?.toUpperCase();
    if (typeText !== undefined && typeText !== 'FULL_OBJECT' && typeText !== 'COMPOSITE') {
      throw s3Errors.invalidRequest(`Checksum type provided is unsupported: ${typeText}`);
    }
    // CRC64NVME is full-object only; CRC32/CRC32C may be either; SHA ones composite only.
    const checksumType =
      algorithmText === undefined
        ? undefined
        : (typeText ?? (algorithmText === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE'));
    if (
      algorithmText !== undefined &&
      ((algorithmText === 'CRC64NVME' && checksumType === 'COMPOSITE') ||
        (algorithmText.startsWith('SHA') && checksumType === 'FULL_OBJECT'))
    ) {
      throw s3Errors.invalidRequest(
        `The ${checksumType} checksum type cannot be used with the ${algorithmText} algorithm.`,
      );
    }
    const uploadId = randomBytes(24).toString('base64url');
    const upload: UploadRecord = {
      bucket,
      key,
      metadata,
      ...(algorithmText !== undefined ? { checksumAlgorithm: algorithmText as ChecksumAlgorithm } : {}),
      ...(checksumType !== undefined ? { checksumType: checksumType as 'FULL_OBJECT' | 'COMPOSITE' } : {}),
      initiated: new Date().toISOString(),
    };
    const directory = this.store.uploadDirectory(uploadId);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'upload.json'), JSON.stringify(upload));
    this.sendXml(
      response,
      'InitiateMultipartUploadResult',
      { Bucket: bucket, Key: key, UploadId: uploadId },
      upload.checksumAlgorithm
        ? {
            'x-amz-checksum-algorithm': upload.checksumAlgorithm,
            'x-amz-checksum-type': upload.checksumType ?? '',
          }
        : {},
    );
  }

  /** https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html */
  private async uploadPart(
    request: IncomingMessage,
    response: ServerResponse,
    target: RequestTarget,
    uploadId: string,
  ): Promise<void> {
    const upload = await this.readUpload(target, uploadId).catch((error: unknown) => {
      request.resume();
      throw error;
    });
    if (header(request, 'x-amz-copy-source')) {
      request.resume();
      throw s3Errors.notImplemented('UploadPartCopy');
    }
    const partText = target.query.get('partNumber') ?? '';
    const partNumber = Number(partText);
    if (!/^\d+$/.test(partText) || partNumber < 1 || partNumber > MULTIPART_LIMITS.maxParts) {
      request.resume();
      throw s3Errors.invalidArgument(
        'Part number must be an integer between 1 and 10000, inclusive',
        'partNumber',
        partText,
      );
    }
    const body = await this.receiveBody(request, upload.checksumAlgorithm);
    if (upload.checksumAlgorithm && body.declared && body.declared !== upload.checksumAlgorithm) {
      await rm(body.tempPath, { force: true });
      throw s3Errors.invalidRequest(
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${body.declared.toLowerCase()}`,
      );
    }
    const directory = this.store.uploadDirectory(uploadId);
    const etag = `"${body.md5.toString('hex')}"`;
    const part: PartRecord = {
      partNumber,
      etag,
      size: body.size,
      md5: body.md5.toString('hex'),
      checksums: body.computed,
    };
    await rename(body.tempPath, join(directory, `part-${partNumber}`));
    await writeFile(join(directory, `part-${partNumber}.json`), JSON.stringify(part));
    const headers: Record<string, string | number> = { etag, 'content-length': 0 };
    const answered = body.declared ?? upload.checksumAlgorithm;
    if (answered) headers[checksumHeader(answered)] = body.computed[answered] as string;
    response.writeHead(200, headers);
    response.end();
  }

  /** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html */
  private async completeMultipartUpload(
    request: IncomingMessage,
    response: ServerResponse,
    target: RequestTarget,
    uploadId: string,
  ): Promise<void> {
    const upload = await this.readUpload(target, uploadId).catch((error: unknown) => {
      request.resume();
      throw error;
    });
    const body = await this.receiveBody(request);
    let document: Record<string, unknown>;
    try {
      document = parseXml(await readFile(body.tempPath, 'utf8'));
    } catch {
      throw s3Errors.malformedXml();
    } finally {
      await rm(body.tempPath, { force: true });
    }
    const listed =
      (document.CompleteMultipartUpload as { Part?: Array<Record<string, unknown>> } | undefined)?.Part ?? [];
    if (listed.length === 0) throw s3Errors.malformedXml();
    const directory = this.store.uploadDirectory(uploadId);
    const parts: PartRecord[] = [];
    let previous = 0;
    for (const entry of listed) {
      const partNumber = Number(String(entry.PartNumber ?? '').trim());
      if (!Number.isInteger(partNumber) || partNumber < 1) throw s3Errors.malformedXml();
      if (partNumber <= previous) throw s3Errors.invalidPartOrder();
      previous = partNumber;
      const record = await readFile(join(directory, `part-${partNumber}.json`), 'utf8')
        .then((text) => JSON.parse(text) as PartRecord)
        .catch(() => undefined);
      const given = String(entry.ETag ?? '')
        .trim()
        .replace(/^"?(.*?)"?$/, '"$1"');
      if (!record || record.etag !== given) {
        throw s3Errors.invalidPart(
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        );
      }
      for (const algorithm of CHECKSUM_ALGORITHMS) {
        const value = entry[`Checksum${algorithm}`];
        if (typeof value === 'string' && value.trim() !== record.checksums[algorithm]) {
          throw s3Errors.invalidPart(
            `The ${algorithm} checksum of part ${partNumber} does not match the uploaded part.`,
          );
        }
      }
      parts.push(record);
    }
    parts.forEach((part, index) => {
      if (index < parts.length - 1 && part.size < MULTIPART_LIMITS.minPartBytes)
        throw s3Errors.entityTooSmall();
    });

    // Concatenate the parts into one temp file, hashing the whole object on the way.
    const fullAlgorithm =
      upload.checksumType === 'FULL_OBJECT' && upload.checksumAlgorithm
        ? upload.checksumAlgorithm
        : 'CRC64NVME';
    const full = createChecksum(fullAlgorithm);
    const tempPath = this.store.tempPath();
    const joined = new PassThrough();
    const writing = pipeline(joined, new Hashing([full]), createWriteStream(tempPath));
    try {
      for (const part of parts) {
        await pipelinePart(join(directory, `part-${part.partNumber}`), joined);
      }
      joined.end();
      await writing;
    } catch (error) {
      joined.destroy();
      await writing.catch(() => undefined);
      await rm(tempPath, { force: true });
      throw error;
    }
    const etag = `"${createMd5Hex(Buffer.concat(parts.map((part) => Buffer.from(part.md5, 'hex'))))}-${parts.length}"`;
    let checksums: Record<string, string>;
    let checksumType: 'FULL_OBJECT' | 'COMPOSITE';
    if (upload.checksumAlgorithm && upload.checksumType === 'COMPOSITE') {
      // Composite: the checksum of the concatenated part checksums, then "-<number of parts>".
      const algorithm = upload.checksumAlgorithm;
      const composite = createChecksum(algorithm);
      for (const part of parts) composite.update(Buffer.from(part.checksums[algorithm] ?? '', 'base64'));
      checksums = { [algorithm]: `${composite.digest().toString('base64')}-${parts.length}` };
      checksumType = 'COMPOSITE';
    } else {
      checksums = { [fullAlgorithm]: full.digest().toString('base64') };
      checksumType = 'FULL_OBJECT';
    }
    await this.store.commit(upload.bucket, upload.key, tempPath, {
      ...upload.metadata,
      etag,
      checksums,
      checksumType,
    });
    await rm(directory, { recursive: true, force: true });
    const checksumElements: XmlElement = {};
    for (const [algorithm, value] of Object.entries(checksums))
      checksumElements[`Checksum${algorithm}`] = value;
    this.sendXml(response, 'CompleteMultipartUploadResult', {
      Location: `${this.baseUrl}/${upload.bucket}/${encodeURIComponent(upload.key)}`,
      Bucket: upload.bucket,
      Key: upload.key,
      ETag: etag,
      ...checksumElements,
      ChecksumType: checksumType,
    });
  }

  private async abortMultipartUpload(
    response: ServerResponse,
    target: RequestTarget,
    uploadId: string,
  ): Promise<void> {
    await this.readUpload(target, uploadId);
    await rm(this.store.uploadDirectory(uploadId), { recursive: true, force: true });
    response.writeHead(204);
    response.end();
  }

  /** Multipart uploads in progress (their ids), for tests and cleanup. */
  async uploadsInProgress(): Promise<string[]> {
    return readdir(join(this.store.internal, 'uploads')).catch(() => []);
  }
}

function createMd5Hex(data: Buffer): string {
  const md5 = createMd5();
  md5.update(data);
  return md5.digest().toString('hex');
}

/** Writes a part file into `into` without ending it. */
async function pipelinePart(path: string, into: PassThrough): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const source: Readable = createReadStream(path);
  for await (const chunk of source) {
    if (!into.write(chunk)) await new Promise((resolve) => into.once('drain', resolve));
  }
}

/** Opaque to clients; here the last key or common prefix returned, base64. */
function encodeContinuationToken(after: string): string {
  return Buffer.from(`v1:${after}`, 'utf8').toString('base64');
}

function decodeContinuationToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('v1:')) {
    throw s3Errors.invalidArgument(
      'The continuation token provided is incorrect',
      'continuation-token',
      token,
    );
  }
  return text.slice(3);
}

/**
 * A single byte range of `bytes=a-b`, `bytes=a-` or `bytes=-n` (RFC 9110), undefined for none or
 * one S3 ignores (several ranges, bad syntax); `InvalidRange` when it is not satisfiable.
 */
function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!value) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw s3Errors.invalidRange(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) throw s3Errors.invalidRange(size);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

/**
 * `If-Match`/`If-None-Match`/`If-Modified-Since`/`If-Unmodified-Since` on GET and HEAD (RFC 9110
 * precedence): 412 `PreconditionFailed` or 304.
 */
function checkConditions(request: IncomingMessage, object: OpenedObject): 'ok' | 'not-modified' {
  const etag = object.metadata.etag;
  const matches = (list: string) =>
    list
      .split(',')
      .some(
        (item) =>
          item.trim() === '*' || item.trim().replace(/^W\//, '') === etag || `"${item.trim()}"` === etag,
      );
  const ifMatch = header(request, 'if-match');
  const ifNoneMatch = header(request, 'if-none-match');
  const seconds = Math.floor(object.lastModified.getTime() / 1000);
  if (ifMatch !== undefined && !matches(ifMatch)) throw s3Errors.preconditionFailed('If-Match');
  const ifUnmodified = header(request, 'if-unmodified-since');
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const since = Date.parse(ifUnmodified);
    if (!Number.isNaN(since) && seconds > Math.floor(since / 1000))
      throw s3Errors.preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? 'not-modified' : 'ok';
  const ifModified = header(request, 'if-modified-since');
  if (ifModified !== undefined) {
    const since = Date.parse(ifModified);
    if (!Number.isNaN(since) && seconds <= Math.floor(since / 1000)) return 'not-modified';
  }
  return 'ok';
}
