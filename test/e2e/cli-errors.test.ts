/**
 * Every error a user can make with the command lines ends in one clear message on stderr, no stack
 * trace, and a non-zero exit: a bad setting of `npx cdk synth`, and bad options, ports, data
 * directories, URLs and files of `npm start`, `npm run simulate` and `npm run pattern`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
/** How a Node.js stack frame starts; a user error must print none. */
const STACK_FRAME = /^ {4}at /m;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}, timeout = 120_000) {
  return new Promise<Outcome>((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: repoRoot,
        timeout,
        env: { ...process.env, CURRENTS_TOKENS: '', AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1', ...env },
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

const cli = (script: string, args: string[], env?: Record<string, string>) =>
  script === 'local/start.ts'
    ? run(process.execPath, ['--import', 'tsx', script, ...args], env) // as `npm start` runs it
    : run(process.execPath, [tsx, script, ...args], env);

function expectUserError(outcome: Outcome, code: number, message: RegExp): void {
  expect(outcome.stderr).toMatch(message);
  expect(outcome.stderr).not.toMatch(STACK_FRAME);
  expect(outcome.code, outcome.stderr).toBe(code);
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'cli-errors-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('names a bad setting and its reason in one message, without a stack', async () => {
    const outcome = await run(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '--no-notices',
        '--output',
        path.join(scratch, 'cdk.out'),
        '-c',
        'silenceHours=0',
      ],
      { CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      300_000,
    );

    expectUserError(outcome, 1, /Invalid currents-bridge settings:\n {2}silenceHours: .*>=1/);
    expect(outcome.stderr).not.toMatch(/InvalidBridgeConfigError|config\.ts/);
  }, 300_000);
});

describe('npm run simulate', () => {
  it.each([
    [['--nope'], /Unknown option '--nope'\nRun with --help/],
    [['--token', 't', '--count', 'many'], /--count must be a whole number of at least 0, got "many"/],
    [['--token', 't', '--batch-size', '101'], /--batch-size must be a whole number from 1 to 100/],
    [['--token', 't', '--url', 'not a url'], /--url must be an http\(s\) URL/],
    [
      ['--token', 't', '--types', 'users.nothing.*'],
      /--types: no known event type matches users\.nothing\.\*/,
    ],
    [['--token', 't', '--samples', '/nonexistent-samples'], /--samples \/nonexistent-samples: ENOENT/],
    [['--data-dir', '/nonexistent-data-dir'], /No token: pass --token/],
  ])('%j: exits 2 with one message', async (args, message) => {
    expectUserError(await cli('local/simulate-cli.ts', args), 2, message);
  });

  it('exits 2 naming the sample file that is not a JSON array', async () => {
    const samples = await mkdtemp(path.join(scratch, 'samples-'));
    await writeFile(path.join(samples, 'samples-not-array.json'), '{"event_type":"x"}');

    const outcome = await cli('local/simulate-cli.ts', ['--token', 't', '--samples', samples]);

    expectUserError(outcome, 2, /samples-not-array\.json: expected a JSON array of events/);
  });
});

describe('npm run pattern', () => {
  it.each([
    [['--nope'], 2, /Unknown option '--nope'/],
    [['--pattern-file', '/nonexistent-rule.json'], 2, /ENOENT.*nonexistent-rule\.json/],
    [['{"detail-type": "not an array"}'], 1, /Event pattern is not valid/],
  ])('%j: exits %i with one message', async (args, code, message) => {
    expectUserError(await cli('local/pattern-cli.ts', args), code, message);
  });
});

describe('npm start', () => {
  let busy: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => (busy ? busy.close(resolve) : resolve(undefined)));
  });

  it.each([
    [['--port', 'abc'], /--port must be a port number from 0 to 65535/],
    [['--port', '70000'], /--port must be a port number from 0 to 65535/],
    [['--verbos'], /Unknown option '--verbos'/],
  ])('%j: exits 2 with one message', async (args, message) => {
    expectUserError(await cli('local/start.ts', args), 2, message);
  });

  it('rejects a bad $PORT the same way', async () => {
    expectUserError(await cli('local/start.ts', [], { PORT: 'eighty' }), 2, /\$PORT must be a port number/);
  });

  it('exits 1 when the port is taken, saying how to pick another', async () => {
    const server = createServer();
    busy = server;
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );

    const outcome = await cli('local/start.ts', ['--port', String(port)], {
      CURRENTS_DATA_DIR: path.join(scratch, 'busy-port'),
    });

    expectUserError(outcome, 1, new RegExp(`port ${port} is already in use.*--port 0`));
  });

  it('exits 1 when the data directory cannot be created', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, '');

    const outcome = await cli('local/start.ts', ['--port', '0', '--data-dir', path.join(file, 'data')]);

    expectUserError(outcome, 1, /cannot use .*a-file.*ENOTDIR.*--data-dir/);
  });
});
