/**
 * Where the active tokens come from: a Secrets Manager secret (cached by Powertools Parameters for
 * `TOKEN_CACHE_SECONDS`, so a rotation takes effect within that time) or, locally, `CURRENTS_TOKENS`.
 */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { tokenDigest } from './auth';

/** Digests of the tokens active right now. Throws when the source cannot be read. */
export interface TokenSource {
  activeDigests(): Promise<readonly Buffer[]>;
}

/**
 * The secret's JSON: every non-empty string value whose key starts with `token`
 * (`{"token":"old","token_next":"new"}`), plus every string of an optional `tokens` array.
 */
export function tokensFromSecret(secretString: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Never echo the secret: its text is the token.
    throw new Error('the token secret is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the token secret is not a JSON object');
  }
  const tokens: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'tokens' && Array.isArray(value)) {
      tokens.push(...value.filter((item): item is string => typeof item === 'string' && item.length > 0));
    } else if (key.startsWith('token') && typeof value === 'string' && value.length > 0) {
      tokens.push(value);
    }
  }
  return tokens;
}

export function staticTokenSource(tokens: readonly string[]): TokenSource {
  const digests = tokens.map(tokenDigest);
  return { activeDigests: async () => digests };
}

export function secretTokenSource(
  provider: SecretsProvider,
  secretId: string,
  maxAgeSeconds: number,
): TokenSource {
  let lastSecret: string | undefined;
  let lastDigests: readonly Buffer[] = [];
  return {
    async activeDigests() {
      const secret = await provider.get(secretId, { maxAge: maxAgeSeconds });
      const text = typeof secret === 'string' ? secret : Buffer.from(secret ?? '').toString('utf8');
      if (text !== lastSecret) {
        lastDigests = tokensFromSecret(text).map(tokenDigest);
        lastSecret = text;
      }
      return lastDigests;
    },
  };
}
