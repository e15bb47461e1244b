/**
 * Who may post: a Bearer token that is one of the active tokens, optionally only from listed
 * networks. Tokens are compared as SHA-256 digests with `timingSafeEqual`, against every active
 * token without stopping at a match, so response time says nothing about any token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { parseCidr } from '../shared/settings';

export type BearerResult = { kind: 'token'; token: string } | { kind: 'missing' } | { kind: 'not-bearer' };

/** Reads `Authorization: Bearer <token>`; header names in any case (API Gateway v2 lowercases them). */
export function parseBearer(headers: Readonly<Record<string, string | undefined>> | undefined): BearerResult {
  let value: string | undefined;
  for (const name in headers) {
    if (name.toLowerCase() === 'authorization') value = headers[name];
  }
  if (value === undefined || value.trim() === '') return { kind: 'missing' };
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ? { kind: 'token', token: match[1] } : { kind: 'not-bearer' };
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when the presented token's digest equals one of the active digests; constant in time per digest. */
export function isActiveToken(presented: string, activeDigests: readonly Buffer[]): boolean {
  const digest = tokenDigest(presented);
  let matched = false;
  for (const active of activeDigests) {
    // The comparison is on the left, so it runs for every active token, match or not.
    matched = timingSafeEqual(digest, active) || matched;
  }
  return matched;
}

export type SourceIpCheck = (sourceIp: string | undefined) => boolean;

/** Parses `ALLOWED_SOURCE_CIDRS`; an empty list allows everyone. Throws on a malformed CIDR. */
export function sourceIpAllowList(cidrs: readonly string[]): SourceIpCheck {
  if (cidrs.length === 0) return () => true;
  // node:net's BlockList does the prefix arithmetic for IPv4 and IPv6; only the parsing is ours.
  const allowed = new BlockList();
  for (const cidr of cidrs) {
    // The same parser the stack validates `allowedSourceCidrs` with at synth.
    const parsed = parseCidr(cidr);
    if ('problem' in parsed) throw new Error(`ALLOWED_SOURCE_CIDRS: ${parsed.problem}`);
    allowed.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (sourceIp) => {
    const family = sourceIp ? isIP(sourceIp) : 0;
    if (!sourceIp || family === 0) return false;
    return allowed.check(sourceIp, family === 6 ? 'ipv6' : 'ipv4');
  };
}
