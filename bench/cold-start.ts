/**
 * (c) Cold start: the receiver's bundle against a bundle of the bare EventBridge client, both built
 * by the function the stack's functions are built with (`functionBuildOptions`,
 * lib/constructs/function-bundle.ts: minified ESM, code splitting, target node24). Reports, as
 * ratios over that floor:
 *  - size: the bytes a cold start loads, i.e. `index.mjs` and the chunks it imports statically
 *    (from esbuild's metafile); the chunks only a dynamic `import()` reaches (the S3 and SQS
 *    clients of the rare paths, the SDK's own lazily loaded credential providers) load when first
 *    needed and are reported apart, as is the whole asset;
 *  - CPU of a fresh `node` process that imports the bundle (user + system time of the whole
 *    process, start-up included, as `process.cpuUsage()` reports it just after the import), with
 *    the functions' `NODE_OPTIONS` (`--enable-source-maps`: reading the maps is part of the cost),
 *    median of interleaved runs so that machine load weighs on both sides alike.
 * The SDK's warning for Node.js < 22 is turned off in both processes: Lambda runs Node.js 24, where
 * the SDK emits none, and emitting it costs CPU on this machine's Node.js 20.
 * Goals (issue #10): CPU within 1.15×, size within 1.5×.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { buildFunctionBundle, FUNCTION_NODE_OPTIONS } from '#lib/constructs/function-bundle';
import { median } from './stats';

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
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** A handler that only builds the EventBridge client: the least any receiver must load. */
const BARE_ENTRY = `import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
const client = new EventBridgeClient({});
export const handler = async () => client.config.region;
`;

/** Bytes of a built function: what a cold start loads, and the whole asset (source maps left out). */
export interface BundleBytes {
  /** `index.mjs` and every chunk it reaches by static imports. */
  loadedAtStart: number;
  /** Every `.mjs` file of the asset, the chunks reached only by dynamic `import()` included. */
  total: number;
}

/** The output files a cold start loads: `index.mjs` and every chunk it reaches by static imports. */
export function outputsLoadedAtStart(metafile: Metafile): string[] {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => path.basename(file) === 'index.mjs');
  if (!entry) throw new Error('the build wrote no index.mjs');
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
    }
  };
  visit(entry);
  return [...loaded];
}

/** {@link BundleBytes} of a build, from esbuild's metafile. */
export function bundleBytes(metafile: Metafile): BundleBytes {
  const outputs = metafile.outputs;
  const sum = (files: Iterable<string>) =>
    [...files].reduce((bytes, file) => bytes + (outputs[file]?.bytes ?? 0), 0);
  return {
    loadedAtStart: sum(outputsLoadedAtStart(metafile)),
    total: sum(Object.keys(outputs).filter((file) => file.endsWith('.mjs'))),
  };
}

/** Builds `entry` as the stack builds a function, into `outdir`; returns its index.mjs and bytes. */
export function buildLikeTheStack(entry: string, outdir: string): { file: string; bytes: BundleBytes } {
  const metafile = buildFunctionBundle(ROOT, entry, outdir, [path.join(ROOT, 'node_modules')]);
  return { file: path.join(outdir, 'index.mjs'), bytes: bundleBytes(metafile) };
}

/** CPU microseconds of one fresh process that imports `file`. */
function importCpuMicros(file: string): number {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)});const u=process.cpuUsage();console.log(u.user+u.system);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...RECEIVER_ENV, NODE_OPTIONS: FUNCTION_NODE_OPTIONS },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout.trim().split('\n').at(-1));
}

export interface ColdStartFigures {
  receiverBytes: BundleBytes;
  bareBytes: BundleBytes;
  /** Ratio of the bytes loaded at cold start. */
  sizeRatio: number;
  receiverCpuMs: number;
  bareCpuMs: number;
  cpuRatio: number;
  runs: number;
}

/**
 * Builds both bundles in a temp dir (removed afterwards) and measures them.
 * @param runs fresh processes per bundle, interleaved (default 21)
 */
export async function measureColdStart(runs = 21): Promise<ColdStartFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-bench-'));
  try {
    const bareEntry = path.join(dir, 'bare-entry.mjs');
    writeFileSync(bareEntry, BARE_ENTRY);
    const receiver = buildLikeTheStack(
      path.join(ROOT, 'lambdas/receiver/index.ts'),
      path.join(dir, 'receiver'),
    );
    const bare = buildLikeTheStack(bareEntry, path.join(dir, 'bare'));
    importCpuMicros(receiver.file); // warm the file cache for both
    importCpuMicros(bare.file);
    const receiverCpu: number[] = [];
    const bareCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      receiverCpu.push(importCpuMicros(receiver.file));
      bareCpu.push(importCpuMicros(bare.file));
    }
    return {
      receiverBytes: receiver.bytes,
      bareBytes: bare.bytes,
      sizeRatio: receiver.bytes.loadedAtStart / bare.bytes.loadedAtStart,
      receiverCpuMs: median(receiverCpu) / 1000,
      bareCpuMs: median(bareCpu) / 1000,
      cpuRatio: median(receiverCpu) / median(bareCpu),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
