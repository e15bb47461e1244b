/**
 * IP addresses and `cidr` ranges, read the way the service reads them: only text shaped like an
 * address counts (four dotted decimal numbers, or hex digits and colons), and a range is the whole
 * block: from the address with every host bit cleared to the address with every host bit set, so
 * `10.0.0.5/24` covers `10.0.0.0`–`10.0.0.255` as CIDR notation means (event-ruler floors the range
 * since https://github.com/aws/event-ruler/pull/89; before, it started at the address as written).
 */

/** 4 bytes (IPv4) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;

export interface IpRange {
  low: IpBytes;
  high: IpBytes;
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** Whether the text is shaped like an IP address, before checking that it is a valid one. */
export function looksLikeIp(text: string): boolean {
  return IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);
}

/** The address's bytes, or undefined when the text is not a valid IPv4 or IPv6 literal. */
export function parseIp(text: string): IpBytes | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return undefined;
}

function parseIpv4(text: string): IpBytes | undefined {
  const bytes = text.split('.').map(Number);
  if (bytes.some((byte) => byte > 255)) return undefined;
  return Uint8Array.from(bytes);
}

function parseIpv6(text: string): IpBytes | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const groups =
    halves.length === 2
      ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
      : head;
  if (groups.length !== 8 || (halves.length === 2 && head.length + tail.length > 7)) return undefined;
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  return bytes;
}

/** Parses a `cidr` operand; returns the service's reason when it is not a valid range. */
export function parseCidr(text: string): IpRange | { problem: string } {
  const parts = splitLikeJava(text, '/');
  if (parts.length !== 2) return { problem: "Malformed CIDR, one '/' required" };
  const [address, maskText] = parts as [string, string];
  if (!/^[+-]?\d{1,10}$/.test(maskText) || Math.abs(Number(maskText)) > 2 ** 31 - 1) {
    return { problem: 'Malformed CIDR, mask bits must be an integer' };
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) return { problem: 'Malformed CIDR, mask bits must not be negative' };
  if (!looksLikeIp(address)) return { problem: `Nonstandard IP address: ${address}` };
  const low = parseIp(address);
  if (!low) return { problem: `Invalid IP address: ${address}` };
  // The service's own bounds (event-ruler's CIDR): a v4 mask of 32 or a v6 mask of 128 is refused.
  if (low.length === 4 && maskBits > 31) return { problem: 'IPv4 mask bits must be < 32' };
  if (low.length === 16 && maskBits > 127) return { problem: 'IPv6 mask bits must be < 128' };
  const high = Uint8Array.from(low);
  let hostBits = low.length * 8 - maskBits;
  for (let i = high.length - 1; i >= 0 && hostBits > 0; i--, hostBits -= 8) {
    const hostMask = hostBits >= 8 ? 0xff : (1 << hostBits) - 1;
    low[i] = (low[i] as number) & ~hostMask;
    high[i] = (high[i] as number) | hostMask;
  }
  return { low, high };
}

/** Java's `String.split`: trailing empty parts are dropped, which the service's CIDR check inherits. */
function splitLikeJava(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function ipInRange(ip: IpBytes, { low, high }: IpRange): boolean {
  return ip.length === low.length && compareBytes(ip, low) >= 0 && compareBytes(ip, high) <= 0;
}

export function sameIp(a: IpBytes, b: IpBytes): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

function compareBytes(a: IpBytes, b: IpBytes): number {
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}
