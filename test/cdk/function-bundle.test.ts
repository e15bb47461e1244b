import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBuildOptions } from '#lib/constructs/function-bundle';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The input files (source modules) that end up in the output files a cold start loads. */
function inputsLoadedAtStart(metafile: Metafile): Set<string> {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => path.basename(file) === 'index.mjs');
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement') visit(imported.path);
    }
  };
  if (entry) visit(entry);
  return new Set([...loaded].flatMap((file) => Object.keys(outputs[file]?.inputs ?? {})));
}

/**
 * What the stack's bundling promises a cold start (lib/constructs/function-bundle.ts): the S3 and
 * SQS clients, which only rare paths use, are chunks a request loads when it first needs them, not
 * code every cold start reads. The deployed bundles themselves are built and loaded by
 * full-synth.test.ts.
 */
describe('function bundles', () => {
  let dir: string;
  const built: Record<string, { metafile: Metafile; outdir: string }> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-bundle-'));
    for (const fn of ['receiver', 'redrive']) {
      const outdir = path.join(dir, fn);
      const result = await build({
        ...functionBuildOptions(path.join(ROOT, `lambdas/${fn}/index.ts`), outdir),
        absWorkingDir: ROOT,
        metafile: true,
        logLevel: 'silent',
      });
      built[fn] = { metafile: result.metafile, outdir };
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['receiver', 'redrive'])(
    'the %s loads EventBridge at start, and S3 and SQS only when first used',
    (fn) => {
      const { metafile } = built[fn] as { metafile: Metafile };
      const atStart = [...inputsLoadedAtStart(metafile)];
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
    const atStart = [...inputsLoadedAtStart((built.receiver as { metafile: Metafile }).metafile)];
    expect(atStart).toContain('lambdas/shared/event-type-names.ts');
    expect(atStart).not.toContain('lambdas/shared/event-catalog.ts');
  });

  it('writes index.mjs, chunks under chunks/, and a source map for each', () => {
    const { outdir } = built.receiver as { outdir: string };
    const files = readdirSync(outdir, { recursive: true }).map(String);
    const code = files.filter((file) => file.endsWith('.mjs'));

    expect(code).toContain('index.mjs');
    expect(code.filter((file) => file !== 'index.mjs').every((file) => file.startsWith('chunks/'))).toBe(
      true,
    );
    for (const file of code) expect(files).toContain(`${file}.map`);
  });
});
