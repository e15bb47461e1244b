import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '#local/event-pattern/index';
import {
  type CloudFormationTemplate,
  LOCAL_CREDENTIALS,
  type StandIns,
  startStandIns,
} from '#local/stand-ins/index';

const template: CloudFormationTemplate = {
  Resources: {
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'test-bus' } },
    TemplateQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
    TemplateRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'template-rule',
        EventBusName: { Ref: 'Bus' },
        EventPattern: { source: ['braze.currents'] },
        Targets: [{ Id: 'Queue', Arn: { 'Fn::GetAtt': ['TemplateQueue', 'Arn'] } }],
      },
    },
  },
};

const EMAIL_PATTERN = JSON.stringify({
  source: ['braze.currents'],
  'detail-type': [{ prefix: 'users.messages.email.' }],
});

function entry(eventType: string, id: string) {
  return {
    EventBusName: 'test-bus',
    Source: 'braze.currents',
    DetailType: eventType,
    Detail: JSON.stringify({ event_type: eventType, id }),
  };
}

describe('EventBridge stand-in: rules and targets attached at run time', () => {
  let dataDir: string;
  let standIns: StandIns;
  let events: EventBridgeClient;
  let sqs: SQSClient;

  const start = async () => {
    standIns = await startStandIns({ dataDir, template, faultProxies: false });
    events = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.eventBridge,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.sqs,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
  };
  const stop = async () => {
    events.destroy();
    sqs.destroy();
    await standIns.stop();
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eb-rules-'));
    await start();
  });

  afterEach(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const receiveAll = async (queueUrl: string) => {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => message.Body ?? ''));
    }
  };

  it('routes matching events, and only those, to an SQS target, as the template rules are routed', async () => {
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'email-consumer' }),
    );
    const put = await events.send(
      new PutRuleCommand({ Name: 'email-consumer', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    expect(put.RuleArn).toBe('arn:aws:events:us-east-1:000000000000:rule/test-bus/email-consumer');
    const targets = await events.send(
      new PutTargetsCommand({
        Rule: 'email-consumer',
        EventBusName: 'test-bus',
        Targets: [
          { Id: 'queue', Arn: 'arn:aws:sqs:us-east-1:000000000000:email-consumer', InputPath: '$.detail' },
        ],
      }),
    );
    expect(targets).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });

    await events.send(
      new PutEventsCommand({
        Entries: [
          entry('users.messages.email.Send', 'a'),
          entry('users.messages.pushnotification.Send', 'b'),
          entry('users.messages.email.Open', 'c'),
        ],
      }),
    );
    await standIns.settle();
    const bodies = (await receiveAll(queueUrl)).map((body) => JSON.parse(body) as { id: string });
    expect(bodies.map((body) => body.id).sort()).toEqual(['a', 'c']);
    expect(standIns.eventBridge?.stats.matchedByRule['email-consumer']).toBe(2);
    expect(standIns.eventBridge?.stats.matchedByRule['template-rule']).toBe(3);
  });

  it('stops routing to a disabled rule and starts again once it is enabled', async () => {
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'toggled' }));
    await events.send(
      new PutRuleCommand({ Name: 'toggled', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'toggled',
        EventBusName: 'test-bus',
        Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:toggled', InputPath: '$.detail' }],
      }),
    );
    await events.send(new DisableRuleCommand({ Name: 'toggled', EventBusName: 'test-bus' }));
    expect(
      (await events.send(new DescribeRuleCommand({ Name: 'toggled', EventBusName: 'test-bus' }))).State,
    ).toBe('DISABLED');
    await events.send(new PutEventsCommand({ Entries: [entry('users.messages.email.Send', 'off')] }));
    await events.send(new EnableRuleCommand({ Name: 'toggled', EventBusName: 'test-bus' }));
    await events.send(new PutEventsCommand({ Entries: [entry('users.messages.email.Send', 'on')] }));
    await standIns.settle();
    const bodies = await receiveAll(queueUrl);
    expect(bodies.map((body) => (JSON.parse(body) as { id: string }).id)).toEqual(['on']);
  });

  it('describes, lists and pages rules, template rules included, and honours NamePrefix', async () => {
    for (const name of ['c-rule', 'a-rule', 'b-rule']) {
      await events.send(
        new PutRuleCommand({ Name: name, EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
      );
    }
    const described = await events.send(
      new DescribeRuleCommand({ Name: 'a-rule', EventBusName: 'test-bus' }),
    );
    expect(described).toMatchObject({
      Name: 'a-rule',
      EventPattern: EMAIL_PATTERN,
      State: 'ENABLED',
      EventBusName: 'test-bus',
      Arn: 'arn:aws:events:us-east-1:000000000000:rule/test-bus/a-rule',
    });
    const first = await events.send(new ListRulesCommand({ EventBusName: 'test-bus', Limit: 2 }));
    expect(first.Rules?.map((rule) => rule.Name)).toEqual(['a-rule', 'b-rule']);
    expect(first.NextToken).toBeDefined();
    const second = await events.send(
      new ListRulesCommand({ EventBusName: 'test-bus', Limit: 2, NextToken: first.NextToken }),
    );
    expect(second.Rules?.map((rule) => rule.Name)).toEqual(['c-rule', 'template-rule']);
    expect(second.NextToken).toBeUndefined();
    const prefixed = await events.send(new ListRulesCommand({ EventBusName: 'test-bus', NamePrefix: 'b-' }));
    expect(prefixed.Rules?.map((rule) => rule.Name)).toEqual(['b-rule']);
    const templateTargets = await events.send(
      new ListTargetsByRuleCommand({ Rule: 'template-rule', EventBusName: 'test-bus' }),
    );
    expect(templateTargets.Targets?.map((target) => target.Id)).toEqual(['Queue']);
  });

  it('refuses an invalid pattern with InvalidEventPatternException and the matcher validator message', async () => {
    const pattern = JSON.stringify({ source: 'braze.currents' });
    let expected = '';
    try {
      compileEventPattern(pattern);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventPatternError);
      expected = (error as Error).message;
    }
    expect(expected).not.toBe('');
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad', EventBusName: 'test-bus', EventPattern: pattern })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException', message: expected });
    await expect(
      events.send(new DescribeRuleCommand({ Name: 'bad', EventBusName: 'test-bus' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Rule bad does not exist on EventBus test-bus.',
    });
  });

  it('answers ResourceNotFoundException for an unknown bus and a ValidationException for bad names', async () => {
    await expect(
      events.send(new PutRuleCommand({ Name: 'r', EventBusName: 'nope', EventPattern: EMAIL_PATTERN })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' });
    await expect(
      events.send(
        new PutRuleCommand({ Name: 'has space', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      events.send(new PutRuleCommand({ Name: 'no-pattern', EventBusName: 'test-bus' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      events.send(
        new PutTargetsCommand({
          Rule: 'missing',
          EventBusName: 'test-bus',
          Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses DeleteRule while targets remain, then deletes once they are removed; deleting twice succeeds', async () => {
    await events.send(
      new PutRuleCommand({ Name: 'r', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'r',
        EventBusName: 'test-bus',
        Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }],
      }),
    );
    await expect(
      events.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'test-bus' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
    });
    await events.send(new RemoveTargetsCommand({ Rule: 'r', EventBusName: 'test-bus', Ids: ['q'] }));
    await events.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'test-bus' }));
    await events.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'test-bus' }));
    const listed = await events.send(new ListRulesCommand({ EventBusName: 'test-bus' }));
    expect(listed.Rules?.map((rule) => rule.Name)).toEqual(['template-rule']);
  });

  it('reports per-target failures, and enforces 5 targets per rule and 10 per call', async () => {
    await events.send(
      new PutRuleCommand({ Name: 'r', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    const mixed = await events.send(
      new PutTargetsCommand({
        Rule: 'r',
        EventBusName: 'test-bus',
        Targets: [
          { Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' },
          { Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer' },
        ],
      }),
    );
    expect(mixed.FailedEntryCount).toBe(1);
    expect(mixed.FailedEntries?.[0]).toMatchObject({ TargetId: 'fn', ErrorCode: 'ValidationException' });
    const listed = await events.send(new ListTargetsByRuleCommand({ Rule: 'r', EventBusName: 'test-bus' }));
    expect(listed.Targets?.map((target) => target.Id)).toEqual(['q']);

    const queueTargets = (ids: string[]) =>
      ids.map((id) => ({ Id: id, Arn: `arn:aws:sqs:us-east-1:000000000000:${id}` }));
    await expect(
      events.send(
        new PutTargetsCommand({
          Rule: 'r',
          EventBusName: 'test-bus',
          Targets: queueTargets(['a', 'b', 'c', 'd', 'e']),
        }),
      ),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });
    await expect(
      events.send(
        new PutTargetsCommand({
          Rule: 'r',
          EventBusName: 'test-bus',
          Targets: queueTargets(Array.from({ length: 11 }, (_, i) => `t${i}`)),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const after = await events.send(new ListTargetsByRuleCommand({ Rule: 'r', EventBusName: 'test-bus' }));
    expect(after.Targets?.map((target) => target.Id)).toEqual(['q']);
  });

  it('refuses changes to the template rules', async () => {
    await expect(
      events.send(new DeleteRuleCommand({ Name: 'template-rule', EventBusName: 'test-bus' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('keeps added rules in the data directory across a restart, and still routes them', async () => {
    await events.send(
      new PutRuleCommand({ Name: 'kept', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'kept',
        EventBusName: 'test-bus',
        Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:kept-queue' }],
      }),
    );
    await stop();
    await start();
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept-queue' }));
    const described = await events.send(new DescribeRuleCommand({ Name: 'kept', EventBusName: 'test-bus' }));
    expect(described.EventPattern).toBe(EMAIL_PATTERN);
    await events.send(new PutEventsCommand({ Entries: [entry('users.messages.email.Send', 'x')] }));
    await standIns.settle();
    const bodies = await receiveAll(queueUrl);
    expect(bodies.map((body) => (JSON.parse(body) as { detail: { id: string } }).detail.id)).toEqual(['x']);
  });

  it('sends to the target dead-letter queue when the queue does not exist, after the retry window', async () => {
    await stop();
    standIns = await startStandIns({
      dataDir,
      template,
      faultProxies: false,
      eventBridge: { targetRetryWindowMs: 200 },
    });
    events = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.eventBridge,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: standIns.endpoints.sqs,
      credentials: LOCAL_CREDENTIALS,
    });
    const { QueueUrl: dlqUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'consumer-dlq' }));
    await events.send(
      new PutRuleCommand({ Name: 'r', EventBusName: 'test-bus', EventPattern: EMAIL_PATTERN }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'r',
        EventBusName: 'test-bus',
        Targets: [
          {
            Id: 'q',
            Arn: 'arn:aws:sqs:us-east-1:000000000000:missing-queue',
            DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:consumer-dlq' },
          },
        ],
      }),
    );
    await events.send(new PutEventsCommand({ Entries: [entry('users.messages.email.Send', 'd')] }));
    await standIns.settle();
    const bodies = await receiveAll(dlqUrl);
    expect(bodies).toHaveLength(1);
    expect(standIns.eventBridge?.stats.deliveriesFailedByRule.r).toBe(1);
  });
});
