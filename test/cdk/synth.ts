import { Template } from 'aws-cdk-lib/assertions';
import { vi } from 'vitest';
import { type BuildAppOptions, buildApp } from '#lib/app';
import type { CurrentsBridgeStack } from '#lib/currents-bridge-stack';

export interface Synthesized {
  stack: CurrentsBridgeStack;
  template: Template;
}

/**
 * The stack as `cdk synth` builds it, without esbuild bundling and without the built-in
 * CloudFormation validation, which takes seconds per synth; `compliance.test.ts` and the full
 * `cdk synth` test run with it on.
 */
export function synthesize(options: Omit<BuildAppOptions, 'bundle'> = {}): Synthesized {
  vi.stubEnv('CDK_VALIDATION', 'false');
  const { stack } = buildApp({ ...options, bundle: false });
  return { stack, template: Template.fromStack(stack) };
}

/** Resources of one type, keyed by logical id, for assertions that walk all of them. */
export function resourcesOfType(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
}
