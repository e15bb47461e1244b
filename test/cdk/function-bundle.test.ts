import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputsLoadedAtStart } from '#bench/cold-start';
import { buildFunctionBundle } from '#lib/constructs/function-bundle';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The source modules inside the output files a cold start loads. */
function inputsLoadedAtStart(metafile: Metafile): string[] {
  return outputsLoadedAtStart(metafile).flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {}));
}

/** Every file of a built function, path → content. */
function filesOf(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(
    files.map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return [path.relative(dir, file), readFileSync(file, 'utf8')];
    }),
  );
}

/**
 * What the stack's bundling promises (lib/constructs/function-bundle.ts): the S3 and SQS clients,
 * which only rare paths use, are chunks a request loads when it first needs them, not code every
 * cold start reads; and the bundle, so the asset hash, does not depend on where it is built. The
 * deployed bundles themselves are synthesized and loaded by full-synth.test.ts.
 */
describe('function bundles', () => {
  let dir: string;
  const built: Record<string, { metafile: Metafile; outdir: string }> = {};

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-bundle-'));
    for (const fn of ['receiver', 'redrive']) {
      const outdir = path.join(dir, fn);
      built[fn] = { metafile: buildFunctionBundle(ROOT, `lambdas/${fn}/index.ts`, outdir), outdir };
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['receiver', 'redrive'])(
    'the %s loads EventBridge at start, and S3 and SQS only when first used',
    (fn) => {
      const { metafile } = built[fn] as { metafile: Metafile };
      const atStart = inputsLoadedAtStart(metafile);
      const everywhere = Object.keys(metafile.inputs);

      expect(atStart.some((input) => input.includes('@aws-sdk/client-eventbridge/'))).toBe(true);
      for (const rarePath of [
        '@aws-sdk/client-s3/',
        '@aws-sdk/client-sqs/',
        'lambdas/shared/aws-s3.ts',
        'lambdas/shared/aws-sqs.ts',
      ]) {
        expect(everywhere.some((input) => input.includes(rarePath))).toBe(true);
        expect(atStart.filter((input) => input.includes(rarePath))).toEqual([]);
      }
    },
  );

  it('the receiver reads the catalog as generated names at start, not the typed catalog', () => {
    const atStart = inputsLoadedAtStart((built.receiver as { metafile: Metafile }).metafile);
    expect(atStart).toContain('lambdas/shared/event-type-names.ts');
    expect(atStart).not.toContain('lambdas/shared/event-catalog.ts');
  });

  it('writes index.mjs, chunks under chunks/, and a source map for each, naming project-relative sources', () => {
    const { outdir } = built.receiver as { outdir: string };
    const files = filesOf(outdir);
    const code = [...files.keys()].filter((file) => file.endsWith('.mjs'));

    expect(code).toContain('index.mjs');
    expect(
      code.filter((file) => file !== 'index.mjs').every((file) => file.startsWith(`chunks${path.sep}`)),
    ).toBe(true);
    for (const file of code) expect(files.has(`${file}.map`)).toBe(true);
    const { sources } = JSON.parse(files.get('index.mjs.map') ?? '{}') as { sources: string[] };
    expect(sources).toContain('lambdas/receiver/receive.ts');
    expect(sources.filter((source) => source.startsWith('..') || path.isAbsolute(source))).toEqual([]);
  });

  it('builds the same bytes in another folder, so the asset hash does not depend on where cdk.out is', () => {
    const elsewhere = path.join(dir, 'a', 'much', 'deeper', 'folder');
    buildFunctionBundle(ROOT, 'lambdas/receiver/index.ts', elsewhere);
    expect(filesOf(elsewhere)).toEqual(filesOf((built.receiver as { outdir: string }).outdir));
  }, 60_000);
});
