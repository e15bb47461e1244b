import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REQUIRE_SHARED_VARIABLE, sharedDataRequired, sharedSuiteMode } from '../shared-data';

describe('suites that read ../shared', () => {
  const present = mkdtempSync(path.join(tmpdir(), 'shared-data-'));
  const missing = path.join(present, 'no-such-folder');
  afterAll(() => rmSync(present, { recursive: true, force: true }));

  it('run when every path they read exists', () => {
    expect(sharedSuiteMode([present], false)).toEqual({ run: 'all' });
    expect(sharedSuiteMode([present], true)).toEqual({ run: 'all' });
  });

  it('are skipped on a clone without the data, naming what is missing', () => {
    const mode = sharedSuiteMode([present, missing], false);
    expect(mode.run).toBe('skip');
    expect(mode).toHaveProperty('reason', expect.stringContaining(missing));
  });

  it('fail under CI instead of shrinking the test count', () => {
    const mode = sharedSuiteMode([missing], true);
    expect(mode.run).toBe('fail');
    expect(mode).toHaveProperty('reason', expect.stringContaining(missing));
  });

  it('are required only when .ci/run sets the variable to 1', () => {
    expect(sharedDataRequired({ [REQUIRE_SHARED_VARIABLE]: '1' })).toBe(true);
    expect(sharedDataRequired({ [REQUIRE_SHARED_VARIABLE]: '0' })).toBe(false);
    expect(sharedDataRequired({})).toBe(false);
  });

  it('are required by .ci/run, which CI runs with ../shared beside the clone', () => {
    const ciRun = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    expect(ciRun).toMatch(new RegExp(`^export ${REQUIRE_SHARED_VARIABLE}=1$`, 'm'));
  });
});
