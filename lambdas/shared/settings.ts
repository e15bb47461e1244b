/**
 * One validator per setting, shared by the stack (`lib/config.ts`, at synth) and the functions
 * (`config.ts`, at cold start), so a value that passes synth never makes a cold start throw.
 * Each returns `undefined` when the value is fine, or a problem in a few words.
 */
import { isIP } from 'node:net';
import { PUT_EVENTS_LIMITS } from './aws-limits';
import { MAX_BODY_CAP_BYTES, MAX_DECOMPRESSED_CAP_BYTES } from './body-cap';

/** A CIDR block, parsed. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `203.0.113.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). The address is
 * checked by `node:net`'s `isIP`, the same parser the receiver's allow-list uses.
 * @returns the block, or a problem naming the text
 */
export function parseCidr(text: string): Cidr | { problem: string } {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  // A zone index (`fe80::1%eth0`) names an interface, not a network: not a CIDR block.
  const family = address.includes('%') ? 0 : isIP(address);
  const maxPrefix = family === 6 ? 128 : 32;
  const prefix =
    prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
    return { problem: `"${text}" is not a CIDR block such as 203.0.113.0/24 or 2001:db8::/32` };
  }
  return { address, prefix, family: family === 6 ? 'ipv6' : 'ipv4' };
}

export function cidrProblem(text: string): string | undefined {
  const parsed = parseCidr(text);
  return 'problem' in parsed ? parsed.problem : undefined;
}

/** `Source` of the published entries: PutEvents takes 1–256 characters, not starting with `aws.`. */
export function eventSourceProblem(source: string): string | undefined {
  if (
    source.length < PUT_EVENTS_LIMITS.minSourceLength ||
    source.length > PUT_EVENTS_LIMITS.maxSourceLength
  ) {
    return `must have ${PUT_EVENTS_LIMITS.minSourceLength} to ${PUT_EVENTS_LIMITS.maxSourceLength} characters (EventBridge's Source limit)`;
  }
  if (source.startsWith(PUT_EVENTS_LIMITS.reservedSourcePrefix)) {
    return `the prefix "${PUT_EVENTS_LIMITS.reservedSourcePrefix}" is reserved for AWS services`;
  }
  return undefined;
}

/** The smallest body cap that still takes one ordinary Braze event. */
export const MIN_BODY_CAP_BYTES = 1024;

/** `maxBodyBytes`: a whole number from 1,024 to {@link MAX_BODY_CAP_BYTES}. */
export function maxBodyBytesProblem(bytes: number): string | undefined {
  if (!Number.isInteger(bytes) || bytes < MIN_BODY_CAP_BYTES || bytes > MAX_BODY_CAP_BYTES) {
    return `must be a whole number from ${MIN_BODY_CAP_BYTES} to ${MAX_BODY_CAP_BYTES} (larger bodies could exceed Lambda's 6 MB invocation limit once API Gateway escapes them)`;
  }
  return undefined;
}

/**
 * `MAX_DECOMPRESSED_BYTES`: a whole number from 1,024 to {@link MAX_DECOMPRESSED_CAP_BYTES}. A larger
 * cap would let a small gzip body bring more work than the function can finish before its timeout
 * on every retry (derivation in `body-cap.ts`).
 */
export function maxDecompressedBytesProblem(bytes: number): string | undefined {
  if (!Number.isInteger(bytes) || bytes < MIN_BODY_CAP_BYTES || bytes > MAX_DECOMPRESSED_CAP_BYTES) {
    return `must be a whole number from ${MIN_BODY_CAP_BYTES} to ${MAX_DECOMPRESSED_CAP_BYTES} (a gzip body inflating to more would bring more work than one invocation can publish or spill before its timeout)`;
  }
  return undefined;
}

/** `claimCheckThresholdBytes`: 1 to the EventBridge entry limit. */
export function claimCheckThresholdProblem(bytes: number): string | undefined {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > PUT_EVENTS_LIMITS.maxEntryBytes) {
    return `must be a whole number from 1 to ${PUT_EVENTS_LIMITS.maxEntryBytes} (the EventBridge entry limit)`;
  }
  return undefined;
}
