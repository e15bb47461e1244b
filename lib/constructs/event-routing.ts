import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type EventTypeSelector, familyPrefix, isFamily } from '#lambdas/shared/event-types';
import { deadLetterQueue, RULE_TARGET_RETRY_DEFAULTS, RULE_TARGET_RETRY_LIMITS } from './secure-defaults';

/**
 * Where a consumer's events go. A queue or a function is wrapped in the matching target with the
 * consumer's DLQ and retry policy; for any other target, pass a factory that receives those
 * settings (`TargetBaseProps`) and builds the target with them, e.g.
 * `(props) => new targets.SnsTopic(topic, props)`.
 */
export type ConsumerTarget =
  | sqs.IQueue
  | lambda.IFunction
  | ((deliveryPolicy: targets.TargetBaseProps) => events.IRuleTarget);

export interface ConsumerOptions {
  /**
   * Event types (`users.messages.email.Send`) and families (`users.messages.email.*`) to receive.
   * Unknown names are allowed: Braze adds event types with little notice.
   */
  readonly eventTypes: readonly EventTypeSelector[];
  readonly target: ConsumerTarget;
  /**
   * How often EventBridge retries a failed delivery before the event goes to the DLQ.
   * @default 185 (the maximum)
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event before it goes to the DLQ.
   * @default Duration.hours(24) (the maximum)
   */
  readonly maxEventAge?: Duration;
  /**
   * @default - a description listing the event types
   */
  readonly description?: string;
}

/** Everything `addConsumer` created, for further wiring (alarms, permissions, outputs). */
export interface Consumer {
  readonly id: string;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
}

export interface EventRoutingProps {
  /** `source` of the events the receiver publishes; every rule matches on it. */
  readonly eventSource: string;
  /**
   * Called for every consumer added, so the stack can alarm on its DLQ and chart its rule on the
   * dashboard.
   */
  readonly onConsumer?: (consumer: Consumer) => void;
}

const {
  maxRetryAttempts: MAX_RETRY_ATTEMPTS,
  minEventAge: MIN_EVENT_AGE,
  maxEventAge: MAX_EVENT_AGE,
} = RULE_TARGET_RETRY_LIMITS;

/** Why a selector cannot become a rule pattern, or undefined when it can. */
export function selectorProblem(selector: string): string | undefined {
  if (selector.trim() !== selector || selector === '') {
    return 'is empty or has surrounding spaces';
  }
  const starAt = selector.indexOf('*');
  if (starAt !== -1 && !(isFamily(selector) && starAt === selector.length - 1)) {
    return 'may only use * as the last segment of a family, as in users.messages.email.*';
  }
  if (isFamily(selector) && familyPrefix(selector) === '.') {
    return 'selects every event type; use the archive or a rule on the whole source instead';
  }
  return undefined;
}

/**
 * The `detail-type` part of a rule pattern: exact names as strings, families as prefix matches.
 * Throws on an empty list or a malformed selector, so a mistake fails at synth, not in production.
 */
export function detailTypePattern(eventTypes: readonly string[]): (string | { prefix: string })[] {
  if (eventTypes.length === 0) {
    throw new Error('a consumer needs at least one event type or family in eventTypes');
  }
  const problems = eventTypes
    .map((selector) => [selector, selectorProblem(selector)] as const)
    .filter(([, problem]) => problem !== undefined)
    .map(([selector, problem]) => `"${selector}" ${problem}`);
  if (problems.length > 0) {
    throw new Error(`invalid eventTypes: ${problems.join('; ')}`);
  }
  const unique = [...new Set(eventTypes)];
  return unique.map((selector) => (isFamily(selector) ? { prefix: familyPrefix(selector) } : selector));
}

function isQueue(target: ConsumerTarget): target is sqs.IQueue {
  return typeof target === 'object' && 'queueArn' in target;
}

function isFunction(target: ConsumerTarget): target is lambda.IFunction {
  return typeof target === 'object' && 'functionArn' in target;
}

/**
 * Lets a rule target keep its own `bind` while adding a DLQ and a retry policy, for targets whose
 * CDK class takes neither (the Firehose target).
 */
export class TargetWithDeadLetterQueue implements events.IRuleTarget {
  constructor(
    private readonly inner: events.IRuleTarget,
    private readonly deliveryPolicy: Required<
      Pick<targets.TargetBaseProps, 'retryAttempts' | 'maxEventAge'>
    > & {
      deadLetterQueue: sqs.IQueue;
    },
  ) {}

