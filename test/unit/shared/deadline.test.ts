import { describe, expect, it } from 'vitest';
import { DeadlineError, timeLeft, withDeadline } from '#lambdas/shared/deadline';

describe('withDeadline', () => {
  it('passes the answer through when the call answers in time', async () => {
    await expect(withDeadline(1_000, async () => 'answer', 'call')).resolves.toBe('answer');
  });

  it('rejects with a retryable TimeoutError and aborts the call when it does not answer', async () => {
    let signal: AbortSignal | undefined;
    const call = withDeadline(
      20,
      (given) => {
        signal = given;
        return new Promise<never>(() => undefined);
      },
      'SendMessageBatch',
    );
    await expect(call).rejects.toBeInstanceOf(DeadlineError);
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError', message: /SendMessageBatch/ });
    expect(signal?.aborted).toBe(true);
  });

  it('does not call at all when no time is left', async () => {
    let called = false;
    const call = withDeadline(
      0,
      async () => {
        called = true;
      },
      'PutObject',
    );
    await expect(call).rejects.toBeInstanceOf(DeadlineError);
    expect(called).toBe(false);
  });

  it('passes the call’s own error through', async () => {
    await expect(withDeadline(1_000, async () => Promise.reject(new Error('S3 down')), 'x')).rejects.toThrow(
      'S3 down',
    );
  });

  it('measures time left, never negative', () => {
    expect(timeLeft(1_000, 400)).toBe(600);
    expect(timeLeft(1_000, 4_000)).toBe(0);
  });
});
