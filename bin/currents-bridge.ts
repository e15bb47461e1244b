#!/usr/bin/env node
// The CDK app entry (`cdk.json` runs it): settings come from `cdk.json` context and `-c key=value`.
// A bad setting prints one message naming the key and exits 1; anything else keeps its stack.
import { addComplianceChecks, buildApp } from '#lib/app';
import { runCli } from '#lib/cli';

await runCli(() => {
  const { app } = buildApp();
  addComplianceChecks(app);
  // Marks the stack for the CLI's post-synth check (`cdk synth --validation`, on by default): any
  // error annotation fails the synth instead of reaching a deploy.
  app.synth({ validateOnSynthesis: true });
  return undefined;
});
