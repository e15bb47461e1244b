#!/usr/bin/env node
// The CDK app entry (`cdk.json` runs it): settings come from `cdk.json` context and `-c key=value`.
import { addComplianceChecks, buildApp } from '../lib/app';

const { app } = buildApp();
addComplianceChecks(app);
app.synth();
