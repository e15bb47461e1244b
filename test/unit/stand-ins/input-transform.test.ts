import { describe, expect, it } from 'vitest';
import { toEventBridgeEvent } from '#local/event-pattern/envelope';
import { selectJsonPath, targetInput } from '#local/stand-ins/eventbridge/input-transform';
import type { RouteTarget } from '#local/stand-ins/eventbridge/routes';

const event = toEventBridgeEvent(
  {
    Source: 'braze.currents',
    DetailType: 'users.behaviors.Purchase',
    Detail: '{"id":"p-1","user":{"user_id":"u-1"},"properties":{"price":9.5},"tags":["a","b"]}',
    Resources: ['app_group=brand-a'],
  },
  { id: 'event-1', now: new Date('2026-01-02T03:04:05Z') },
);

const target = (overrides: Partial<RouteTarget>): RouteTarget => ({ id: 'T', kind: 'lambda', ...overrides });

describe('targetInput', () => {
  it('sends the whole event when nothing is configured', () => {
    expect(JSON.parse(targetInput(target({}), event, 'Rule'))).toEqual(event);
  });

  it('sends the part an InputPath selects, as JSON', () => {
    expect(targetInput(target({ inputPath: '$.detail' }), event, 'Rule')).toBe(JSON.stringify(event.detail));
    expect(targetInput(target({ inputPath: '$.detail.user.user_id' }), event, 'Rule')).toBe('"u-1"');
  });

  it('sends a constant Input as it is', () => {
    expect(targetInput(target({ input: '{"fixed":true}' }), event, 'Rule')).toBe('{"fixed":true}');
  });

  it('fills an InputTransformer template: JSON values outside quotes, plain text inside', () => {
    const transformed = targetInput(
      target({
        inputTransformer: {
          InputPathsMap: {
            user: '$.detail.user.user_id',
            price: '$.detail.properties.price',
            tag: '$.detail.tags[1]',
          },
          InputTemplate:
            '{"who":<user>,"price":<price>,"text":"<user> paid","tag":<tag>,"rule":"<aws.events.rule-name>"}',
        },
      }),
      event,
      'PurchaseRule',
    );

    expect(JSON.parse(transformed)).toEqual({
      who: 'u-1',
      price: 9.5,
      text: 'u-1 paid',
      tag: 'b',
      rule: 'PurchaseRule',
    });
  });
});

describe('selectJsonPath', () => {
  it('selects nested fields and array items, and undefined for what is missing', () => {
    expect(selectJsonPath(event, '$')).toBe(event);
    expect(selectJsonPath(event, '$.resources[0]')).toBe('app_group=brand-a');
    expect(selectJsonPath(event, '$.detail.nothing.here')).toBeUndefined();
  });
});
