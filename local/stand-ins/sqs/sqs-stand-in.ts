/**
 * A local SQS that real SDK v3 clients (`@aws-sdk/client-sqs`, AWS JSON 1.0 protocol,
 * `X-Amz-Target: AmazonSQS.<Op>`) talk to over HTTP, and older clients too: the same operations
 * answer the Query (XML) protocol (see query-protocol.ts).
 *
 * Own code, not a package: no maintained npm SQS server exists, and ElasticMQ (the usual local
 * SQS) needs a JVM jar download, which this project's offline machines cannot do.
 *
 * Standard queues only (no FIFO). Messages persist under `<dataDir>/sqs/` when a data directory
 * is given, so spilled events survive a restart of local mode.
 */
import { join } from 'node:path';
import { type AwsJsonOperation, AwsJsonServer, AwsServiceError } from '../aws-json-server';
import { type MessageAttributeValue, messageSize } from './message-md5';
import { sqsQueryProtocol } from './query-protocol';
import { QUEUE_ATTRIBUTE_DEFAULTS, Queue, type RedrivePolicy, type StoredMessage } from './queue';
import { QueueFiles } from './queue-files';

export interface SqsStandInOptions {
  /** When set, queues are kept in `<dataDir>/sqs/*.json` and reloaded on start. */
  dataDir?: string;
  region?: string;
  account?: string;
  /** Queues to create on start (kept if they already exist on disk). */
  queues?: ReadonlyArray<{ name: string; attributes?: Record<string, string> }>;
  port?: number;
  /** Clock, for tests of visibility timeouts; default `Date.now`. */
  now?: () => number;
}

