// Runs before every test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
// Registers aws-sdk-client-mock's matchers (toHaveReceivedCommandWith, …) for every test file.
import 'aws-sdk-client-mock-vitest/extend';

// A CDK App without an outdir synthesizes into a new `cdk.outXXXX` temp dir that nothing removes.
// Every App of this test file writes into one dir (CDK_OUTDIR), removed when the file is done.
// Set directly, not with vi.stubEnv: `unstubEnvs` would undo it before each test.
const previousOutdir = process.env.CDK_OUTDIR;
const cdkOutdir = mkdtempSync(path.join(tmpdir(), 'currents-bridge-test-cdk-'));
process.env.CDK_OUTDIR = cdkOutdir;

afterAll(() => {
  if (previousOutdir === undefined) delete process.env.CDK_OUTDIR;
  else process.env.CDK_OUTDIR = previousOutdir;
  rmSync(cdkOutdir, { recursive: true, force: true });
});
