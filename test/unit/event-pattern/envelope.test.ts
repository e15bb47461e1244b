import { describe, expect, it } from 'vitest';
import { toEventBridgeEvent, toEventTime } from '#local/event-pattern/index';

const entry = {
  Source: 'braze.currents',
  DetailType: 'users.messages.email.Send',
  Detail: '{"event_type":"users.messages.email.Send","id":"e-1","time":1700000000,"properties":{"n":1}}',
};

describe('toEventBridgeEvent', () => {
  it('wraps an entry as EventBridge delivers it', () => {
    const event = toEventBridgeEvent(
      { ...entry, Time: new Date('2023-11-14T22:13:20.999Z'), Resources: ['app_group=brand-a'] },
      { account: '123456789012', region: 'eu-west-1', id: 'evt-1' },
    );

    expect(event).toEqual({
      version: '0',
      id: 'evt-1',
      'detail-type': 'users.messages.email.Send',
      source: 'braze.currents',
      account: '123456789012',
      time: '2023-11-14T22:13:20Z',
      region: 'eu-west-1',
      resources: ['app_group=brand-a'],
      detail: { event_type: 'users.messages.email.Send', id: 'e-1', time: 1700000000, properties: { n: 1 } },
    });
  });

  it('defaults to a fresh id, the local account and region, no resources, and the given current time', () => {
    const first = toEventBridgeEvent(entry, { now: new Date('2026-11-23T16:04:09.734Z') });
    const second = toEventBridgeEvent(entry);

    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.id).not.toBe(first.id);
    expect(first).toMatchObject({ account: '000000000000', region: 'us-east-1', resources: [] });
    expect(first.time).toBe('2026-11-23T16:04:09Z');
    expect(second.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('copies the resources so the entry cannot change the event afterwards', () => {
    const resources = ['app_group=brand-a'];

    const event = toEventBridgeEvent({ ...entry, Resources: resources });
    resources.push('later');

    expect(event.resources).toEqual(['app_group=brand-a']);
  });

  it('refuses a Detail that is not JSON', () => {
    expect(() => toEventBridgeEvent({ ...entry, Detail: '{nope' })).toThrow(SyntaxError);
  });
});

describe('toEventTime', () => {
  it('keeps whole seconds in UTC', () => {
    expect(toEventTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 999)))).toBe('2026-01-02T03:04:05Z');
  });
});
