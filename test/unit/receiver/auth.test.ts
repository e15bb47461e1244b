import { describe, expect, it } from 'vitest';
import { isActiveToken, parseBearer, sourceIpAllowList, tokenDigest } from '#lambdas/receiver/auth';

describe('parseBearer', () => {
  it.each([
    [{ authorization: 'Bearer abc' }, { kind: 'token', token: 'abc' }],
    [{ Authorization: 'bearer abc' }, { kind: 'token', token: 'abc' }],
    [{ AUTHORIZATION: '  Bearer   abc  ' }, { kind: 'token', token: 'abc' }],
    [{}, { kind: 'missing' }],
    [undefined, { kind: 'missing' }],
    [{ authorization: '' }, { kind: 'missing' }],
    [{ authorization: 'Basic abc' }, { kind: 'not-bearer' }],
    [{ authorization: 'Bearer' }, { kind: 'not-bearer' }],
    [{ authorization: 'Bearer a b' }, { kind: 'not-bearer' }],
    [{ authorization: 'abc' }, { kind: 'not-bearer' }],
  ])('%o → %o', (headers, expected) => {
    expect(parseBearer(headers)).toEqual(expected);
  });
});

describe('isActiveToken', () => {
  const active = ['first', 'second'].map(tokenDigest);

  it('accepts any active token and nothing else', () => {
    expect(isActiveToken('first', active)).toBe(true);
    expect(isActiveToken('second', active)).toBe(true);
    expect(isActiveToken('third', active)).toBe(false);
    expect(isActiveToken('firs', active)).toBe(false);
    expect(isActiveToken('first', [])).toBe(false);
  });
});

describe('sourceIpAllowList', () => {
  it('allows everyone when no CIDR is configured', () => {
    expect(sourceIpAllowList([])('192.0.2.1')).toBe(true);
  });

  it('allows addresses inside the listed IPv4 and IPv6 networks only', () => {
    const allowed = sourceIpAllowList(['198.51.100.0/24', '192.0.2.7', '2001:db8::/32']);
    expect(allowed('198.51.100.255')).toBe(true);
    expect(allowed('198.51.101.0')).toBe(false);
    expect(allowed('192.0.2.7')).toBe(true);
    expect(allowed('192.0.2.8')).toBe(false);
    expect(allowed('2001:db8:1::5')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
    expect(allowed(undefined)).toBe(false);
    expect(allowed('not an ip')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'banana/8', '10.0.0.0/x'])('refuses the malformed CIDR %s', (cidr) => {
    expect(() => sourceIpAllowList([cidr])).toThrow(/ALLOWED_SOURCE_CIDRS/);
  });
});
