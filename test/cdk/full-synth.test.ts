import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NODE_OPTIONS } from '#lib/constructs/function-bundle';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/**
 * The one test that runs the real `cdk synth`: the app from `cdk.json`, esbuild bundling, cdk-nag
 * and the built-in CloudFormation validation (`@aws-cdk/core:validateAgainstDefaultRules` in
 * cdk.json turns its findings into errors), offline.
 */
describe('npx cdk synth', () => {
  let outdir: string;
  let template: Template;

  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-synth-'));
    // The app writes performance-counters.json (the proof that validation ran) only for a synth
    // slower than a threshold; a zero threshold makes it write them on a fast machine too.
    const synthArgs = ['cdk', 'synth', '--quiet', '--no-notices', '--validation', '--output', outdir];
    await run('npx', [...synthArgs, '--context', '@aws-cdk/core.slowSynthThreshold=0'], {
      cwd: repoRoot,
      timeout: 540_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: 'true',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
        CDK_VALIDATION: 'true',
        CI: 'true',
      },
    });
    template = JSON.parse(
      readFileSync(path.join(outdir, 'CurrentsBridge.template.json'), 'utf8'),
    ) as Template;
  }, 600_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('passes the built-in CloudFormation validation with no finding', () => {
    const counters = JSON.parse(readFileSync(path.join(outdir, 'performance-counters.json'), 'utf8')) as {
      counters: Record<string, number>;
    };
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };

    expect(counters.counters['CloudFormationValidate.validate(cnt)']).toBeGreaterThanOrEqual(1);
    expect(counters.counters['CloudFormationValidate.diagnostics']).toBe(0);
    expect(report.pluginReports).toEqual([]);
  });

  it('bundles both functions with esbuild into S3 assets, not inline code', () => {
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );

    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.Code).toMatchObject({ S3Key: expect.stringMatching(/\.zip$/) });
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('produces minified ESM bundles with source maps whose entry and every chunk load', async () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(2);

    for (const asset of assets) {
      const dir = path.join(outdir, asset);
      const code = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((file) => file.endsWith('.mjs'));
      // The entry Lambda loads (handler `index.handler`), and the chunks it loads on first use.
      expect(code).toContain('index.mjs');
      expect(code.some((file) => file.startsWith('chunks/'))).toBe(true);
      for (const file of code) expect(existsSync(path.join(dir, `${file}.map`))).toBe(true);
      const entry = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      // Minified: long lines, not one statement per line.
      expect(entry.length / entry.split('\n').length).toBeGreaterThan(2000);

      // Every file imports in a fresh process, as Lambda would load it; a chunk whose own imports
      // did not resolve (a rare path's first use in production) would fail here.
      const imports = code.map((file) => `await import(${JSON.stringify(path.join(dir, file))});`).join('');
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `${imports} const m = await import(${JSON.stringify(path.join(dir, 'index.mjs'))}); console.log(typeof m.handler);`,
        ],
        {
          timeout: 60_000,
          // The configuration both functions require at cold start; nothing is called.
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'us-east-1',
            EVENT_BUS_NAME: 'bus',
            ARCHIVE_BUCKET: 'bucket',
            SPILLOVER_QUEUE_URL: 'http://127.0.0.1:1/queue',
            CURRENTS_TOKENS: 'token',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            // As deployed: Node.js reads every loaded module's source map, so a broken map fails here.
            NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
          },
        },
      );
      expect(stdout.trim()).toBe('function');
    }
  });
});
