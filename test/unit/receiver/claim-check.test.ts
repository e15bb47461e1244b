import { describe, expect, it } from 'vitest';
import { claimCheckKey, pointerDetail, toPointer } from '../../../lambdas/receiver/claim-check';
import { entrySize } from '../../../lambdas/shared/bus-entry';
import { prepareEvents } from '../../../lambdas/shared/entries';

const receivedAt = new Date('2026-11-23T12:00:00Z');

describe('claimCheckKey', () => {
  it('uses the event type and a safe id', () => {
    expect(claimCheckKey(receivedAt, 'users.behaviors.CustomEvent', 'abc-1')).toBe(
      'claim-check/dt=2026-11-23/event_type=users.behaviors.CustomEvent/abc-1.json',
    );
  });

  it('encodes an untrusted event type as the archive partition does: no slash, no dot-only segment', () => {
    const key = claimCheckKey(receivedAt, '../../../../x', 'id-1');
    expect(key).toBe('claim-check/dt=2026-11-23/event_type=..%2F..%2F..%2F..%2Fx/id-1.json');
    expect(key.split('/').some((segment) => segment === '..' || segment === '.')).toBe(false);
  });

  it('falls back to a UUID when the id is missing or unsafe in a key', () => {
    const uuid = /^claim-check\/dt=2026-11-23\/event_type=a%2Fb\/[0-9a-f-]{36}\.json$/;
    expect(claimCheckKey(receivedAt, 'a/b', undefined)).toMatch(uuid);
    expect(claimCheckKey(receivedAt, 'a/b', '../etc/passwd')).toMatch(uuid);
    expect(claimCheckKey(receivedAt, 'a/b', '..')).toMatch(uuid);
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
