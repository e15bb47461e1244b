import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaEnvironments } from '#local/runtime/environments';

const context = {} as Context;

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('lambdaEnvironments', () => {
  it('reuses one warm environment for requests that do not overlap', async () => {
    // Prepare
    const environments = lambdaEnvironments(async (n) => async (event: string) => `${event}@${n}`);

    // Act
    const answers = [await environments.invoke('a', context), await environments.invoke('b', context)];

    // Assess
    expect(answers).toEqual(['a@1', 'b@1']);
    expect(environments.started).toBe(1);
  });

  it('gives overlapping requests environments of their own, and reuses them afterwards', async () => {
    // Prepare
    const release = gate();
    const environments = lambdaEnvironments(async (n) => async (event: string) => {
      await release.opened;
      return `${event}@${n}`;
    });

    // Act
    const overlapping = Promise.all(['a', 'b', 'c'].map((event) => environments.invoke(event, context)));
    release.open();
    const first = await overlapping;
    const later = await environments.invoke('d', context);

    // Assess
    expect(first).toEqual(['a@1', 'b@2', 'c@3']);
    expect(environments.started).toBe(3);
    expect(later).toMatch(/^d@[123]$/);
  });

  it('puts an environment back after its handler throws', async () => {
    // Prepare
    let calls = 0;
    const environments = lambdaEnvironments(async () => async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return 'ok';
    });

    // Act
    await expect(environments.invoke('x', context)).rejects.toThrow('boom');
    const second = await environments.invoke('y', context);

    // Assess
    expect(second).toBe('ok');
    expect(environments.started).toBe(1);
  });
});

describe('lambdaEnvironments with a warm environment', () => {
  it('uses the warm one first and counts it as started', async () => {
    // Prepare
    const environments = lambdaEnvironments(async (n) => async () => `cold@${n}`, [async () => 'warm']);

    // Act
    const answer = await environments.invoke('x', context);

    // Assess
    expect(answer).toBe('warm');
    expect(environments.started).toBe(1);
  });
});
