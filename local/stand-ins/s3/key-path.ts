/**
 * The one mapping between S3 object keys and file paths under `<data-dir>/s3/<bucket>/` (contract
 * 2 of the project's coordination; documented for users in docs/s3-stand-in.md).
 *
 * A key is split at `/` into segments. A segment that is non-empty, not `.` or `..`, at most
 * {@link MAX_NAME_BYTES} bytes and made only of `[A-Za-z0-9._=!~*'()-]` is a *plain* segment and
 * names its directory or file as it is; so a key made of plain segments (every archive key,
 * `events/event_type=<t>/dt=YYYY-MM-DD/hour=HH/<name>.gz`) is stored at exactly that path. Any
 * other segment is *escaped*: every byte outside that set (and both dots of `.`/`..`) is written
 * `%XX` (upper-case hex of the UTF-8 byte), and the empty segment (from `a//b`, a leading or a
 * trailing `/`) is written `%`. An escaped name always contains `%`, a plain one never does, and
 * every name is ASCII, so a name decodes to exactly one segment and no name is `.`, `..`, empty or
 * contains `/`: no key can reach outside its bucket's directory.
 *
 * Two more forms keep every legal key storable:
 * - A name longer than {@link MAX_NAME_BYTES} (a segment of up to 1,024 bytes, or three times that
 *   escaped, is longer than the 255 bytes most file systems allow) is cut into chunks of at most
 *   {@link CHUNK_BYTES} bytes, never inside a `%XX`; every chunk but the last is a directory whose
 *   name ends in `%-`, which no other name does.
 * - S3 keys are not a tree: `a` and `a/b` can both exist, but `a` cannot be a file and a directory
 *   at once. When it must be both, the object `a` is stored as the file `%%a` (the name prefixed
 *   with `%%`, which no directory name has) and moves back to `a` when the directory goes away.
 *   Readers try `a`, then `%%a`.
 *
 * The key length limit (1,024 bytes of UTF-8) is S3's:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */

/** Longest file name written (bytes); file systems allow 255 (ext4, APFS, NTFS in UTF-16 units). */
export const MAX_NAME_BYTES = 200;
/** Longest chunk of a cut name, before its `%-` marker. */
export const CHUNK_BYTES = 190;
/** Marks a directory that holds the rest of a cut name. */
export const CONTINUED = '%-';
/** Prefix of an object's file name while a directory of the same name exists. */
export const FILE_BESIDE_DIRECTORY = '%%';

const PLAIN_BYTE = /^[A-Za-z0-9._=!~*'()-]$/;
const PLAIN_SEGMENT = /^[A-Za-z0-9._=!~*'()-]+$/;
const ESCAPED_NAME = /^(?:[A-Za-z0-9._=!~*'()-]|%[0-9A-F]{2})+$/;

/** Whether a segment is stored under its own name. */
export function isPlainSegment(segment: string): boolean {
  return (
    segment !== '.' && segment !== '..' && segment.length <= MAX_NAME_BYTES && PLAIN_SEGMENT.test(segment)
  );
}

/** The full (possibly long) encoded name of one key segment; ASCII. */
export function encodeSegment(segment: string): string {
  if (segment === '') return '%';
  if (PLAIN_SEGMENT.test(segment) && segment !== '.' && segment !== '..') return segment;
  // `.` and `..` would name the directory itself or its parent: their dots are escaped too.
  const keepDots = segment !== '.' && segment !== '..';
  let name = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const char = String.fromCharCode(byte);
    const plain = byte < 0x80 && PLAIN_BYTE.test(char) && (keepDots || char !== '.');
    name += plain ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

/** Inverse of {@link encodeSegment}; undefined for a name no segment encodes to. */
export function decodeSegment(name: string): string | undefined {
  if (name === '%') return '';
  if (!name.includes('%')) return name === '.' || name === '..' || name === '' ? undefined : name;
  if (!ESCAPED_NAME.test(name)) return undefined;
  const bytes: number[] = [];
  for (let index = 0; index < name.length; ) {
    if (name[index] === '%') {
      bytes.push(Number.parseInt(name.slice(index + 1, index + 3), 16));
      index += 3;
    } else {
      bytes.push(name.charCodeAt(index));
      index += 1;
    }
  }
  const buffer = Buffer.from(bytes);
  const segment = buffer.toString('utf8');
  // Only the canonical encoding of valid UTF-8 is accepted, so each segment has one name.
  if (!Buffer.from(segment, 'utf8').equals(buffer) || encodeSegment(segment) !== name) return undefined;
  return segment;
}

/** Cuts a long encoded name into path components (never inside a `%XX`). */
function chunk(name: string): string[] {
  if (name.length <= MAX_NAME_BYTES) return [name];
  const parts: string[] = [];
  let rest = name;
  while (rest.length > MAX_NAME_BYTES) {
    let cut = CHUNK_BYTES;
    if (rest[cut - 1] === '%') cut -= 1;
    else if (rest[cut - 2] === '%') cut -= 2;
    parts.push(`${rest.slice(0, cut)}${CONTINUED}`);
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}

/** Path components of the directories a key's segments before the last one live in. */
export function directoryComponents(segments: readonly string[]): string[] {
  return segments.flatMap((segment) => chunk(encodeSegment(segment)));
}

/**
 * Where a key is stored, relative to its bucket's directory, as path components: the usual
 * place, and the place used while a directory of the usual name exists.
 */
export function keyToComponents(key: string): { usual: string[]; besideDirectory: string[] } {
  const segments = key.split('/');
  const last = segments.pop() ?? '';
  const lastComponents = chunk(encodeSegment(last));
  const fileName = lastComponents.pop() ?? '';
  const directories = [...directoryComponents(segments), ...lastComponents];
  return {
    usual: [...directories, fileName],
    besideDirectory: [...directories, `${FILE_BESIDE_DIRECTORY}${fileName}`],
  };
}

/**
 * The key stored at a file path (components relative to the bucket directory), or undefined
 * when the path is not one this mapping writes (a file someone else put there).
 */
export function componentsToKey(components: readonly string[]): string | undefined {
  const segments: string[] = [];
  let pending = '';
  for (let index = 0; index < components.length; index++) {
    let component = components[index] as string;
    const isFile = index === components.length - 1;
    if (!isFile && component.endsWith(CONTINUED)) {
      const piece = component.slice(0, -CONTINUED.length);
      pending += piece;
      continue;
    }
    if (isFile && component.startsWith(FILE_BESIDE_DIRECTORY)) {
      component = component.slice(FILE_BESIDE_DIRECTORY.length);
    }
    if (component.length > MAX_NAME_BYTES) return undefined;
    const name = pending + component;
    pending = '';
    const segment = decodeSegment(name);
    if (segment === undefined) return undefined;
    segments.push(segment);
  }
  if (pending !== '') return undefined;
  const key = segments.join('/');
  // Only the paths this mapping writes are accepted, so every key has exactly one usual path.
  const stored = keyToComponents(key);
  const matches = (expected: readonly string[]) =>
    expected.length === components.length && expected.every((part, index) => part === components[index]);
  return matches(stored.usual) || matches(stored.besideDirectory) ? key : undefined;
}
