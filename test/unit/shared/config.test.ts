import { describe, expect, it } from 'vitest';
import { s3ClientConfig } from '#lambdas/shared/aws';
import { ConfigError, loadReceiverConfig, loadRedriveConfig } from '#lambdas/shared/config';
import { DEFAULT_EVENT_SOURCE, DEFAULTS } from '#lambdas/shared/contract';

const base = {
  EVENT_BUS_NAME: 'bus',
  ARCHIVE_BUCKET: 'bucket',
  SPILLOVER_QUEUE_URL: 'https://q',
  CURRENTS_TOKENS: 'a, b ,',
};

describe('loadReceiverConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadReceiverConfig(base)).toEqual({
      eventBusName: 'bus',
      eventSource: DEFAULT_EVENT_SOURCE,
      tokenSecretId: undefined,
      staticTokens: ['a', 'b'],
      tokenCacheSeconds: DEFAULTS.tokenCacheSeconds,
      allowedSourceCidrs: [],
      spilloverQueueUrl: 'https://q',
      archiveBucket: 'bucket',
      maxBodyBytes: DEFAULTS.maxBodyBytes,
      maxDecompressedBytes: DEFAULTS.maxDecompressedBytes,
      claimCheckThresholdBytes: DEFAULTS.claimCheckThresholdBytes,
      publishBudgetMs: DEFAULTS.publishBudgetMs,
      catalogExtras: { eventTypes: [], eventFields: {} },
    });
  });

  it('reads the acknowledged extra event types and fields, and refuses malformed ones naming the variable', () => {
    const config = loadReceiverConfig({
      ...base,
      EXTRA_EVENT_TYPES: 'users.messages.fax.Send, acme.Thing',
      EXTRA_EVENT_FIELDS: '{"users.behaviors.Purchase":["user.loyalty_tier"]}',
    });
    expect(config.catalogExtras).toEqual({
      eventTypes: ['users.messages.fax.Send', 'acme.Thing'],
      eventFields: { 'users.behaviors.Purchase': ['user.loyalty_tier'] },
    });
    expect(() => loadReceiverConfig({ ...base, EXTRA_EVENT_FIELDS: '{not json' })).toThrow(ConfigError);
    expect(() => loadReceiverConfig({ ...base, EXTRA_EVENT_FIELDS: '{not json' })).toThrow(
      /EXTRA_EVENT_FIELDS/,
    );
    expect(() => loadReceiverConfig({ ...base, EXTRA_EVENT_TYPES: 'a/b' })).toThrow(/EXTRA_EVENT_TYPES/);
  });

  it('fails naming the variable when a number is not one', () => {
    expect(() => loadReceiverConfig({ ...base, MAX_BODY_BYTES: 'lots' })).toThrow(/MAX_BODY_BYTES/);
  });

  it('says why a value is refused, in words (zod/mini with its English messages loaded)', () => {
    expect(() => loadReceiverConfig({ ...base, PUBLISH_BUDGET_MS: '0' })).toThrow(
      /Too small: expected number to be >0\s+→ at PUBLISH_BUDGET_MS/,
    );
    expect(() => loadReceiverConfig({ ...base, TOKEN_CACHE_SECONDS: '1.5' })).toThrow(
      /Invalid input: expected int, received number\s+→ at TOKEN_CACHE_SECONDS/,
    );
  });

  it('trims the secret id and treats a blank one as unset', () => {
    expect(loadReceiverConfig({ ...base, TOKEN_SECRET_ID: ' arn:secret ' }).tokenSecretId).toBe('arn:secret');
    expect(loadReceiverConfig({ ...base, TOKEN_SECRET_ID: '   ' }).tokenSecretId).toBeUndefined();
  });

  it('refuses a claim-check threshold above the EventBridge entry limit', () => {
    expect(() =>
      loadReceiverConfig({ ...base, CLAIM_CHECK_THRESHOLD_BYTES: String(2 * 1024 * 1024) }),
    ).toThrow(/CLAIM_CHECK_THRESHOLD_BYTES/);
  });

  it('requires a token source', () => {
    expect(() => loadReceiverConfig({ ...base, CURRENTS_TOKENS: '' })).toThrow(ConfigError);
    expect(
      loadReceiverConfig({ ...base, CURRENTS_TOKENS: '', TOKEN_SECRET_ID: 'arn:secret' }).tokenSecretId,
    ).toBe('arn:secret');
  });

  it('requires the bus, the bucket and the queue', () => {
    expect(() => loadReceiverConfig({ CURRENTS_TOKENS: 'a' })).toThrow(
      /EVENT_BUS_NAME[\s\S]*SPILLOVER_QUEUE_URL|SPILLOVER_QUEUE_URL[\s\S]*EVENT_BUS_NAME/,
    );
  });
});

describe('loadRedriveConfig', () => {
  it('needs the bus and bucket only', () => {
    expect(loadRedriveConfig({ EVENT_BUS_NAME: 'bus', ARCHIVE_BUCKET: 'b' })).toEqual({
      eventBusName: 'bus',
      archiveBucket: 'b',
      publishBudgetMs: DEFAULTS.publishBudgetMs,
    });
    expect(() => loadRedriveConfig({ ARCHIVE_BUCKET: 'b' })).toThrow(/EVENT_BUS_NAME/);
  });
});

describe('s3ClientConfig', () => {
  it('uses path-style addressing only when an endpoint override is set', () => {
    expect(s3ClientConfig({})).toEqual({});
    expect(s3ClientConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' })).toEqual({
      forcePathStyle: true,
    });
    expect(s3ClientConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toEqual({ forcePathStyle: true });
  });
});