/** SQS's current message size limit (raised from 256 KiB to 1 MiB in 2025). */
export const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_BATCH_ENTRIES = 10;
const MAX_WAIT_SECONDS = 20;

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export class SqsStandIn {
  private readonly queues = new Map<string, Queue>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly longPolls = new Map<string, number>();
  private readonly server: AwsJsonServer;
  private readonly files: QueueFiles | undefined;
  private readonly now: () => number;
  readonly region: string;
  readonly account: string;
  private stopped = false;
  /**
   * Fault injection: while true, SendMessage and SendMessageBatch answer HTTP 500
   * `InternalFailure` (every other operation keeps working, so the queue can still be drained).
   */
  failSends = false;
  /** Sends refused by {@link failSends} so far, so a test can wait until a sender has met the fault. */
  sendsRefused = 0;

  constructor(private readonly options: SqsStandInOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.now = options.now ?? Date.now;
    this.files = options.dataDir ? new QueueFiles(join(options.dataDir, 'sqs')) : undefined;
    this.server = new AwsJsonServer({
      targetPrefix: 'AmazonSQS',
      contentType: 'application/x-amz-json-1.0',
      errorTypePrefix: 'com.amazonaws.sqs#',
      operations: this.operations(),
      // The Query (XML) protocol too, for AWS CLI and SDK versions from before late 2023.
      alternateProtocol: sqsQueryProtocol,
      beforeOperation: (operation) => {
        if (this.failSends && (operation === 'SendMessage' || operation === 'SendMessageBatch')) {
          this.sendsRefused += 1;
          throw new AwsServiceError(
            'InternalFailure',
            'Injected fault: sends are failing',
            500,
            'InternalFailure',
          );
        }
      },
    });
  }

  async start(): Promise<{ url: string }> {
    this.stopped = false;
    for (const state of this.files?.load() ?? []) this.queues.set(state.name, new Queue(state));
    const started = await this.server.start(this.options.port ?? 0);
    for (const { name, attributes } of this.options.queues ?? []) {
      if (!this.queues.has(name)) this.createQueue(name, attributes ?? {});
    }
    return started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake();
    await this.server.stop();
    this.files?.flush();
  }

  get url(): string {
    return this.server.url;
  }

  queueUrl(name: string): string {
    return `${this.server.url}/${this.account}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Creates a queue from code (e.g. for a rule target); returns its URL. */
  ensureQueue(name: string, attributes: Record<string, string> = {}): string {
    if (!this.queues.has(name)) this.createQueue(name, attributes);
    return this.queueUrl(name);
  }

  counts(name: string): QueueCounts {
    return this.requireQueue(name).counts(this.now());
  }

  /**
   * ReceiveMessage calls on the queue that found nothing and are waiting (long polling,
   * `WaitTimeSeconds` > 0) right now, so a test can send only once a receive is really waiting.
   */
  waitingReceives(name: string): number {
    return this.longPolls.get(name) ?? 0;
  }

  /** Every message body in the queue, visible or not, without receiving them. */
  peekBodies(name: string): string[] {
    return this.requireQueue(name).state.messages.map((message) => message.body);
  }

  /** Puts a message on a queue from code (the EventBridge stand-in delivering to an SQS target). */
  enqueue(name: string, body: string): string {
    const queue = this.requireQueue(name);
    const message = queue.send(body, undefined, undefined, this.now());
    this.changed(queue);
    return message.messageId;
  }

  private createQueue(name: string, attributes: Record<string, string>): Queue {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
        400,
        'InvalidParameterValue',
      );
    }
    const queue = new Queue({
      name,
      createdTimestamp: this.now(),
      attributes: { ...attributes },
      messages: [],
    });
    this.queues.set(name, queue);
    this.changed(queue);
    return queue;
  }

  private requireQueue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) {
      throw new AwsServiceError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        400,
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
    return queue;
  }

  /** Any host works: only the queue name (last path segment) identifies the queue. */
  private queueFromUrl(input: Record<string, unknown>): Queue {
    const url = requireString(input, 'QueueUrl');
    return this.requireQueue(url.replace(/\/+$/, '').split('/').pop() ?? '');
  }

  private changed(queue: Queue): void {
    this.files?.changed(queue.name, () => (this.queues.get(queue.name) === queue ? queue.state : undefined));
    for (const wake of this.waiters.get(queue.name) ?? []) wake();
  }

  private moveToDeadLetter = (source: Queue) => (message: StoredMessage, policy: RedrivePolicy) => {
    const deadLetterQueue = this.queues.get(policy.deadLetterQueueName);
    // SQS keeps a message whose dead-letter queue is gone; so does the stand-in (never lose data).
    if (!deadLetterQueue) {
      source.state.messages.push(message);
      return;
    }
    deadLetterQueue.adopt(message, this.now());
    this.changed(deadLetterQueue);
    // The source queue's file must drop the message too, or a restart would hold it twice.
    this.changed(source);
  };

  private async receive(input: Record<string, unknown>) {
    const queue = this.queueFromUrl(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibilityTimeout = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
    const waitSeconds =
      optionalInteger(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ??
      queue.numericAttribute('ReceiveMessageWaitTimeSeconds');
    const deadline = this.now() + waitSeconds * 1000;
    let received = queue.receive(max, visibilityTimeout, this.now(), this.moveToDeadLetter(queue));
    if (received.length === 0 && deadline > this.now()) {
      this.longPolls.set(queue.name, this.waitingReceives(queue.name) + 1);
      try {
        while (received.length === 0 && !this.stopped && this.queues.get(queue.name) === queue) {
          const remaining = deadline - this.now();
          if (remaining <= 0) break;
          await this.waitForChange(
            queue.name,
            Math.min(remaining, queue.nextVisibleIn(this.now()) ?? remaining),
          );
          received = queue.receive(max, visibilityTimeout, this.now(), this.moveToDeadLetter(queue));
        }
      } finally {
        const waiting = this.waitingReceives(queue.name) - 1;
        if (waiting > 0) this.longPolls.set(queue.name, waiting);
        else this.longPolls.delete(queue.name);
      }
    }
    if (received.length > 0) this.changed(queue);
    if (received.length === 0) return {};
    const systemNames = [
      ...stringList(input.AttributeNames),
      ...stringList(input.MessageSystemAttributeNames),
    ];
    const attributeNames = stringList(input.MessageAttributeNames);
    return { Messages: received.map((message) => toReceivedMessage(message, systemNames, attributeNames)) };
  }

  private waitForChange(queueName: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiters.get(queueName) ?? new Set();
      this.waiters.set(queueName, waiters);
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, timeoutMs));
      waiters.add(wake);
    });
  }

  private sendOne(queue: Queue, entry: Record<string, unknown>) {
    const body = requireString(entry, 'MessageBody');
    const attributes = entry.MessageAttributes as Record<string, MessageAttributeValue> | undefined;
    if (body.length === 0) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        'The request must contain the parameter MessageBody.',
        400,
        'MissingParameter',
      );
    }
    if (hasCharactersSqsRefuses(body)) {
      throw new AwsServiceError(
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
        400,
        'InvalidMessageContents',
      );
    }
    const limit = Math.min(SQS_MAX_MESSAGE_BYTES, queue.numericAttribute('MaximumMessageSize'));
    if (messageSize(body, attributes) > limit) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
        400,
        'InvalidParameterValue',
      );
    }
    const message = queue.send(body, attributes, optionalInteger(entry, 'DelaySeconds', 0, 900), this.now());
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    };
  }

  private operations(): Record<string, AwsJsonOperation> {
    return {
      CreateQueue: (input) => {
        const name = requireString(input, 'QueueName');
        const attributes = (input.Attributes as Record<string, string> | undefined) ?? {};
        const existing = this.queues.get(name);
        if (existing) {
          const differs = Object.entries(attributes).some(
            ([key, value]) => existing.attribute(key) !== value,
          );
          if (differs) {
            throw new AwsServiceError(
              'QueueNameExists',
              'A queue already exists with the same name and a different value for attribute(s)',
              400,
              'QueueAlreadyExists',
            );
          }
          return { QueueUrl: this.queueUrl(name) };
        }
        this.createQueue(name, attributes);
        return { QueueUrl: this.queueUrl(name) };
      },
      GetQueueUrl: (input) => ({
        QueueUrl: this.queueUrl(this.requireQueue(requireString(input, 'QueueName')).name),
      }),
      ListQueues: (input) => {
        const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
        const names = this.queueNames().filter((name) => name.startsWith(prefix));
        return names.length === 0 ? {} : { QueueUrls: names.map((name) => this.queueUrl(name)) };
      },
      DeleteQueue: (input) => {
        const queue = this.queueFromUrl(input);
        this.queues.delete(queue.name);
        this.files?.remove(queue.name);
        for (const wake of this.waiters.get(queue.name) ?? []) wake();
        return {};
      },
      GetQueueAttributes: (input) => {
        const queue = this.queueFromUrl(input);
        const requested = stringList(input.AttributeNames);
        const all = this.queueAttributes(queue);
        const wanted = requested.includes('All') ? Object.keys(all) : requested;
        return {
          Attributes: Object.fromEntries(
            wanted.filter((name) => name in all).map((name) => [name, all[name]]),
          ),
        };
      },
      SetQueueAttributes: (input) => {
        const queue = this.queueFromUrl(input);
        Object.assign(queue.state.attributes, (input.Attributes as Record<string, string> | undefined) ?? {});
        this.changed(queue);
        return {};
      },
      SendMessage: (input) => {
        const queue = this.queueFromUrl(input);
        const result = this.sendOne(queue, input);
        this.changed(queue);
        return result;
      },
      SendMessageBatch: (input) => {
        const queue = this.queueFromUrl(input);
        const entries = batchEntries(input);
        const totalBytes = entries.reduce(
          (sum, entry) =>
            sum +
            messageSize(
              typeof entry.MessageBody === 'string' ? entry.MessageBody : '',
              entry.MessageAttributes as Record<string, MessageAttributeValue> | undefined,
            ),
          0,
        );
        if (totalBytes > SQS_MAX_MESSAGE_BYTES) {
          throw new AwsServiceError(
            'BatchRequestTooLong',
            `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
            400,
            'AWS.SimpleQueueService.BatchRequestTooLong',
          );
        }
        const result = this.eachBatchEntry(entries, (entry) => this.sendOne(queue, entry));
        this.changed(queue);
        return result;
      },
      ReceiveMessage: (input) => this.receive(input),
      DeleteMessage: (input) => {
        const queue = this.queueFromUrl(input);
        this.deleteOne(queue, input);
        this.changed(queue);
        return {};
      },
      DeleteMessageBatch: (input) => {
        const queue = this.queueFromUrl(input);
        const result = this.eachBatchEntry(batchEntries(input), (entry) => {
          this.deleteOne(queue, entry);
          return {};
        });
        this.changed(queue);
        return result;
      },
      ChangeMessageVisibility: (input) => {
        const queue = this.queueFromUrl(input);
        this.changeVisibilityOne(queue, input);
        this.changed(queue);
        return {};
      },
      ChangeMessageVisibilityBatch: (input) => {
        const queue = this.queueFromUrl(input);
        const result = this.eachBatchEntry(batchEntries(input), (entry) => {
          this.changeVisibilityOne(queue, entry);
          return {};
        });
        this.changed(queue);
        return result;
      },
      PurgeQueue: (input) => {
        const queue = this.queueFromUrl(input);
        queue.purge();
        this.changed(queue);
        return {};
      },
    };
  }

  private queueAttributes(queue: Queue): Record<string, string> {
    const counts = queue.counts(this.now());
    return {
      ...QUEUE_ATTRIBUTE_DEFAULTS,
      ...queue.state.attributes,
      QueueArn: this.queueArn(queue.name),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.state.createdTimestamp / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.state.createdTimestamp / 1000)),
    };
  }

  private deleteOne(queue: Queue, entry: Record<string, unknown>): void {
    const handle = requireString(entry, 'ReceiptHandle');
    if (!queue.delete(handle)) {
      throw new AwsServiceError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
        400,
        'ReceiptHandleIsInvalid',
      );
    }
  }

  private changeVisibilityOne(queue: Queue, entry: Record<string, unknown>): void {
    const handle = requireString(entry, 'ReceiptHandle');
    const timeout = optionalInteger(entry, 'VisibilityTimeout', 0, 43_200) ?? 0;
    const outcome = queue.changeVisibility(handle, timeout, this.now());
    if (outcome === 'invalid') {
      throw new AwsServiceError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
        400,
        'ReceiptHandleIsInvalid',
      );
    }
    if (outcome === 'not-in-flight') {
      throw new AwsServiceError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        400,
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
  }

  /** Runs one operation per batch entry; an entry's error becomes a `Failed` item, as SQS does. */
  private eachBatchEntry(
    entries: Record<string, unknown>[],
    run: (entry: Record<string, unknown>) => object,
  ) {
    const successful: object[] = [];
    const failed: object[] = [];
    for (const entry of entries) {
      try {
        successful.push({ Id: entry.Id, ...run(entry) });
      } catch (error) {
        if (!(error instanceof AwsServiceError)) throw error;
        failed.push({
          Id: entry.Id,
          SenderFault: error.statusCode < 500,
          Code: error.queryErrorCode ?? error.code,
          Message: error.message,
        });
      }
    }
    return { Successful: successful, Failed: failed };
  }
}

