/**
 * (c) Cold start: the receiver bundle against a bundle of the bare EventBridge client, both built
 * with the esbuild options the stack's functions use (lib/constructs/bridge-function.ts: minified
 * ESM, the same banner). Reports, as ratios over that floor:
 *  - bundle size (bytes of the .mjs file);
 *  - CPU of a fresh `node` process that imports the bundle (user + system time of the whole
 *    process, start-up included, as `process.cpuUsage()` reports it just after the import),
 *    median of interleaved runs so that machine load weighs on both sides alike.
 * Goals (issue #10): CPU within 1.15×, size within 1.5×.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const COLD_START_GOALS = { cpuRatio: 1.15, sizeRatio: 1.5 } as const;

const ROOT = path.resolve(import.meta.dirname, '..');

/** The environment the receiver's entry point reads at module load (what the stack sets). */
const RECEIVER_ENV = {
  EVENT_BUS_NAME: 'bench-bus',
  ARCHIVE_BUCKET: 'bench-bucket',
  SPILLOVER_QUEUE_URL: 'http://127.0.0.1:9/queue/spillover',
  CURRENTS_TOKENS: 'bench-token-0123456789abcdefghijklmnopqrstuv',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
};

/** A handler that only builds the EventBridge client: the least any receiver must load. */
const BARE_ENTRY = `import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
const client = new EventBridgeClient({});
export const handler = async () => client.config.region;
`;

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
    },
    logLevel: 'silent',
    nodePaths: [path.join(ROOT, 'node_modules')],
  });
  return statSync(outfile).size;
}

/** CPU microseconds of one fresh process that imports `file`. */
function importCpuMicros(file: string): number {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)});const u=process.cpuUsage();console.log(u.user+u.system);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...RECEIVER_ENV, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout.trim().split('\n').at(-1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export interface ColdStartFigures {
  receiverBytes: number;
  bareBytes: number;
  sizeRatio: number;
  receiverCpuMs: number;
  bareCpuMs: number;
  cpuRatio: number;
  runs: number;
}

/**
 * Builds both bundles in a temp dir (removed afterwards) and measures them.
 * @param runs fresh processes per bundle, interleaved (default 15)
 */
export async function measureColdStart(runs = 15): Promise<ColdStartFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-bench-'));
  try {
    const bareEntry = path.join(dir, 'bare-entry.mjs');
    writeFileSync(bareEntry, BARE_ENTRY);
    const receiverFile = path.join(dir, 'receiver.mjs');
    const bareFile = path.join(dir, 'bare.mjs');
    const receiverBytes = await bundle(path.join(ROOT, 'lambdas/receiver/index.ts'), receiverFile);
    const bareBytes = await bundle(bareEntry, bareFile);
    importCpuMicros(receiverFile); // warm the file cache for both
    importCpuMicros(bareFile);
    const receiver: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      receiver.push(importCpuMicros(receiverFile));
      bare.push(importCpuMicros(bareFile));
    }
    const receiverCpu = median(receiver);
    const bareCpu = median(bare);
    return {
      receiverBytes,
      bareBytes,
      sizeRatio: receiverBytes / bareBytes,
      receiverCpuMs: receiverCpu / 1000,
      bareCpuMs: bareCpu / 1000,
      cpuRatio: receiverCpu / bareCpu,
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
