/** The two operators with their own small engines: wildcard globs and IP ranges, against simple oracles. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipInRange, parseCidr, parseIp } from '#local/event-pattern/ip';
import {
  MAX_WILDCARD_COMPLEXITY,
  matchesWildcard,
  parseWildcard,
  type WildcardPattern,
  wildcardComplexity,
} from '#local/event-pattern/wildcard';

function parsed(pattern: string): WildcardPattern {
  const result = parseWildcard(pattern);
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

/** The obvious (backtracking) definition, fine for short strings. */
function oracle(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`).test(value);
}

describe('wildcard matching', () => {
  it('agrees with a regular-expression oracle on any pattern and value', () => {
    const pattern = fc
      .array(fc.constantFrom('a', 'b', '.', '*'), { maxLength: 8 })
      .map((chars) => chars.join(''))
      .filter((text) => !text.includes('**'));
    const value = fc.array(fc.constantFrom('a', 'b', '.'), { maxLength: 12 }).map((chars) => chars.join(''));

    fc.assert(
      fc.property(pattern, value, (p, v) => {
        expect(matchesWildcard(parsed(p), v)).toBe(oracle(p, v));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not let segments overlap the literal start and end', () => {
    expect(matchesWildcard(parsed('ab*ba'), 'aba')).toBe(false);
    expect(matchesWildcard(parsed('ab*ba'), 'abba')).toBe(true);
    expect(matchesWildcard(parsed('a*b*a'), 'aba')).toBe(true);
  });

  it('measures how many partial matches a field keeps alive', () => {
    expect(wildcardComplexity([parsed('arn:aws:events:us-east-1:*:event-bus/*')])).toBe(3);
    expect(wildcardComplexity([parsed('/Users/*/dir/dir/dir/dir/dir/doc.txt')])).toBeLessThanOrEqual(
      MAX_WILDCARD_COMPLEXITY,
    );
    expect(wildcardComplexity([parsed('*:*:*:*:*:event-bus/*')])).toBeGreaterThan(MAX_WILDCARD_COMPLEXITY);
    expect(wildcardComplexity([parsed('*/init/*'), parsed('*/dir/*')])).toBeGreaterThan(
      wildcardComplexity([parsed('*/dir/*')]),
    );
  });
});

describe('IP addresses and CIDR ranges', () => {
  it('reads every IPv4 address written in dotted decimal', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect([...(parseIp(address) ?? [])]).toEqual(address.split('.').map(Number));
      }),
    );
  });

  it('reads compressed and full IPv6 forms as the same address', () => {
    expect(parseIp('2001:db8::1')).toEqual(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001'));
    expect(parseIp('::')).toEqual(new Uint8Array(16));
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIp('12345::')).toBeUndefined();
  });

  it('puts an address inside a range exactly when its network bits agree', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 31 }), (base, candidate, mask) => {
        const range = parseCidr(`${base}/${mask}`);
        if ('problem' in range) throw new Error(range.problem);
        const toNumber = (ip: string) => ip.split('.').reduce((n, byte) => n * 256 + Number(byte), 0);
        const hostSpan = 2 ** (32 - mask);
        // The whole block, whatever host bits the address is written with (event-ruler PR #89).
        const low = Math.floor(toNumber(base) / hostSpan) * hostSpan;
        const high = low + hostSpan - 1;

        const inside = ipInRange(parseIp(candidate) as Uint8Array, range);

        expect(inside).toBe(toNumber(candidate) >= low && toNumber(candidate) <= high);
      }),
    );
  });
});