  bind(rule: events.IRule, id?: string): events.RuleTargetConfig {
    const config = this.inner.bind(rule, id);
    this.deliveryPolicy.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `AllowEventRule${rule.node.addr}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deliveryPolicy.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    return {
      ...config,
      deadLetterConfig: { arn: this.deliveryPolicy.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.deliveryPolicy.retryAttempts,
        maximumEventAgeInSeconds: this.deliveryPolicy.maxEventAge.toSeconds(),
      },
    };
  }
}

/**
 * The custom event bus every Braze event lands on, exported for other stacks, and the way to
 * attach consumers: `addConsumer(id, { eventTypes, target })` makes a rule with a retry policy, a
 * DLQ of its own and (through `onConsumer`) an alarm on that DLQ.
 */
export class EventRouting extends Construct {
  public readonly bus: events.EventBus;
  public readonly eventSource: string;
  private readonly consumerList: Consumer[] = [];
  private readonly onConsumer: ((consumer: Consumer) => void) | undefined;

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    this.eventSource = props.eventSource;
    this.onConsumer = props.onConsumer;

    this.bus = new events.EventBus(this, 'Bus', {
      description: `Braze Currents events, one per Braze event; source ${props.eventSource}`,
    });
  }

  /** The consumers added so far. */
  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  /** A pattern matching the given Braze event types and families from the receiver. */
  eventPattern(eventTypes: readonly EventTypeSelector[]): events.EventPattern {
    return {
      source: [this.eventSource],
      detailType: detailTypePattern(eventTypes).flatMap((value) =>
        typeof value === 'string' ? [value] : events.Match.prefix(value.prefix),
      ),
    };
  }

  /** A rule on the bus that delivers the selected Braze events to `target`, with retries and a DLQ. */
  addConsumer(id: string, options: ConsumerOptions): Consumer {
    const retryAttempts = options.retryAttempts ?? RULE_TARGET_RETRY_DEFAULTS.retryAttempts;
    const maxEventAge = options.maxEventAge ?? RULE_TARGET_RETRY_DEFAULTS.maxEventAge;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > MAX_RETRY_ATTEMPTS) {
      throw new Error(`consumer ${id}: retryAttempts must be a whole number from 0 to ${MAX_RETRY_ATTEMPTS}`);
    }
    if (
      maxEventAge.toSeconds() < MIN_EVENT_AGE.toSeconds() ||
      maxEventAge.toSeconds() > MAX_EVENT_AGE.toSeconds()
    ) {
      throw new Error(`consumer ${id}: maxEventAge must be between 1 minute and 24 hours`);
    }
    let pattern: events.EventPattern;
    try {
      pattern = this.eventPattern(options.eventTypes);
    } catch (error) {
      throw new Error(`consumer ${id}: ${(error as Error).message}`);
    }

    const scope = new Construct(this, `Consumer${id}`);
    const dlq = deadLetterQueue(scope, 'DeadLetterQueue');
    const deliveryPolicy: targets.TargetBaseProps = { deadLetterQueue: dlq, retryAttempts, maxEventAge };

    const rule = new events.Rule(scope, 'Rule', {
      eventBus: this.bus,
      description: options.description ?? `Consumer ${id}: ${options.eventTypes.join(', ')}`.slice(0, 512),
      eventPattern: pattern,
    });
    rule.addTarget(this.buildTarget(options.target, deliveryPolicy));

    const consumer: Consumer = { id, rule, deadLetterQueue: dlq };
    this.consumerList.push(consumer);
    this.onConsumer?.(consumer);
    return consumer;
  }

  /** A CloudWatch metric of one rule on this bus (custom-bus rules carry both dimensions). */
  ruleMetric(
    rule: events.IRule,
    metricName: string,
    props: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap: { EventBusName: this.bus.eventBusName, RuleName: rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private buildTarget(target: ConsumerTarget, deliveryPolicy: targets.TargetBaseProps): events.IRuleTarget {
    if (isQueue(target)) {
      return new targets.SqsQueue(target, deliveryPolicy);
    }
    if (isFunction(target)) {
      return new targets.LambdaFunction(target, deliveryPolicy);
    }
    if (typeof target === 'function') {
      return target(deliveryPolicy);
    }
    throw new Error('a consumer target must be a queue, a function, or a factory of a rule target');
  }
}
