import { describe, expect, it } from 'vitest';
import { isActiveToken } from '#lambdas/receiver/auth';
import { staticTokenSource, tokensFromSecret } from '#lambdas/receiver/token-source';

describe('tokensFromSecret', () => {
  it('takes every non-empty string under a key starting with token, and the tokens array', () => {
    expect(
      tokensFromSecret(
        JSON.stringify({
          token: 'a',
          token_next: 'b',
          tokenOld: '',
          other: 'c',
          token_n: 5,
          tokens: ['d', 7, ''],
        }),
      ).sort(),
    ).toEqual(['a', 'b', 'd']);
  });

  it('refuses a secret that is not a JSON object, without repeating it', () => {
    expect(() => tokensFromSecret('plain-secret-value')).toThrow(/not JSON/);
    expect(() => tokensFromSecret('plain-secret-value')).not.toThrow(/plain-secret-value/);
    expect(() => tokensFromSecret('["a"]')).toThrow(/not a JSON object/);
  });
});

describe('staticTokenSource', () => {
  it('accepts exactly the configured tokens', async () => {
    const digests = await staticTokenSource(['a', 'b']).activeDigests();
    expect(isActiveToken('a', digests)).toBe(true);
    expect(isActiveToken('b', digests)).toBe(true);
    expect(isActiveToken('c', digests)).toBe(false);
  });
});
