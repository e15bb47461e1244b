import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

/** The runtime every function of the stack runs on; the newest Node.js LTS Lambda offers. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild's `target` for the functions: the Node.js major of {@link FUNCTION_RUNTIME} (`nodejs24.x` → `node24`). */
export const FUNCTION_BUNDLE_TARGET = `node${/^nodejs(\d+)\.x$/.exec(FUNCTION_RUNTIME.name)?.[1] ?? 'unknown'}`;

/**
 * `NODE_OPTIONS` of every function: source-mapped stack traces in the logs. The cold-start bench
 * runs its processes with it too, as reading the maps is part of a deployed cold start.
 */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/**
 * The esbuild options of every function of the stack, and of the cold-start benchmark
 * (bench/cold-start.ts), which must measure what deploys.
 *
 * In: `entry`, the handler module (absolute, or relative to `absWorkingDir`); `outdir`, an empty
 * directory. Out: options that write `<outdir>/index.mjs` (minified ESM with a source map) and,
 * for every module only reached through a dynamic `import()`, a chunk under `<outdir>/chunks/`.
 *
 * Code splitting is why the project bundles itself instead of using `NodejsFunction`'s bundling:
 * that runs esbuild with `--outfile`, and esbuild splits code only into an output directory. In
 * one file, a module the handler imports dynamically (the S3 and SQS clients, which only rare paths
 * use: lambdas/shared/aws.ts) is still read and parsed at every cold start; as a chunk it is read
 * only when a request first needs it. Everything else matches what `NodejsFunction` did:
 * `--bundle --platform=node --format=esm --minify --sourcemap --target=node24` (maps without the
 * sources' text), `module` before `main`, every dependency bundled (the SDK too, so what runs is
 * the version the tests ran), and a `require` for the CommonJS dependencies that still call it.
 */
export function functionBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: FUNCTION_BUNDLE_TARGET,
    minify: true,
    sourcemap: true,
    // Stack traces need the mappings, not the sources' text: without it the receiver's map is a
    // fifth of its size (201 KB, not 1,010 KB), and Node.js (`--enable-source-maps`) reads every
    // loaded map at cold start.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    banner: {
      js: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

/**
 * Builds one function into `outdir` with {@link functionBuildOptions}, so that the same sources
 * give the same bytes wherever `outdir` is. esbuild writes each source map's `sources` relative to
 * the folder it builds into, and the names of the chunks carry a hash of their content and map;
 * CDK's bundling folder lies inside wherever `cdk.out` is, so a build straight into it would
 * change the bundle, and with it the asset hash, with the synth's output folder and the
 * checkout's path, and each such synth would upload and update both functions. So the build runs
 * in a fresh folder at a fixed depth inside the project (`node_modules/.cache/`), the maps'
 * `sources` are rewritten relative to the project root (`lambdas/receiver/receive.ts`, which also
 * reads better in a source-mapped stack trace), and the result is copied to `outdir`.
 *
 * In: `projectRoot` (absolute; `package.json` and `node_modules` are there), `entry` (absolute or
 * relative to it), `outdir`; `nodePaths` only for an entry outside the project (the bench's bare
 * handler). Out: esbuild's metafile (output paths relative to `projectRoot`, in the build folder).
 * Errors: a build error throws with esbuild's messages.
 */
export function buildFunctionBundle(
  projectRoot: string,
  entry: string,
  outdir: string,
  nodePaths: string[] = [],
): Metafile {
  const cache = path.join(projectRoot, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const buildDir = mkdtempSync(path.join(cache, 'currents-bridge-bundle-'));
  try {
    const result = buildSync({
      ...functionBuildOptions(path.resolve(projectRoot, entry), buildDir),
      absWorkingDir: projectRoot,
      metafile: true,
      nodePaths,
    });
    for (const file of readdirSync(buildDir, { recursive: true }).map(String)) {
      if (!file.endsWith('.map')) continue;
      const mapFile = path.join(buildDir, file);
      const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
      map.sources = map.sources.map((source) =>
        path
          .relative(projectRoot, path.resolve(path.dirname(mapFile), source))
          .split(path.sep)
          .join('/'),
      );
      writeFileSync(mapFile, JSON.stringify(map));
    }
    mkdirSync(outdir, { recursive: true });
    cpSync(buildDir, outdir, { recursive: true });
    return result.metafile;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/**
 * CDK bundling that runs esbuild in the synthesizing process ({@link buildFunctionBundle}). Its
 * public fields are what CDK's asset cache keys on (JSON of the options), so two functions with
 * different entries never share a bundle. Docker is never used: `tryBundle` succeeds or throws.
 */
class EsbuildBundling implements BundlingOptions, ILocalBundling {
  /** Required by `BundlingOptions`; only used if `tryBundle` returned false, which it never does. */
  public readonly image = DockerImage.fromRegistry('local-esbuild-only');

  /** A getter, not a field: CDK serializes the fields for its cache key, and this is circular. */
  get local(): ILocalBundling {
    return this;
  }

  constructor(
    /** Absolute path of the handler module. */
    public readonly entry: string,
    /** Working directory of the build: the project root (where `package.json` and `node_modules` are). */
    public readonly projectRoot: string,
  ) {}

  tryBundle(outputDir: string): boolean {
    // Throws with esbuild's messages on a build error; CDK then fails the synth naming the asset.
    buildFunctionBundle(this.projectRoot, this.entry, outputDir);
    return true;
  }
}

/**
 * The code of one function: the handler module bundled by {@link buildFunctionBundle} into a
 * directory asset, hashed by its output (as `NodejsFunction` does), so an unchanged bundle is not
 * uploaded again, wherever and from whichever checkout it is synthesized. Skipped (no esbuild run) when the CLI bundles no stack (`cdk ls`, tests that set
 * `aws:cdk:bundling-stacks` to `[]`).
 *
 * In: `entry`, the handler module relative to `projectRoot` (e.g. `lambdas/receiver/index.ts`).
 * Errors: a build error fails the synth with esbuild's message.
 */
export function bundledFunctionCode(projectRoot: string, entry: string): lambda.Code {
  return lambda.Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: new EsbuildBundling(path.resolve(projectRoot, entry), projectRoot),
  });
}
