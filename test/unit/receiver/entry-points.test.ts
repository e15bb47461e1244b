/**
 * The Lambda entry points read their configuration once, at module load, and a bad configuration
 * fails right there with a message naming the variable.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.resetModules();
});

function stubReceiverEnv() {
  vi.stubEnv('EVENT_BUS_NAME', 'bus');
  vi.stubEnv('ARCHIVE_BUCKET', 'bucket');
  vi.stubEnv('SPILLOVER_QUEUE_URL', 'http://127.0.0.1:9/queue');
  vi.stubEnv('CURRENTS_TOKENS', 'a-token');
  vi.stubEnv('AWS_REGION', 'us-east-1');
}

describe('lambdas/receiver/index', () => {
  it('exports a handler when the environment is complete', async () => {
    stubReceiverEnv();
    const module = await import('#lambdas/receiver/index');
    expect(typeof module.handler).toBe('function');
  });

  it('fails at load, naming the variable, when the environment is not', async () => {
    stubReceiverEnv();
    vi.stubEnv('MAX_BODY_BYTES', 'a lot');
    await expect(import('#lambdas/receiver/index')).rejects.toThrow(/MAX_BODY_BYTES/);
  });
});

describe('lambdas/redrive/index', () => {
  it('exports a handler when the environment is complete', async () => {
    stubReceiverEnv();
    const module = await import('#lambdas/redrive/index');
    expect(typeof module.handler).toBe('function');
  });

  it('fails at load without a bus name', async () => {
    stubReceiverEnv();
    vi.stubEnv('EVENT_BUS_NAME', '');
    await expect(import('#lambdas/redrive/index')).rejects.toThrow(/EVENT_BUS_NAME/);
  });
});
