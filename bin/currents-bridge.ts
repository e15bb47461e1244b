#!/usr/bin/env node
// The CDK app entry (`cdk.json` runs it): settings come from `cdk.json` context and `-c key=value`.
import { addComplianceChecks, buildApp } from '../lib/app';

const { app } = buildApp();
addComplianceChecks(app);
// Marks the stack for the CLI's post-synth check (`cdk synth --validation`, on by default): any
// error annotation fails the synth instead of reaching a deploy.
app.synth({ validateOnSynthesis: true });
