/**
 * A local EventBridge that real SDK v3 clients (`@aws-sdk/client-eventbridge`, AWS JSON 1.1
 * protocol, `X-Amz-Target: AWSEvents.<Op>`) talk to over HTTP: PutEvents with the service's
 * limits and per-entry errors, TestEventPattern, and the rules and targets of the synthesized
 * stack applied to every accepted event.
 *
 * Own code, not a package: no npm EventBridge emulator exists, and LocalStack (the usual local
 * AWS) needs Docker, which this project's machines do not have.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { type EventBridgeEvent, toEventBridgeEvent } from '#local/event-pattern/envelope';
import {
  type CompiledEventPattern,
  compileEventPattern,
  InvalidEventPatternError,
  parseEventJson,
  stringifyEventJson,
} from '#local/event-pattern/index';
import { type AwsJsonOperation, AwsJsonServer, AwsServiceError } from '../aws-json-server';
import { EventBridgeFaults } from './faults';
import { FirehoseDeliveryStream, type ObjectStore } from './firehose';
import { targetInput } from './input-transform';
import {
  type EntryError,
  entryTime,
  entryValidationError,
  eventBusNameOf,
  type PutEventsEntryInput,
  requestValidationError,
} from './put-events-validation';
import type { LoadedRoutes, Route, RouteTarget } from './routes';
import { RuleRegistry } from './rules-api';

/** How an SQS rule target is reached: the SQS stand-in, or an SQS client. */
export interface QueueSink {
  sendMessage(queueName: string, body: string): Promise<void>;
}

export interface EventBridgeStandInOptions {
  region?: string;
  account?: string;
  port?: number;
  /** The stack's routing, from `loadRoutes(template)`; without it only buses are emulated. */
  routes?: LoadedRoutes;
  /** Buses accepted besides `default` and the template's. */
  busNames?: readonly string[];
  /**
   * An entry for a bus that does not exist: the service accepts it and drops the event
   * (`accept`, the default, counted in `stats.droppedUnknownBus`); `fail-entry` refuses it
   * with `ResourceNotFoundException`, which makes a misconfigured bus name obvious locally.
   */
  unknownBus?: 'accept' | 'fail-entry';
  /** Where `deliveries.ndjson` (and `bus.ndjson`, see below) are appended. */
  dataDir?: string;
  /** Also append every event put on a bus to `<dataDir>/bus.ndjson`. */
  recordBusEvents?: boolean;
  /** Keep every event in memory (`events`); default true. */
  keepEvents?: boolean;
  /**
   * At most this many events and deliveries are kept in memory (the oldest are dropped), so a
   * long `npm start` session does not grow without bound; default 200,000.
   */
  maxKeptInMemory?: number;
  /** S3 for Firehose targets. Without it Firehose targets are recorded as deliveries. */
  objectStore?: ObjectStore;
  /** SQS for queue targets. Without it queue targets are recorded as deliveries. */
  queueSink?: QueueSink;
  /** How often Firehose buffers are written locally; default 1000 ms. */
  firehoseFlushIntervalMs?: number;
  /** Seed of the fault-injection random generator. */
  seed?: number;
  /** How long a failing SQS target is retried before the target's dead-letter queue; default 30 s. */
  targetRetryWindowMs?: number;
}

export interface Delivery {
  ruleName: string;
  targetId: string;
  targetKind: RouteTarget['kind'];
  targetLogicalId?: string;
  targetType?: string;
  /** The JSON text the target received. */
  input: string;
  eventId: string;
  deliveredAt: string;
  error?: string;
}

export interface EventBridgeStats {
  /** PutEvents calls answered (including refused ones). */
  putEventsCalls: number;
  /** Calls refused as a whole (validation or injected faults), by error code. */
  callsFailedByCode: Record<string, number>;
  accepted: number;
  /** Entries refused, by error code. */
  failedByCode: Record<string, number>;
  droppedUnknownBus: number;
  matchedByRule: Record<string, number>;
  deliveriesFailedByRule: Record<string, number>;
}

interface CompiledRoute {
  route: Route;
  pattern: CompiledEventPattern;
}

/** Target sends (SQS) in flight at once; see `withSendSlot`. */
const MAX_CONCURRENT_TARGET_SENDS = 8;

