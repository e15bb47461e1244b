import { readFileSync } from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from './config';
import { CurrentsBridgeStack } from './currents-bridge-stack';

export interface BuildAppOptions {
  /** Context on top of `cdk.json`'s (settings such as `silenceHours`, feature flags). */
  readonly context?: Record<string, unknown>;
  /**
   * `false` skips esbuild bundling (fast synth for tests and local mode); the functions' code is
   * then not packaged, so such a template is not deployable.
   * @default - whatever the CDK CLI asks for (bundling on outside the CLI)
   */
  readonly bundle?: boolean;
  /** Runs after the stack is built, e.g. to add consumers with `stack.routing.addConsumer`. */
  readonly configure?: (stack: CurrentsBridgeStack) => void;
}

const cdkJsonUrl = new URL('../cdk.json', import.meta.url);

/**
 * The context of `cdk.json` (feature flags and settings), so tests and local mode synthesize the
 * same stack as `cdk synth`; the CLI passes the same values again, and those win.
 */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(cdkJsonUrl, 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** Builds the app and its one stack from `cdk.json` context, `options.context` and env. */
export function buildApp(options: BuildAppOptions = {}): { app: cdk.App; stack: CurrentsBridgeStack } {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...options.context };
  if (options.bundle === false) {
    context['aws:cdk:bundling-stacks'] = [];
  }
  // No synth at process exit: callers synth explicitly (bin, local mode, tests through
  // Template.fromStack), and a late synth would write into an outdir that may be gone by then.
  const app = new cdk.App({ context, autoSynth: false });
  const config = configFromContext(
    (key) => app.node.tryGetContext(key),
    Object.keys(app.node.getAllContext() as Record<string, unknown>),
  );
  const stack = new CurrentsBridgeStack(app, config.stackName, {
    config,
    description: 'currents-bridge: Braze Currents to Amazon EventBridge, archived to S3, with alarms',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  options.configure?.(stack);
  return { app, stack };
}

/**
 * Runs cdk-nag's AwsSolutions pack when the app synthesizes: any finding that is not
 * acknowledged (with a reason, next to the construct it concerns) fails the synth.
 */
export function addComplianceChecks(app: cdk.App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  cdk.Validations.of(app).addPlugins(checks);
  return checks;
}
