/**
 * The checksums S3 accepts for an object's data, computed here on our own (table-driven CRCs,
 * Node's SHA), not with the SDK's implementations: the stand-in checks what the SDK sends, so it
 * must not share the SDK's code. Algorithms and encodings (base64 of the big-endian value) from
 * "Checking object integrity in Amazon S3":
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * CRC parameters from the CRC catalogue (check value of "123456789" in the tests): CRC-32/ISO-HDLC,
 * CRC-32/ISCSI (CRC32C) and CRC-64/NVME.
 */
import { createHash, type Hash } from 'node:crypto';

/** S3's checksum algorithm names, as in `x-amz-checksum-<lower-case name>` headers. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** `x-amz-checksum-crc64nvme` etc. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** An incremental checksum: feed bytes, then read the base64 digest once. */
export interface Checksum {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

function crc32Table(reflectedPolynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ reflectedPolynomial : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

class Crc32 implements Checksum {
  private crc = 0xffffffff;
  constructor(private readonly table: Uint32Array) {}
  update(data: Uint8Array): void {
    let crc = this.crc;
    const table = this.table;
    for (let index = 0; index < data.length; index++) {
      crc = (table[(crc ^ (data[index] as number)) & 0xff] as number) ^ (crc >>> 8);
    }
    this.crc = crc;
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

/** CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, as two 32-bit halves (no BigInt per byte). */
const CRC64_TABLE = (() => {
  const high = new Uint32Array(256);
  const low = new Uint32Array(256);
  const polynomial = 0x9a6c9329ac4bc9b5n;
  for (let byte = 0; byte < 256; byte++) {
    let crc = BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ polynomial : crc >> 1n;
    high[byte] = Number(crc >> 32n);
    low[byte] = Number(crc & 0xffffffffn);
  }
  return { high, low };
})();

class Crc64Nvme implements Checksum {
  private high = 0xffffffff;
  private low = 0xffffffff;
  update(data: Uint8Array): void {
    let high = this.high;
    let low = this.low;
    const { high: tableHigh, low: tableLow } = CRC64_TABLE;
    for (let index = 0; index < data.length; index++) {
      const entry = (low ^ (data[index] as number)) & 0xff;
      // crc = table[entry] ^ (crc >>> 8), on two halves
      const shiftedLow = ((low >>> 8) | (high << 24)) >>> 0;
      const shiftedHigh = high >>> 8;
      low = ((tableLow[entry] as number) ^ shiftedLow) >>> 0;
      high = ((tableHigh[entry] as number) ^ shiftedHigh) >>> 0;
    }
    this.high = high;
    this.low = low;
  }
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.high ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.low ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class NodeHash implements Checksum {
  private readonly hash: Hash;
  constructor(algorithm: 'sha1' | 'sha256' | 'md5') {
    this.hash = createHash(algorithm);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32(CRC32_TABLE);
    case 'CRC32C':
      return new Crc32(CRC32C_TABLE);
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new NodeHash('sha1');
    case 'SHA256':
      return new NodeHash('sha256');
  }
}

/** The base64 checksum of some bytes. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digest().toString('base64');
}

/** MD5 (the ETag of a single-part object, and `Content-MD5`). */
export function createMd5(): Checksum {
  return new NodeHash('md5');
}