export class EventBridgeStandIn {
  private sendsInFlight = 0;
  private readonly sendSlotWaiters: Array<() => void> = [];
  readonly faults: EventBridgeFaults;
  readonly stats: EventBridgeStats = {
    putEventsCalls: 0,
    callsFailedByCode: {},
    accepted: 0,
    failedByCode: {},
    droppedUnknownBus: 0,
    matchedByRule: {},
    deliveriesFailedByRule: {},
  };
  /** Every event put on a bus, in order (when `keepEvents`). */
  readonly events: EventBridgeEvent[] = [];
  /** Every delivery to a target that is not Firehose or SQS (Lambda, ...), and failed deliveries. */
  readonly deliveries: Delivery[] = [];
  /** Rules or targets that could not be emulated. */
  readonly warnings: string[];
  readonly firehoseStreams = new Map<string, FirehoseDeliveryStream>();
  readonly region: string;
  readonly account: string;
  /** The rule and target APIs, and the rules added at run time (see rules-api.ts). */
  readonly rules: RuleRegistry;
  private readonly server: AwsJsonServer;
  private readonly routesByBus = new Map<string, CompiledRoute[]>();
  private readonly knownBuses: Set<string>;
  private readonly listeners = new Set<(event: EventBridgeEvent) => void>();
  private readonly pendingDeliveries = new Set<Promise<void>>();
  private readonly maxKept: number;
  private stopping = false;
  private busLog: WriteStream | undefined;
  private deliveryLog: WriteStream | undefined;

  constructor(private readonly options: EventBridgeStandInOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.faults = new EventBridgeFaults(options.seed);
    this.maxKept = options.maxKeptInMemory ?? 200_000;
    this.warnings = [...(options.routes?.warnings ?? [])];
    this.knownBuses = new Set([
      'default',
      ...Object.values(options.routes?.buses ?? {}),
      ...(options.busNames ?? []),
    ]);
    for (const route of options.routes?.rules ?? []) this.addRoute(route);
    this.rules = new RuleRegistry({
      region: this.region,
      account: this.account,
      ...(options.dataDir ? { file: join(options.dataDir, 'eventbridge', 'rules.json') } : {}),
      templateRoutes: options.routes?.rules ?? [],
      busExists: (name) => this.knownBuses.has(name),
      warn: (message) => this.warnings.push(message),
    });
    this.server = new AwsJsonServer({
      targetPrefix: 'AWSEvents',
      contentType: 'application/x-amz-json-1.1',
      operations: this.operations(),
    });
  }

  async start(): Promise<{ url: string }> {
    if (this.options.dataDir) {
      mkdirSync(this.options.dataDir, { recursive: true });
      this.deliveryLog = createWriteStream(join(this.options.dataDir, 'deliveries.ndjson'), { flags: 'a' });
      if (this.options.recordBusEvents) {
        this.busLog = createWriteStream(join(this.options.dataDir, 'bus.ndjson'), { flags: 'a' });
      }
    }
    return this.server.start(this.options.port ?? 0);
  }

  /**
   * PutEvents (and other) calls whose caller stopped waiting before the answer was written: their
   * entries may be on the bus although the caller saw a failure, so its retry puts them twice.
   */
  get answersLost(): number {
    return this.server.answersLost;
  }

  get url(): string {
    return this.server.url;
  }

  /** Stops answering, then delivers what is buffered (Firehose) or in flight (SQS targets). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.server.stop();
    await this.settle();
    await Promise.all([...this.firehoseStreams.values()].map((stream) => stream.stop()));
    for (const [logicalId, stream] of this.firehoseStreams) {
      if (stream.pendingRecords > 0) {
        this.warnings.push(
          `Delivery stream ${logicalId}: ${stream.pendingRecords} records not written (S3 unreachable at stop)`,
        );
      }
    }
    await Promise.all([closeStream(this.busLog), closeStream(this.deliveryLog)]);
    this.busLog = undefined;
    this.deliveryLog = undefined;
  }

  /** Waits for in-flight SQS deliveries and writes every Firehose buffer to S3 now. */
  async settle(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.all([...this.pendingDeliveries]);
    await Promise.all([...this.firehoseStreams.values()].map((stream) => stream.flush()));
  }

