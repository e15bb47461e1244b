/**
 * Where the S3 stand-in keeps buckets and objects: ordinary files, one per object, named by the
 * key-to-path mapping of ./key-path.ts, under `<root>/<bucket>/` (`root` is `<data-dir>/s3`).
 * Everything else lives under `<root>/.s3-stand-in/` (a name no bucket can have: bucket names
 * begin with a letter or digit), never among the objects:
 * - `meta/<bucket>/<xx>/<sha256 of key>.json`: content type, ETag, user metadata, checksums;
 * - `tmp/`: bodies being received, renamed into place once complete (same file system, so the
 *   rename is atomic: a reader sees the old object or the new one, never part of one);
 * - `uploads/<upload id>/`: multipart uploads in progress.
 *
 * A file found among the objects without matching metadata (put there by hand, or left by a crash
 * between the object's rename and its metadata's) is an object too: `application/octet-stream`,
 * ETag the MD5 of its bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { componentsToKey, directoryComponents, FILE_BESIDE_DIRECTORY, keyToComponents } from './key-path';
import { compareKeys } from './listing';

/** Name of the stand-in's own directory under the S3 root. */
export const INTERNAL_DIRECTORY = '.s3-stand-in';

/** What is kept about an object besides its bytes. */
export interface ObjectMetadata {
  contentType: string;
  /** Quoted, as in the `ETag` header. */
  etag: string;
  /** `x-amz-meta-*` without the prefix, lower-case names. */
  userMetadata: Record<string, string>;
  /** Other representation headers stored and returned as given (`cache-control`, …). */
  headers: Record<string, string>;
  /** Algorithm → base64 value (a multipart composite value ends in `-<parts>`). */
  checksums: Record<string, string>;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
}

