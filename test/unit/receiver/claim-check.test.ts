import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimCheckKey, pointerDetail, toPointer } from '#lambdas/receiver/claim-check';
import { entrySize } from '#lambdas/shared/bus-entry';
import { prepareEvents } from '#lambdas/shared/entries';

const receivedAt = new Date('2026-11-23T12:00:00Z');

describe('claimCheckKey', () => {
  const detail = '{"event_type":"users.behaviors.CustomEvent","id":"abc-1"}';
  const digest = createHash('sha256').update(detail).digest('hex').slice(0, 16);

  it('uses the event type, a safe id and a digest of the event', () => {
    expect(claimCheckKey(receivedAt, 'users.behaviors.CustomEvent', 'abc-1', detail)).toBe(
      `claim-check/dt=2026-11-23/event_type=users.behaviors.CustomEvent/abc-1-${digest}.json`,
    );
  });

  it('never gives two different events one key, even with the same id; the same event keeps its key', () => {
    const first = claimCheckKey(receivedAt, 'users.behaviors.CustomEvent', 'same', '{"id":"same","n":1}');
    const second = claimCheckKey(receivedAt, 'users.behaviors.CustomEvent', 'same', '{"id":"same","n":2}');
    const retried = claimCheckKey(receivedAt, 'users.behaviors.CustomEvent', 'same', '{"id":"same","n":1}');

    expect(first).not.toBe(second);
    expect(retried).toBe(first);
  });

  it('encodes an untrusted event type as the archive partition does: no slash, no dot-only segment', () => {
    const key = claimCheckKey(receivedAt, '../../../../x', 'id-1', detail);
    expect(key).toBe(`claim-check/dt=2026-11-23/event_type=..%2F..%2F..%2F..%2Fx/id-1-${digest}.json`);
    expect(key.split('/').some((segment) => segment === '..' || segment === '.')).toBe(false);
  });

  it('falls back to a UUID when the id is missing or unsafe in a key', () => {
    const uuid = new RegExp(`^claim-check/dt=2026-11-23/event_type=a%2Fb/[0-9a-f-]{36}-${digest}\\.json$`);
    expect(claimCheckKey(receivedAt, 'a/b', undefined, detail)).toMatch(uuid);
    expect(claimCheckKey(receivedAt, 'a/b', '../etc/passwd', detail)).toMatch(uuid);
    expect(claimCheckKey(receivedAt, 'a/b', '..', detail)).toMatch(uuid);
  });
});

describe('pointer events', () => {
  const [big] = prepareEvents(
    [
      {
        event_type: 'users.behaviors.CustomEvent',
        id: 'e-1',
        time: 5,
        user: {},
        properties: { pad: 'x'.repeat(1000) },
      },
    ],
    { source: 'braze.currents', resources: ['app_group=a'], receivedAt },
  ).prepared;

  it('keeps event_type, id and time, and says where the event is', () => {
    expect(pointerDetail(big as never, 'bucket', 'claim-check/k.json')).toEqual({
      event_type: 'users.behaviors.CustomEvent',
      id: 'e-1',
      time: 5,
      currents_bridge_claim_check: {
        bucket: 'bucket',
        key: 'claim-check/k.json',
        bytes: Buffer.byteLength(big?.entry.Detail ?? ''),
      },
    });
  });

  it('replaces the entry detail, keeps the rest and recomputes the size', () => {
    const pointer = toPointer(big as never, 'bucket', 'k');
    expect(pointer.entry.DetailType).toBe(big?.entry.DetailType);
    expect(pointer.entry.Time).toEqual(big?.entry.Time);
    expect(pointer.entry.Resources).toEqual(['app_group=a']);
    expect(pointer.bytes).toBe(entrySize(pointer.entry));
    expect(pointer.bytes).toBeLessThan(300);
  });
});
