import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '#local/stand-ins/s3/checksums';
import { componentsToKey, decodeSegment, encodeSegment, keyToComponents } from '#local/stand-ins/s3/key-path';

/** Legal S3 keys: 1 to 1,024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
const legalKey = fc
  .array(
    fc.oneof(
      fc.constantFrom('/', '.', '..', '%', '%%', '%-', 'a', 'A', '=', ' ', '\u00fc', '\u{1F600}', '\r', '~'),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('x', '%', '/', '.'), maxLength: 400 }),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => parts.join(''))
  .filter(
    (key) =>
      key !== '' &&
      Buffer.byteLength(key, 'utf8') <= 1024 &&
      Buffer.from(key, 'utf8').toString('utf8') === key,
  );

const stays = (components: readonly string[]) =>
  components.every(
    (component) =>
      component !== '' &&
      component !== '.' &&
      component !== '..' &&
      !component.includes('/') &&
      !component.includes('\0') &&
      Buffer.byteLength(component, 'utf8') <= 255,
  );

describe('S3 stand-in key-to-path mapping', () => {
  it('stores a key made of plain segments at exactly that path (every archive key)', () => {
    const key =
      'events/event_type=users.messages.email.Send/dt=2026-11-30/hour=16/stream-1-2026-11-30-16-00-00-x.gz';

    expect(keyToComponents(key).usual).toEqual(key.split('/'));
    expect(keyToComponents("q/a_b-c.d=e!f~g*h'(i)").usual).toEqual(['q', "a_b-c.d=e!f~g*h'(i)"]);
  });

  it.each([
    ['a/../b', ['a', '%2E%2E', 'b']],
    ['a//b', ['a', '%', 'b']],
    ['a/', ['a', '%']],
    ['/a', ['%', 'a']],
    ['./x', ['%2E', 'x']],
    ['a b+c', ['a%20b%2Bc']],
    ['100%', ['100%25']],
    ['\u00fc', ['%C3%BC']],
    ['%%x', ['%25%25x']],
  ])('escapes %j as %j', (key, components) => {
    expect(keyToComponents(key).usual).toEqual(components);
    expect(componentsToKey(components)).toBe(key);
  });

  it('cuts a segment longer than a file name into chained directories', () => {
    const key = `${'k'.repeat(1000)}/end`;

    const { usual } = keyToComponents(key);

    expect(usual.length).toBeGreaterThan(2);
    expect(stays(usual)).toBe(true);
    expect(componentsToKey(usual)).toBe(key);
  });

  it('round-trips every legal key, through both of its paths, and never leaves the bucket directory', () => {
    fc.assert(
      fc.property(legalKey, (key) => {
        const { usual, besideDirectory } = keyToComponents(key);
        expect(stays(usual)).toBe(true);
        expect(stays(besideDirectory)).toBe(true);
        expect(componentsToKey(usual)).toBe(key);
        expect(componentsToKey(besideDirectory)).toBe(key);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives different keys different paths', () => {
    fc.assert(
      fc.property(legalKey, legalKey, (a, b) => {
        fc.pre(a !== b);
        expect(keyToComponents(a).usual.join('/')).not.toBe(keyToComponents(b).usual.join('/'));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores file names it never writes (non-canonical escapes, dot names)', () => {
    expect(decodeSegment('%41')).toBeUndefined();
    expect(decodeSegment('a%2eb')).toBeUndefined();
    expect(decodeSegment('%zz')).toBeUndefined();
    expect(decodeSegment('%FF')).toBeUndefined(); // not UTF-8
    expect(componentsToKey(['.', 'x'])).toBeUndefined();
    expect(componentsToKey(['short%-', 'x'])).toBeUndefined();
    expect(encodeSegment('plain')).toBe('plain');
  });
});

describe('S3 stand-in checksums', () => {
  // Check values of "123456789" from the CRC catalogue (reveng.sourceforge.io/crc-catalogue):
  // CRC-32/ISO-HDLC cbf43926, CRC-32/ISCSI e3069283, CRC-64/NVME ae8b14860a799888.
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
  ] as const)('%s of "123456789" is the catalogue check value', (algorithm, hex) => {
    expect(Buffer.from(checksumOf(algorithm, Buffer.from('123456789')), 'base64').toString('hex')).toBe(hex);
  });
});
