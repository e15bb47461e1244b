import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';

/** esbuild's `target` for the functions: the runtime's Node.js major (bridge-function.ts `FUNCTION_RUNTIME`). */
export const FUNCTION_BUNDLE_TARGET = 'node24';

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
 * `--bundle --platform=node --format=esm --minify --sourcemap --target=node24`, `module` before
 * `main`, every dependency bundled (the SDK too, so what runs is the version the tests ran), and a
 * `require` for the CommonJS dependencies that still call it.
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
 * CDK bundling that runs esbuild in the synthesizing process ({@link functionBuildOptions}). Its
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
    mkdirSync(outputDir, { recursive: true });
    // Throws with esbuild's messages on a build error; CDK then fails the synth naming the asset.
    buildSync({ ...functionBuildOptions(this.entry, outputDir), absWorkingDir: this.projectRoot });
    return true;
  }
}

/**
 * The code of one function: the handler module bundled with {@link functionBuildOptions} into a
 * directory asset, hashed by its output (as `NodejsFunction` does), so an unchanged bundle is not
 * uploaded again. Skipped (no esbuild run) when the CLI bundles no stack (`cdk ls`, tests that set
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
