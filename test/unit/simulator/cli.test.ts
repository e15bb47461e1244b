import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedServer } from './scripted-server';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

async function simulateCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'local/simulate-cli.ts', ...args],
      { cwd: repoRoot, env: { ...process.env, CURRENTS_TOKENS: '', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run simulate', () => {
  let close: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await close?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends the requested families with the token from <data-dir>/token and prints the report', async () => {
    // Prepare
    const server = await startScriptedServer(() => ({ status: 200 }));
    close = server.close;
    dir = await mkdtemp(path.join(tmpdir(), 'simulate-cli-'));
    await writeFile(path.join(dir, 'token'), 'kept-token\n');

    // Act
    const result = await simulateCli([
      '--url',
      server.url,
      '--count',
      '150',
      '--types',
      'users.messages.sms.*',
      '--data-dir',
      dir,
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sent 150, acknowledged 150, dropped 0, unsent 0');
    expect(result.stdout).toContain('by status: 200×2');
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer kept-token')).toBe(true);
    expect(
      server.requests
        .flatMap((r) => r.events)
        .every((e) => String(e.event_type).startsWith('users.messages.sms.')),
    ).toBe(true);
  });

  it('exits 1 and names the stop reason when the receiver refuses the token', async () => {
    // Prepare
    const server = await startScriptedServer(() => ({
      status: 403,
      body: '{"message":"Token not accepted"}',
    }));
    close = server.close;

    // Act
    const result = await simulateCli(['--url', server.url, '--token', 'wrong', '--count', '10']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('stopped on HTTP 403: {"message":"Token not accepted"}');
    expect(result.stdout).toContain('unsent 10');
  });

  it('exits 2 with a hint when there is no token at all', async () => {
    // Prepare
    dir = await mkdtemp(path.join(tmpdir(), 'simulate-cli-'));

    // Act
    const result = await simulateCli(['--data-dir', dir, '--count', '1']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No token/);
  });
});
