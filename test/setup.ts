// Runs before every test file.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
// Registers aws-sdk-client-mock's matchers (toHaveReceivedCommandWith, …) for every test file.
import 'aws-sdk-client-mock-vitest/extend';

// A CDK App without an outdir synthesizes into a new `cdk.outXXXX` temp dir that nothing removes.
// Every App of this test file writes into one dir (CDK_OUTDIR), removed when the file is done.
// Set directly, not with vi.stubEnv: `unstubEnvs` would undo it before each test.
// The dir is made only when an app synthesizes (CDK creates it), so a file whose tests are all
// skipped, where afterAll does not run, leaves nothing behind; the exit hook covers a file that dies.
const previousOutdir = process.env.CDK_OUTDIR;
const cdkOutdir = path.join(tmpdir(), `currents-bridge-test-cdk-${randomUUID()}`);
process.env.CDK_OUTDIR = cdkOutdir;
const removeOutdir = () => rmSync(cdkOutdir, { recursive: true, force: true });
process.once('exit', removeOutdir);

afterAll(() => {
  if (previousOutdir === undefined) delete process.env.CDK_OUTDIR;
  else process.env.CDK_OUTDIR = previousOutdir;
  removeOutdir();
});
