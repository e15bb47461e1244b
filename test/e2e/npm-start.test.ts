import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { factoryEvents, simulate } from '#local/simulator/index';
import { until } from './pipeline';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the real URL, serves a batch, shows the counts line, and stops cleanly on SIGINT', async () => {
    // Prepare
    dataDir = await mkdtemp(path.join(tmpdir(), 'currents-start-'));
    let output = '';
    const started = spawn(
      process.execPath,
      // As `npm start` runs it: one process, so SIGINT reaches the handler (tsx's own CLI relays
      // signals to a child and SIGKILLs it when the child does not confirm within 30 ms).
      ['--import', 'tsx', 'local/start.ts'],
      {
        cwd: repoRoot,
        env: { ...process.env, PORT: '0', CURRENTS_DATA_DIR: dataDir, CURRENTS_TOKENS: 'start-token' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));

    // Act
    await until(() => /Connector URL\s+http:\/\/\S+/.test(output), 'the connector URL in the output', 90_000);
    const url = /Connector URL\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
    const report = await simulate({ url, token: 'start-token', events: factoryEvents({ count: 25 }) });
    await until(() => output.includes('received 25 · published 25'), 'the counts line', 30_000);
    started.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:(?!3000\/)\d+\/currents$/);
    expect(output).toContain('Token          start-token');
    expect(output).toContain('curl -i -X POST');
    expect(output).toContain('npm run simulate');
    expect(report).toMatchObject({ acknowledged: 25, dropped: 0 });
    expect(output).toMatch(/received 25 · published 25 · archived 25 · spilled 0 · quarantined 0\nstopped/);
    expect(code).toBe(0);
    expect((await stat(path.join(dataDir, 'bus.ndjson'))).size).toBeGreaterThan(0);
  }, 180_000);
});