  /** Calls `listener` with every event put on a bus; returns the unsubscribe function. */
  onEvent(listener: (event: EventBridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once `condition()` holds, polling; rejects after `timeoutMs`. */
  async waitFor(condition: () => boolean, timeoutMs = 10_000, description = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`EventBridge stand-in: timed out waiting for ${description}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private addRoute(route: Route): void {
    if (!route.enabled) return;
    let pattern: CompiledEventPattern;
    try {
      pattern = compileEventPattern(route.eventPatternText ?? route.eventPattern);
    } catch (error) {
      this.warnings.push(`Rule ${route.ruleName}: ${(error as Error).message}; skipped`);
      return;
    }
    const routes = this.routesByBus.get(route.eventBusName) ?? [];
    routes.push({ route, pattern });
    this.routesByBus.set(route.eventBusName, routes);
    for (const target of route.targets) {
      if (target.kind === 'firehose' && target.firehose && this.options.objectStore) {
        const stream = this.firehoseStreams.get(target.firehose.streamLogicalId);
        if (!stream) {
          this.firehoseStreams.set(
            target.firehose.streamLogicalId,
            new FirehoseDeliveryStream(target.firehose, this.options.objectStore, {
              flushIntervalMs: this.options.firehoseFlushIntervalMs ?? 1000,
            }),
          );
        }
      }
    }
  }

  private operations(): Record<string, AwsJsonOperation> {
    return {
      PutEvents: (input) => this.putEvents(input),
      TestEventPattern: (input) => testEventPattern(input),
      ListEventBuses: () => ({
        EventBuses: [...this.knownBuses].map((name) => ({ Name: name, Arn: this.busArn(name) })),
      }),
      DescribeEventBus: (input) => {
        const name =
          typeof input.Name === 'string' ? eventBusNameOf({ EventBusName: input.Name }) : 'default';
        if (!this.knownBuses.has(name)) {
          throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        }
        return { Name: name, Arn: this.busArn(name) };
      },
      ...this.rules.operations(),
    };
  }

  private busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
  }

  private putEvents(input: Record<string, unknown>) {
    this.stats.putEventsCalls += 1;
    const entries = Array.isArray(input.Entries) ? (input.Entries as PutEventsEntryInput[]) : [];
    try {
      const refusal = requestValidationError(entries);
      if (refusal) throw new AwsServiceError('ValidationException', refusal);
      this.faults.checkCall();
    } catch (error) {
      if (error instanceof AwsServiceError) increment(this.stats.callsFailedByCode, error.code);
      throw error;
    }
    const results = entries.map((entry) => this.putEntry(entry));
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    return { FailedEntryCount: failed, Entries: results };
  }

  private putEntry(entry: PutEventsEntryInput): { EventId: string } | EntryError {
    const error = entryValidationError(entry) ?? this.injectedEntryError() ?? this.unknownBusError(entry);
    if (error) {
      increment(this.stats.failedByCode, error.ErrorCode);
      return error;
    }
    this.stats.accepted += 1;
    const busName = eventBusNameOf(entry);
    const time = entryTime(entry);
    const event = toEventBridgeEvent(
      {
        Source: entry.Source as string,
        DetailType: entry.DetailType as string,
        Detail: entry.Detail as string,
        ...(time ? { Time: time } : {}),
        ...(Array.isArray(entry.Resources) ? { Resources: entry.Resources as string[] } : {}),
      },
      { account: this.account, region: this.region, id: randomUUID() },
    );
    if (!this.knownBuses.has(busName)) {
      // The service answers success and the event goes nowhere.
      this.stats.droppedUnknownBus += 1;
      return { EventId: event.id };
    }
    this.publish(busName, event);
    return { EventId: event.id };
  }

  private injectedEntryError(): EntryError | undefined {
    return this.faults.shouldThrottleEntry()
      ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded.' }
      : undefined;
  }

  private unknownBusError(entry: PutEventsEntryInput): EntryError | undefined {
    const busName = eventBusNameOf(entry);
    if (this.options.unknownBus !== 'fail-entry' || this.knownBuses.has(busName)) return undefined;
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
  }

  private publish(busName: string, event: EventBridgeEvent): void {
    if (this.options.keepEvents !== false) keepBounded(this.events, event, this.maxKept);
    this.busLog?.write(`${stringifyEventJson(event)}\n`);
    for (const listener of this.listeners) listener(event);
    const routes = [...(this.routesByBus.get(busName) ?? []), ...this.rules.routesFor(busName)];
    for (const { route, pattern } of routes) {
      if (!pattern.matches(event)) continue;
      increment(this.stats.matchedByRule, route.ruleName);
      for (const target of route.targets) this.deliver(route, target, event);
    }
  }

  private deliver(route: Route, target: RouteTarget, event: EventBridgeEvent): void {
    let input: string;
    try {
      input = targetInput(target, event, route.ruleName);
    } catch (error) {
      this.recordDelivery(route, target, event, '', (error as Error).message);
      return;
    }
    const stream = target.firehose && this.firehoseStreams.get(target.firehose.streamLogicalId);
    if (stream) {
      stream.put(input);
      return;
    }
    if (target.kind === 'sqs' && target.queueName && this.options.queueSink) {
      const sending = this.sendToQueue(
        route,
        target,
        event,
        input,
        target.queueName,
        this.options.queueSink,
      ).finally(() => this.pendingDeliveries.delete(sending));
      this.pendingDeliveries.add(sending);
      return;
    }
    this.recordDelivery(route, target, event, input);
  }

  /**
   * Runs one target send when fewer than {@link MAX_CONCURRENT_TARGET_SENDS} are in flight.
   * EventBridge delivers to targets on its own capacity, apart from PutEvents; in one local process
   * an unbounded burst of target sends (one per matched event) would starve the PutEvents answers
   * of the same process, so callers would time out and retry, and copies would appear that a
   * deployment does not make.
   */
  private async withSendSlot<T>(send: () => Promise<T>): Promise<T> {
    while (this.sendsInFlight >= MAX_CONCURRENT_TARGET_SENDS) {
      await new Promise<void>((resolve) => this.sendSlotWaiters.push(resolve));
    }
    this.sendsInFlight += 1;
    try {
      return await send();
    } finally {
      this.sendsInFlight -= 1;
      this.sendSlotWaiters.shift()?.();
    }
  }

  /**
   * EventBridge retries a failing target for up to 24 hours and then uses the target's dead-letter
   * queue; locally the retry window is short (`targetRetryWindowMs`) and ends at stop.
   */
  private async sendToQueue(
    route: Route,
    target: RouteTarget,
    event: EventBridgeEvent,
    input: string,
    queueName: string,
    sink: QueueSink,
  ): Promise<void> {
    const giveUpAt = Date.now() + (this.options.targetRetryWindowMs ?? 30_000);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.withSendSlot(() => sink.sendMessage(queueName, input));
        return;
      } catch (error) {
        if (this.stopping || Date.now() >= giveUpAt) {
          const reason = error instanceof Error ? error.message : String(error);
          await this.deadLetter(route, target, event, input, sink, reason);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  }

  private async deadLetter(
    route: Route,
    target: RouteTarget,
    event: EventBridgeEvent,
    input: string,
    sink: QueueSink,
    reason: string,
  ): Promise<void> {
    let outcome = 'no dead-letter queue';
    if (target.deadLetterQueueName) {
      try {
        const deadLetterQueue = target.deadLetterQueueName;
        await this.withSendSlot(() => sink.sendMessage(deadLetterQueue, input));
        outcome = `sent to dead-letter queue ${target.deadLetterQueueName}`;
      } catch (error) {
        outcome = `dead-letter queue failed too: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    this.recordDelivery(route, target, event, input, `${reason} (${outcome})`);
  }

  private recordDelivery(
    route: Route,
    target: RouteTarget,
    event: EventBridgeEvent,
    input: string,
    error?: string,
  ) {
    const delivery: Delivery = {
      ruleName: route.ruleName,
      targetId: target.id,
      targetKind: target.kind,
      ...(target.logicalId ? { targetLogicalId: target.logicalId } : {}),
      ...(target.resourceType ? { targetType: target.resourceType } : {}),
      input,
      eventId: event.id,
      deliveredAt: new Date().toISOString(),
      ...(error ? { error } : {}),
    };
    if (error) increment(this.stats.deliveriesFailedByRule, route.ruleName);
    keepBounded(this.deliveries, delivery, this.maxKept);
    this.deliveryLog?.write(`${JSON.stringify(delivery)}\n`);
  }
}

const REQUIRED_TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

function testEventPattern(input: Record<string, unknown>) {
  let event: unknown;
  try {
    event = typeof input.Event === 'string' ? parseEventJson(input.Event) : undefined;
  } catch {
    event = undefined;
  }
  const isEventObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  if (!isEventObject || REQUIRED_TEST_EVENT_FIELDS.some((field) => !(field in (event as object)))) {
    throw new AwsServiceError('ValidationException', 'Parameter Event is not valid.');
  }
  try {
    return { Result: compileEventPattern(input.EventPattern).matches(event) };
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new AwsServiceError('InvalidEventPatternException', error.message);
    }
    throw error;
  }
}

/** Appends, dropping the oldest tenth once the list is full (cheaper than one shift per item). */
function keepBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, Math.max(1, Math.ceil(max / 10)));
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function closeStream(stream: WriteStream | undefined): Promise<void> {
  return new Promise((resolve) => (stream ? stream.end(() => resolve()) : resolve()));
}
