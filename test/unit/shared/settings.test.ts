/**
 * One validator per setting: every value is judged the same at synth (`lib/config.ts`) and at
 * cold start (`lambdas/shared/config.ts`, and the receiver's allow-list), so a value that passes
 * synth can never make every cold start throw.
 */
import { describe, expect, it } from 'vitest';
import { sourceIpAllowList } from '#lambdas/receiver/auth';
import { MAX_BODY_CAP_BYTES, MAX_DECOMPRESSED_CAP_BYTES } from '#lambdas/shared/body-cap';
import { loadReceiverConfig } from '#lambdas/shared/config';
import { parseBridgeConfig } from '#lib/config';

const baseEnv = {
  EVENT_BUS_NAME: 'bus',
  ARCHIVE_BUCKET: 'bucket',
  SPILLOVER_QUEUE_URL: 'https://sqs.example/q',
  CURRENTS_TOKENS: 't',
};

function atSynth(input: Record<string, unknown>): boolean {
  try {
    parseBridgeConfig(input);
    return true;
  } catch {
    return false;
  }
}

function atColdStart(env: Record<string, string>, build?: (cidrs: string[]) => void): boolean {
  try {
    const config = loadReceiverConfig({ ...baseEnv, ...env });
    build?.(config.allowedSourceCidrs);
    return true;
  } catch {
    return false;
  }
}

describe('allowedSourceCidrs / ALLOWED_SOURCE_CIDRS', () => {
  it.each([
    ['203.0.113.0/24', true],
    ['2001:db8::/32', true],
    ['198.51.100.7', true],
    ['::1/128', true],
    ['0.0.0.0/0', true],
    ['1:::::::::1/64', false],
    ['300.1.1.1/32', false],
    ['10.0.0.0/33', false],
    ['2001:db8::/129', false],
    ['10.0.0.0/', false],
    ['10.0.0.0/08x', false],
    ['braze.com', false],
    ['fe80::1%eth0/64', false],
  ])('%s → valid: %s, the same at synth, at config load and when the allow-list is built', (cidr, valid) => {
    expect(atSynth({ allowedSourceCidrs: [cidr] })).toBe(valid);
    expect(atColdStart({ ALLOWED_SOURCE_CIDRS: cidr }, (cidrs) => sourceIpAllowList(cidrs))).toBe(valid);
  });
});

describe('eventSource / EVENT_SOURCE', () => {
  it.each([
    ['braze.currents', true],
    ['a', true],
    ['x'.repeat(256), true],
    ['x'.repeat(257), false],
    ['aws.braze', false],
  ])('%s → valid: %s at synth and at cold start', (source, valid) => {
    expect(atSynth({ eventSource: source })).toBe(valid);
    expect(atColdStart({ EVENT_SOURCE: source })).toBe(valid);
  });
});

describe('maxBodyBytes / MAX_BODY_BYTES', () => {
  it.each([
    [1024, true],
    [MAX_BODY_CAP_BYTES, true],
    [MAX_BODY_CAP_BYTES + 1, false],
    [4 * 1024 * 1024, false],
    [1023, false],
  ])('%d → valid: %s at synth and at cold start', (bytes, valid) => {
    expect(atSynth({ maxBodyBytes: bytes })).toBe(valid);
    expect(atColdStart({ MAX_BODY_BYTES: String(bytes) })).toBe(valid);
  });
});

describe('MAX_DECOMPRESSED_BYTES (cold start only: the stack leaves it at its default)', () => {
  it.each([
    [1024, true],
    [MAX_DECOMPRESSED_CAP_BYTES, true],
    [MAX_DECOMPRESSED_CAP_BYTES + 1, false],
    [100 * 1024 * 1024, false],
    [1023, false],
  ])('%d → valid: %s', (bytes, valid) => {
    expect(atColdStart({ MAX_DECOMPRESSED_BYTES: String(bytes) })).toBe(valid);
  });

  it('names the variable and the bound when it is over the cap', () => {
    const load = () => loadReceiverConfig({ ...baseEnv, MAX_DECOMPRESSED_BYTES: String(100 * 1024 * 1024) });
    expect(load).toThrow(/at MAX_DECOMPRESSED_BYTES/);
    expect(load).toThrow(`from 1024 to ${MAX_DECOMPRESSED_CAP_BYTES}`);
  });
});
