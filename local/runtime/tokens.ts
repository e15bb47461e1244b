import { randomInt } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A token shaped like the one the stack generates: 48 alphanumerics. */
export function generateToken(length = 48): string {
  let token = '';
  for (let i = 0; i < length; i++) token += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return token;
}

/** Comma-separated tokens, as `CURRENTS_TOKENS` holds them. */
export function parseTokenList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/**
 * The active tokens of local mode: the given ones, or the token kept in `<dataDir>/token` (made on
 * first start), so a Braze connector or a script configured once keeps working across restarts.
 */
export async function localTokens(dataDir: string, given: readonly string[]): Promise<string[]> {
  if (given.length > 0) return [...given];
  const file = path.join(dataDir, 'token');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept !== '') return [kept];
  } catch {
    // First start: no token yet.
  }
  const token = generateToken();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return [token];
}
