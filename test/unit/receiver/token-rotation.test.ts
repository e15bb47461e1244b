/**
 * Token rotation through Secrets Manager: the receiver caches the secret for TOKEN_CACHE_SECONDS,
 * so a token added to the secret becomes valid after that time, and old and new are both accepted
 * while both are in the secret.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { createTelemetry } from '#lambdas/shared/telemetry';
import {
  apiEvent,
  captureOutput,
  fakeClock,
  lambdaContext,
  NOW,
  receiverConfig,
  testClients,
} from './support';

const secretsManager = mockClient(SecretsManagerClient);
const SECRET_ID = 'currents-bridge/tokens';

let secretString = '';

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).callsFake(() => ({ SecretString: secretString, Name: SECRET_ID }));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

function setup() {
  captureOutput();
  const config = receiverConfig({
    CURRENTS_TOKENS: '',
    TOKEN_SECRET_ID: SECRET_ID,
    TOKEN_CACHE_SECONDS: '60',
  });
  const handler = createReceiverHandler(
    buildReceiverDeps(config, testClients(), createTelemetry(), { clock: fakeClock() }),
  );
  return async (token: string) => {
    const response = await handler(apiEvent({ token, body: '' }), lambdaContext());
    return typeof response === 'object' ? response.statusCode : undefined;
  };
}

describe('token rotation with the Secrets Manager token source', () => {
  it('accepts a new token only after the cache TTL, and both while both are in the secret', async () => {
    // Prepare
    secretString = JSON.stringify({ token: 'old-token' });
    const statusFor = setup();
    // Act + Assess, step by step through a rotation
    expect(await statusFor('old-token')).toBe(200);
    expect(await statusFor('new-token')).toBe(403);

    secretString = JSON.stringify({ token: 'old-token', token_next: 'new-token' });
    vi.setSystemTime(NOW + 30_000);
    expect(await statusFor('new-token')).toBe(403);

    vi.setSystemTime(NOW + 61_000);
    expect(await statusFor('new-token')).toBe(200);
    expect(await statusFor('old-token')).toBe(200);

    secretString = JSON.stringify({ token: 'new-token' });
    vi.setSystemTime(NOW + 122_000);
    expect(await statusFor('old-token')).toBe(403);
    expect(await statusFor('new-token')).toBe(200);
  });

  it('reads the secret once per TTL, not once per request', async () => {
    secretString = JSON.stringify({ token: 'old-token' });
    const statusFor = setup();
    for (let i = 0; i < 5; i++) await statusFor('old-token');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    vi.setSystemTime(NOW + 61_000);
    await statusFor('old-token');
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('accepts every string of a tokens array too', async () => {
    secretString = JSON.stringify({ tokens: ['first', 'second'] });
    const statusFor = setup();
    expect(await statusFor('first')).toBe(200);
    expect(await statusFor('second')).toBe(200);
    expect(await statusFor('third')).toBe(403);
  });

  it('answers 503 when the secret cannot be read, without showing it', async () => {
    secretString = 'not json at all: super-secret-value';
    const statusFor = setup();
    expect(await statusFor('super-secret-value')).toBe(503);
  });
});
