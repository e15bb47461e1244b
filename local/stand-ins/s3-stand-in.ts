/**
 * The S3 stand-in: the `s3rver` package (a maintained-enough S3 server on the local file system)
 * started on an ephemeral loopback port, silent, with the buckets it needs created up front.
 * Objects land as plain files under `<dataDir>/s3/<bucket>/`, so a user can open the archive
 * with any file browser.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3StandInOptions {
  dataDir: string;
  buckets: readonly string[];
  port?: number;
}

/**
 * Settings an S3 client needs against s3rver. Path-style, because s3rver cannot resolve
 * `<bucket>.127.0.0.1` host names. Checksums only when required, because since early 2025 SDK v3
 * sends streamed bodies as `aws-chunked` with a CRC32 trailer, which s3rver stores verbatim
 * (chunk sizes and trailer inside the object); string and Buffer bodies are not affected.
 */
export const S3_CLIENT_SETTINGS_FOR_STAND_IN = {
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

interface S3rverAccountRegistry {
  registry: Map<string, unknown> & { acceptsAnyKey?: boolean };
  DUMMY_ACCOUNT: unknown;
}

/**
 * s3rver only knows the access key `S3RVER` and answers `InvalidAccessKeyId` to any other, yet it
 * never verifies SigV4 signatures anyway. Local mode's Lambda handlers sign with whatever
 * credentials their environment has, so every key is mapped to s3rver's one dummy account.
 */
function acceptAnyAccessKey(): void {
  const accounts = createRequire(import.meta.url)('s3rver/lib/models/account.js') as S3rverAccountRegistry;
  const registry = accounts.registry;
  if (registry.acceptsAnyKey) return;
  const knownAccount = registry.get.bind(registry);
  registry.get = (accessKeyId: string) => knownAccount(accessKeyId) ?? accounts.DUMMY_ACCOUNT;
  registry.acceptsAnyKey = true;
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 and later)
 * refuses, so any truncated listing (more than 1,000 keys, or a MaxKeys) fails with
 * `InternalError`. Listings are therefore never truncated: every key comes in the first page,
 * which clients that follow `NextContinuationToken` handle as they would the last page.
 */
function listWithoutTruncation(server: S3rver): void {
  const store = server.store;
  const listObjects = store.listObjects.bind(store);
  store.listObjects = (bucket, options) =>
    listObjects(bucket, { ...options, maxKeys: Number.POSITIVE_INFINITY });
}

export class S3StandIn {
  private server: S3rver | undefined;
  private baseUrl: string | undefined;

  constructor(private readonly options: S3StandInOptions) {}

  /** Where the objects are stored: `<dataDir>/s3/<bucket>/<key>` (plus s3rver's metadata files). */
  get directory(): string {
    return join(this.options.dataDir, 's3');
  }

  async start(): Promise<{ url: string }> {
    if (this.server) throw new Error('already started');
    acceptAnyAccessKey();
    const server = new S3rver({
      address: '127.0.0.1',
      port: this.options.port ?? 0,
      silent: true,
      directory: this.directory,
      configureBuckets: this.options.buckets.map((name) => ({ name })),
    });
    listWithoutTruncation(server);
    const { port } = await server.run();
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
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
    const closing = server.close();
    // SDK clients keep connections alive; without this `close` waits for them to idle out.
    server.httpServer?.closeAllConnections();
    await closing;
  }
}
