/**
 * Every error a user can make with the command lines ends in one clear message on stderr, no stack
 * trace, and a non-zero exit: a bad setting of `npx cdk synth`, and bad options, ports, data
 * directories, URLs and files of `npm start`, `npm run simulate`, `pattern`, `query`, `replay` and
 * `routes`.
 *
 * Each CLI's `main` runs in-process through `runCli` (`lib/cli.ts`), exactly as its entry point
 * runs it, for the many cases; one real process per CLI proves the entry point wires it so: the
 * exit status, and no stack trace. The spawns of the light CLIs run side by side.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPatternCli } from '#local/pattern-cli';
import { main as simulateMain } from '#local/simulate-cli';
import { main as startMain } from '#local/start';
import { type CliOutcome, runInProcess, STACK_FRAME } from '#test/cli-process';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');

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

/** A CLI as its npm script runs it (`npm start` with `node --import tsx`, the others with tsx). */
const cli = (script: string, args: string[], env?: Record<string, string>) =>
  script === 'local/start.ts'
    ? run(process.execPath, ['--import', 'tsx', script, ...args], env)
    : run(process.execPath, [tsx, script, ...args], env);

function expectUserError(outcome: Outcome | CliOutcome, code: number, message: RegExp): void {
  expect(outcome.stderr).toMatch(message);
  expect(outcome.stderr).not.toMatch(STACK_FRAME);
  expect(outcome.code, outcome.stderr).toBe(code);
}

let scratch: string;
/** One real process per light CLI, started together in `beforeAll`. */
let spawned: Record<'simulate' | 'pattern' | 'query' | 'replay' | 'routes', Outcome>;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'cli-errors-'));
  const [simulate, pattern, query, replay, routes] = await Promise.all([
    cli('local/simulate-cli.ts', ['--nope']),
    cli('local/pattern-cli.ts', ['--pattern-file', '/nonexistent-rule.json']),
    cli('local/query/main.ts', ['--data-dir', path.join(scratch, 'no-data'), 'SELECT 1']),
    cli('local/replay-cli.ts', ['--since', '2026-11-30', '--until', '2026-12-01', '--bus', 'my bus']),
    cli('local/routes-cli.ts', [
      '--pattern-file',
      '/nonexistent-rule.json',
      '--template',
      '/nonexistent.json',
    ]),
  ]);
  spawned = { simulate, pattern, query, replay, routes };
}, 300_000);
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
  it('as a process: exits 2 with one message', () => {
    expectUserError(spawned.simulate, 2, /^Unknown option '--nope'\nRun with --help/);
  });

  it.each([
    [['--nope'], /^Unknown option '--nope'\nRun with --help/],
    [['--token', 't', '--count', 'many'], /--count must be a whole number from 0 to 1000000, got "many"/],
    [['--token', 't', '--batch-size', '101'], /--batch-size must be a whole number from 1 to 100/],
    [['--token', 't', '--url', 'not a url'], /--url must be an http\(s\) URL/],
    [['--token', 't', '--count', '99999999999'], /--count must be a whole number from 0 to 1000000/],
    [['--token', 't', '--samples', '/tmp', '--types', 'x'], /--types and --seed choose factory events/],
    [
      ['--token', 't', '--types', 'users.nothing.*'],
      /--types: no known event type matches users\.nothing\.\*/,
    ],
    [['--token', 't', '--samples', '/nonexistent-samples'], /--samples \/nonexistent-samples: ENOENT/],
    [['--data-dir', '/nonexistent-data-dir'], /No token: pass --token/],
  ])('%j: exits 2 with one message', async (args, message) => {
    expectUserError(await runInProcess(() => simulateMain(args, {})), 2, message);
  });

  it('exits 2 naming the sample file that is not a JSON array', async () => {
    const samples = await mkdtemp(path.join(scratch, 'samples-'));
    await writeFile(path.join(samples, 'samples-not-array.json'), '{"event_type":"x"}');

    const outcome = await runInProcess(() => simulateMain(['--token', 't', '--samples', samples], {}));

    expectUserError(outcome, 2, /samples-not-array\.json: expected a JSON array of events/);
  });
});

describe('npm run pattern', () => {
  it('as a process: exits 2 with one message', () => {
    expectUserError(spawned.pattern, 2, /--pattern-file \/nonexistent-rule\.json: does not exist/);
  });

  it.each([
    [['--nope'], 2, /^Unknown option '--nope'/],
    [
      ['--pattern-file', '/nonexistent-rule.json'],
      2,
      /--pattern-file \/nonexistent-rule\.json: does not exist/,
    ],
    [['--pattern-file', '/'], 2, /--pattern-file \/: is a directory/],
    [['{"detail-type": "not an array"}'], 1, /^Event pattern is not valid/],
  ])('%j: exits %i with one message', async (args, code, message) => {
    let printed = '';
    const outcome = await runInProcess(() =>
      runPatternCli(args, {
        stdout: () => undefined,
        stderr: (line) => {
          printed += `${line}\n`;
        },
      }),
    );
    expectUserError({ code: outcome.code, stderr: printed + outcome.stderr }, code, message);
  });
});

describe('npm run query, replay and routes as processes', () => {
  it('query: exits 1 saying the archive is missing and how to make one', () => {
    expectUserError(spawned.query, 1, /^no local S3 data at .*no-data.*: start local mode \(npm start\)/);
    expect(spawned.query.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('replay: exits 2 naming the bad bus and the rules, with the AWS page', () => {
    expectUserError(
      spawned.replay,
      2,
      /^--bus "my bus": an event bus name has 1 to 256 letters.*docs\.aws\.amazon\.com/,
    );
    expect(spawned.replay.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('routes: exits 2 naming the file it cannot read', () => {
    expectUserError(spawned.routes, 2, /^cannot read the template \/nonexistent\.json \(ENOENT\)$/m);
    expect(spawned.routes.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm start', () => {
  let busy: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => (busy ? busy.close(resolve) : resolve(undefined)));
  });

  it.each([
    [['--port', 'abc'], {}, /--port must be a port number from 0 to 65535/],
    [['--port', '70000'], {}, /--port must be a port number from 0 to 65535/],
    [['--verbos'], {}, /^Unknown option '--verbos'/],
    [[], { PORT: 'eighty' }, /\$PORT must be a port number/],
  ])('%j %j: exits 2 with one message', async (args, env, message) => {
    expectUserError(await runInProcess(() => startMain(args, env)), 2, message);
  });

  it('exits 1 when the data directory cannot be created', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, '');
    // Without tokens, local mode keeps a generated one in the data dir: the first thing it writes.
    vi.stubEnv('CURRENTS_TOKENS', '');
    try {
      const outcome = await runInProcess(() =>
        startMain(['--port', '0', '--data-dir', path.join(file, 'data')], {}),
      );

      expectUserError(outcome, 1, /cannot use .*a-file.*ENOTDIR.*--data-dir/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('as a process: exits 1 when the port is taken, saying how to pick another', async () => {
    const server = createServer();
    busy = server;
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );

    // The stand-ins are up when the receiver's port is refused: the process must end all the same.
    const outcome = await cli('local/start.ts', ['--port', String(port)], {
      CURRENTS_DATA_DIR: path.join(scratch, 'busy-port'),
    });

    expectUserError(outcome, 1, new RegExp(`port ${port} is already in use.*--port 0`));
  }, 120_000);
});
