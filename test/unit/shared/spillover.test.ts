import { describe, expect, it } from 'vitest';
import type { BusEntry } from '#lambdas/shared/bus-entry';
import {
  buildSpilloverBodies,
  parseSpilloverMessage,
  SpilloverError,
  type SpilloverMessage,
  type SpilloverPort,
  sendToSpillover,
} from '#lambdas/shared/spillover';

const entry = (detail: string, resources?: string[]): BusEntry => ({
  Source: 'braze.currents',
  DetailType: 'users.behaviors.Purchase',
  Detail: detail,
  Time: new Date('2026-11-23T12:00:00.000Z'),
  ...(resources ? { Resources: resources } : {}),
});

describe('buildSpilloverBodies / parseSpilloverMessage', () => {
  it('round-trips entries, Time and Resources included', () => {
    const entries = [entry('{"id":"1"}', ['app_group=a']), entry('{"id":"2","s":"\uffff"}')];
    const [body] = buildSpilloverBodies('batch-9', entries);
    expect(JSON.parse(body ?? '')).toMatchObject({ version: 1, batchId: 'batch-9' });
    expect(parseSpilloverMessage(body ?? '')).toEqual({ batchId: 'batch-9', entries });
  });

  it('escapes U+FFFF, which SQS refuses in a message body', () => {
    const [body] = buildSpilloverBodies('b', [entry('{"s":"\uffff"}')]);
    expect(body).not.toMatch(/\uffff/);
  });

  it('packs entries into messages no larger than the limit, in order', () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(JSON.stringify({ i, pad: 'x'.repeat(300) })));
    const bodies = buildSpilloverBodies('b', entries, 1_000);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1_000);
    expect(bodies.flatMap((body) => parseSpilloverMessage(body).entries)).toEqual(entries);
  });

  it('refuses an entry that cannot fit in one message', () => {
    expect(() =>
      buildSpilloverBodies('b', [entry(JSON.stringify({ pad: 'x'.repeat(2_000) }))], 1_000),
    ).toThrow(SpilloverError);
  });

  it.each([
    ['not JSON', 'nope'],
    ['wrong version', JSON.stringify({ version: 2, batchId: 'b', entries: [] })],
    ['no entries', JSON.stringify({ version: 1, batchId: 'b', entries: [] })],
    [
      'bad time',
      JSON.stringify({
        version: 1,
        batchId: 'b',
        entries: [{ Source: 's', DetailType: 't', Detail: '{}', Time: 'yesterday' }],
      }),
    ],
  ])('rejects a message that is %s', (_name, body) => {
    expect(() => parseSpilloverMessage(body)).toThrow(SpilloverError);
  });

  it('says what is wrong and where, in words (zod/mini with its English messages loaded)', () => {
    const body = JSON.stringify({
      version: 1,
      batchId: 'b',
      entries: [{ Source: '', DetailType: 't', Detail: '{}', Time: 'yesterday' }],
    });
    expect(() => parseSpilloverMessage(body)).toThrow(
      /Too small: expected string to have >=1 characters\s+→ at entries\[0\]\.Source[\s\S]*Invalid ISO datetime\s+→ at entries\[0\]\.Time/,
    );
  });
});

describe('sendToSpillover', () => {
  function recordingPort(fail: (message: SpilloverMessage, call: number) => boolean) {
    const calls: SpilloverMessage[][] = [];
    const port: SpilloverPort = {
      async sendMessages(messages) {
        calls.push([...messages]);
        return {
          failedIds: messages.filter((message) => fail(message, calls.length)).map((message) => message.id),
        };
      },
    };
    return { port, calls };
  }

  it('sends at most 10 messages per call', async () => {
    const { port, calls } = recordingPort(() => false);
    await sendToSpillover(
      Array.from({ length: 23 }, (_, i) => `{"i":${i}}`),
      port,
    );
    expect(calls.map((call) => call.length).sort((a, b) => a - b)).toEqual([3, 10, 10]);
  });

  it('sends the refused messages once more and succeeds when SQS takes them', async () => {
    const { port, calls } = recordingPort((message, call) => call === 1 && message.id === '1');
    await sendToSpillover(['a', 'b', 'c'], port);
    expect(calls[1]?.map((message) => message.body)).toEqual(['b']);
  });

  it('throws when messages are refused twice', async () => {
    const { port } = recordingPort((message) => message.id === '0');
    await expect(sendToSpillover(['a', 'b'], port)).rejects.toThrow(SpilloverError);
  });

  it('throws when the call itself keeps failing', async () => {
    const port: SpilloverPort = {
      sendMessages: async () => {
        throw new Error('down');
      },
    };
    await expect(sendToSpillover(['a'], port)).rejects.toThrow(/1 of 1/);
  });
});