interface Sidecar extends ObjectMetadata {
  key: string;
  size: number;
  ino: number;
  mtimeMs: number;
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface OpenedObject extends StoredObject {
  metadata: ObjectMetadata;
  handle: FileHandle;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Bucket naming rules (general purpose buckets): https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export function isValidBucketName(name: string): boolean {
  return (
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

/** Serializes async work per name (one bucket's changes happen one at a time). */
class Locks {
  private readonly tails = new Map<string, Promise<unknown>>();
  async run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return result;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class FileStore {
  private readonly locks = new Locks();
  readonly internal: string;

  constructor(readonly root: string) {
    this.internal = join(root, INTERNAL_DIRECTORY);
  }

  async init(): Promise<void> {
    await mkdir(join(this.internal, 'tmp'), { recursive: true });
    await mkdir(join(this.internal, 'uploads'), { recursive: true });
    await mkdir(join(this.internal, 'meta'), { recursive: true });
  }

  bucketDirectory(bucket: string): string {
    return join(this.root, bucket);
  }

  /** A fresh path for a body being received (outside every bucket, same file system). */
  tempPath(): string {
    return join(this.internal, 'tmp', `${randomUUID()}.part`);
  }

  async bucketExists(bucket: string): Promise<boolean> {
    if (!isValidBucketName(bucket)) return false;
    try {
      return (await stat(this.bucketDirectory(bucket))).isDirectory();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Creates the bucket's directory; false when it existed. */
  async createBucket(bucket: string): Promise<boolean> {
    const existed = await this.bucketExists(bucket);
    if (!existed) await mkdir(this.bucketDirectory(bucket), { recursive: true });
    return !existed;
  }

  async listBuckets(): Promise<Array<{ name: string; created: Date }>> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const buckets: Array<{ name: string; created: Date }> = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !isValidBucketName(entry.name)) continue;
      const info = await stat(join(this.root, entry.name));
      buckets.push({ name: entry.name, created: info.birthtimeMs > 0 ? info.birthtime : info.mtime });
    }
    return buckets.sort((a, b) => compareKeys(a.name, b.name));
  }

  /** Removes an empty bucket; false when it holds objects. */
  async deleteBucket(bucket: string): Promise<boolean> {
    return this.locks.run(bucket, async () => {
      if ((await this.walkObjects(bucket, '')).length > 0) return false;
      await rm(this.bucketDirectory(bucket), { recursive: true, force: true });
      await rm(join(this.internal, 'meta', bucket), { recursive: true, force: true });
      return true;
    });
  }

  private sidecarPath(bucket: string, key: string): string {
    const hash = createHash('sha256').update(key, 'utf8').digest('hex');
    return join(this.internal, 'meta', bucket, hash.slice(0, 2), `${hash}.json`);
  }

  /** The existing file of a key (usual place first), or undefined. */
  private async locate(bucket: string, key: string): Promise<string | undefined> {
    const base = this.bucketDirectory(bucket);
    const { usual, besideDirectory } = keyToComponents(key);
    for (const components of [usual, besideDirectory]) {
      const path = join(base, ...components);
      try {
        if ((await lstat(path)).isFile()) return path;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return undefined;
  }

  /**
   * Moves a finished temp file into place as `key` and records its metadata. Parent directories
   * are created; an object file standing where a directory must go moves aside (`%%<name>`).
   */
  async commit(
    bucket: string,
    key: string,
    tempPath: string,
    metadata: ObjectMetadata,
  ): Promise<StoredObject> {
    return this.locks.run(bucket, async () => {
      const base = this.bucketDirectory(bucket);
      const { usual, besideDirectory } = keyToComponents(key);
      let directory = base;
      for (const component of usual.slice(0, -1)) {
        const next = join(directory, component);
        const info = await lstat(next).catch((error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (info?.isFile()) {
          await rename(next, join(directory, `${FILE_BESIDE_DIRECTORY}${component}`));
        } else if (info && !info.isDirectory()) {
          throw new Error(`not a directory in the S3 stand-in's tree: ${next}`);
        }
        if (!info?.isDirectory()) await mkdir(next);
        directory = next;
      }
      const usualPath = join(base, ...usual);
      const besidePath = join(base, ...besideDirectory);
      const usualInfo = await lstat(usualPath).catch(() => undefined);
      const target = usualInfo?.isDirectory() ? besidePath : usualPath;
      const other = target === usualPath ? besidePath : usualPath;
      const info = await stat(tempPath);
      await rename(tempPath, target);
      if (target !== other) await unlink(other).catch(() => undefined);
      const sidecar: Sidecar = { ...metadata, key, size: info.size, ino: info.ino, mtimeMs: info.mtimeMs };
      await this.writeSidecar(bucket, key, sidecar);
      return { key, size: info.size, lastModified: info.mtime };
    });
  }

  private async writeSidecar(bucket: string, key: string, sidecar: Sidecar): Promise<void> {
    const path = this.sidecarPath(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    const temp = this.tempPath();
    await writeFile(temp, JSON.stringify(sidecar));
    await rename(temp, path);
  }

  private async readSidecar(bucket: string, key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.sidecarPath(bucket, key), 'utf8')) as Sidecar;
    } catch {
      return undefined;
    }
  }

  /** Metadata of a file, from its sidecar if that describes this very file, else derived. */
  private async metadataFor(
    bucket: string,
    key: string,
    path: string,
    info: { size: number; ino: number; mtimeMs: number },
  ): Promise<ObjectMetadata> {
    const sidecar = await this.readSidecar(bucket, key);
    if (
      sidecar &&
      sidecar.key === key &&
      sidecar.size === info.size &&
      sidecar.ino === info.ino &&
      sidecar.mtimeMs === info.mtimeMs
    ) {
      const { key: _key, size: _size, ino: _ino, mtimeMs: _mtime, ...metadata } = sidecar;
      return metadata;
    }
    const md5 = createHash('md5');
    await pipeline(createReadStream(path), md5);
    return {
      contentType: 'application/octet-stream',
      etag: `"${md5.digest('hex')}"`,
      userMetadata: {},
      headers: {},
      checksums: {},
    };
  }

  /**
   * Opens an object for reading: the returned handle keeps reading this version even if the key
   * is overwritten or deleted meanwhile. The caller closes it.
   */
  async open(bucket: string, key: string): Promise<OpenedObject | undefined> {
    const opened = await this.locks.run(bucket, async () => {
      const path = await this.locate(bucket, key);
      if (!path) return undefined;
      const handle = await open(path, 'r');
      return { handle, path };
    });
    if (!opened) return undefined;
    try {
      const info = await opened.handle.stat();
      const metadata = await this.metadataFor(bucket, key, opened.path, info);
      return { key, size: info.size, lastModified: info.mtime, metadata, handle: opened.handle };
    } catch (error) {
      await opened.handle.close();
      throw error;
    }
  }

  /** Removes an object (nothing when it does not exist), and directories left empty. */
  async delete(bucket: string, key: string): Promise<void> {
    await this.locks.run(bucket, async () => {
      const path = await this.locate(bucket, key);
      if (!path) return;
      await unlink(path);
      await rm(this.sidecarPath(bucket, key), { force: true });
      await this.prune(bucket, dirname(path));
    });
  }

  /** Removes empty directories up to the bucket's, moving a set-aside object back to its name. */
  private async prune(bucket: string, from: string): Promise<void> {
    const base = this.bucketDirectory(bucket);
    let directory = from;
    while (directory.startsWith(`${base}/`)) {
      try {
        await rmdir(directory);
      } catch {
        return;
      }
      const parent = dirname(directory);
      const name = directory.slice(parent.length + 1);
      const aside = join(parent, `${FILE_BESIDE_DIRECTORY}${name}`);
      await rename(aside, directory).catch(() => undefined);
      directory = parent;
    }
  }

  /**
   * Every object whose key starts with `prefix`, in UTF-8 binary key order, with size and time
   * (metadata is read separately, for the ones a page returns).
   */
  async allObjects(bucket: string, prefix: string): Promise<StoredObject[]> {
    return this.locks.run(bucket, () => this.walkObjects(bucket, prefix));
  }

  private async walkObjects(bucket: string, prefix: string): Promise<StoredObject[]> {
    const base = this.bucketDirectory(bucket);
    // Start from the deepest directory the prefix fully names.
    const complete = prefix.split('/').slice(0, -1);
    const startComponents = directoryComponents(complete);
    const objects: StoredObject[] = [];
    const walk = async (components: string[]): Promise<void> => {
      const entries = await readdir(join(base, ...components), { withFileTypes: true }).catch(
        (error: unknown) => {
          if (isMissing(error)) return [];
          throw error;
        },
      );
      for (const entry of entries) {
        const path = [...components, entry.name];
        if (entry.isDirectory()) {
          await walk(path);
        } else if (entry.isFile()) {
          const key = componentsToKey(path);
          if (key === undefined || !key.startsWith(prefix)) continue;
          const info = await stat(join(base, ...path)).catch(() => undefined);
          if (info) objects.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    await walk(startComponents);
    return objects.sort((a, b) => compareKeys(a.key, b.key));
  }

  /** ETag of a listed object. */
  async etagOf(bucket: string, key: string): Promise<string> {
    const opened = await this.open(bucket, key);
    if (!opened) return '""';
    await opened.handle.close();
    return opened.metadata.etag;
  }

  /** Copies an object's bytes into a new temp file (for CopyObject). */
  async copyToTemp(source: OpenedObject): Promise<string> {
    const temp = this.tempPath();
    await pipeline(source.handle.createReadStream({ start: 0, autoClose: false }), createWriteStream(temp));
    return temp;
  }

  uploadDirectory(uploadId: string): string {
    return join(this.internal, 'uploads', uploadId);
  }
}
