import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateToken, localTokens, parseTokenList } from '#local/runtime/tokens';

describe('local tokens', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates 48 alphanumerics, like the stack', () => {
    expect(generateToken()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(generateToken()).not.toBe(generateToken());
  });

  it('reads a comma-separated list, ignoring blanks', () => {
    expect(parseTokenList(' a, ,b,')).toEqual(['a', 'b']);
    expect(parseTokenList(undefined)).toEqual([]);
  });

  it('uses given tokens as they are and writes nothing', async () => {
    // Prepare
    dir = await mkdtemp(path.join(tmpdir(), 'tokens-'));

    // Act
    const tokens = await localTokens(dir, ['x', 'y']);

    // Assess
    expect(tokens).toEqual(['x', 'y']);
    await expect(stat(path.join(dir, 'token'))).rejects.toThrow();
  });

  it('makes a token on first start, keeps it private, and reuses it on the next start', async () => {
    // Prepare
    dir = await mkdtemp(path.join(tmpdir(), 'tokens-'));

    // Act
    const first = await localTokens(dir, []);
    const second = await localTokens(dir, []);

    // Assess
    expect(first).toEqual(second);
    expect((await readFile(path.join(dir, 'token'), 'utf8')).trim()).toBe(first[0]);
    expect((await stat(path.join(dir, 'token'))).mode & 0o077).toBe(0);
  });
});