function toReceivedMessage(message: StoredMessage, systemNames: string[], attributeNames: string[]) {
  const system: Record<string, string> = {
    SenderId: 'AIDALOCALSTANDIN',
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
  };
  const wantedSystem = systemNames.includes('All')
    ? Object.keys(system)
    : systemNames.filter((n) => n in system);
  const wantedAttributes = Object.entries(message.messageAttributes ?? {}).filter(([name]) =>
    attributeNames.some(
      (wanted) =>
        wanted === 'All' ||
        wanted === '.*' ||
        wanted === name ||
        (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
    ),
  );
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(wantedSystem.length > 0
      ? { Attributes: Object.fromEntries(wantedSystem.map((name) => [name, system[name]])) }
      : {}),
    ...(wantedAttributes.length > 0
      ? {
          MessageAttributes: Object.fromEntries(wantedAttributes),
          MD5OfMessageAttributes: message.md5OfMessageAttributes,
        }
      : {}),
  };
}

/** SQS accepts #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF, nothing else. */
function hasCharactersSqsRefuses(body: string): boolean {
  for (const character of body) {
    const code = character.codePointAt(0) ?? 0;
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000;
    if (!allowed) return true;
  }
  return false;
}

function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string') {
    throw new AwsServiceError(
      'InvalidParameterValue',
      `The request must contain the parameter ${name}.`,
      400,
      'MissingParameter',
    );
  }
  return value;
}

function optionalInteger(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AwsServiceError(
      'InvalidParameterValue',
      `Value ${String(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
      400,
      'InvalidParameterValue',
    );
  }
  return value;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function batchEntries(input: Record<string, unknown>): Record<string, unknown>[] {
  const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
  if (entries.length === 0) {
    throw new AwsServiceError(
      'EmptyBatchRequest',
      'There should be at least one entry in the request.',
      400,
      'AWS.SimpleQueueService.EmptyBatchRequest',
    );
  }
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new AwsServiceError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      400,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    );
  }
  const ids = new Set(entries.map((entry) => entry.Id));
  if (ids.size !== entries.length) {
    throw new AwsServiceError(
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
      400,
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    );
  }
  return entries;
}
