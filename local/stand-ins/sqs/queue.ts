/**
 * One SQS standard queue in memory: visibility timeouts, delays, retention, receive counts and
 * the move to a dead-letter queue after `maxReceiveCount` receives. No I/O and no clock of its
 * own (every call takes `now`), so the stand-in decides persistence and waiting.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './message-md5';

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Epoch ms from which the message may be received (delay or visibility timeout). */
  visibleAt: number;
  /** The receipt handle of the latest receive, while the message is in flight. */
  receiptHandle?: string;
}

export interface StoredQueue {
  name: string;
  createdTimestamp: number;
  attributes: Record<string, string>;
  messages: StoredMessage[];
}

export const QUEUE_ATTRIBUTE_DEFAULTS: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '1048576',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
};

export interface RedrivePolicy {
  deadLetterQueueName: string;
  maxReceiveCount: number;
}

export class Queue {
  constructor(readonly state: StoredQueue) {}

  get name(): string {
    return this.state.name;
  }

  attribute(name: string): string | undefined {
    return this.state.attributes[name] ?? QUEUE_ATTRIBUTE_DEFAULTS[name];
  }

  numericAttribute(name: string): number {
    return Number(this.attribute(name) ?? 0);
  }

  redrivePolicy(): RedrivePolicy | undefined {
    const text = this.state.attributes.RedrivePolicy;
    if (!text) return undefined;
    const policy = JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    const deadLetterQueueName = policy.deadLetterTargetArn?.split(':').pop();
    if (!deadLetterQueueName) return undefined;
    return { deadLetterQueueName, maxReceiveCount: Number(policy.maxReceiveCount ?? 10) };
  }

  send(
    body: string,
    messageAttributes: Record<string, MessageAttributeValue> | undefined,
    delaySeconds: number | undefined,
    now: number,
  ): StoredMessage {
    const hasAttributes = messageAttributes !== undefined && Object.keys(messageAttributes).length > 0;
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      ...(hasAttributes
        ? { messageAttributes, md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) }
        : {}),
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + (delaySeconds ?? this.numericAttribute('DelaySeconds')) * 1000,
    };
    this.state.messages.push(message);
    return message;
  }

  /**
   * Takes up to `max` visible messages in order and hides them for `visibilityTimeoutSeconds`.
   * Messages already received `maxReceiveCount` times go to `moveToDeadLetter` instead.
   */
  receive(
    max: number,
    visibilityTimeoutSeconds: number | undefined,
    now: number,
    moveToDeadLetter: ((message: StoredMessage, policy: RedrivePolicy) => void) | undefined,
  ): StoredMessage[] {
    this.dropExpired(now);
    const policy = moveToDeadLetter ? this.redrivePolicy() : undefined;
    const timeout = visibilityTimeoutSeconds ?? this.numericAttribute('VisibilityTimeout');
    const received: StoredMessage[] = [];
    const movedToDeadLetter = new Set<StoredMessage>();
    for (const message of this.state.messages) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (policy && moveToDeadLetter && message.receiveCount >= policy.maxReceiveCount) {
        movedToDeadLetter.add(message);
        moveToDeadLetter(message, policy);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + timeout * 1000;
      message.receiptHandle = encodeReceiptHandle(this.name, message.messageId);
      received.push(message);
    }
    if (movedToDeadLetter.size > 0) {
      this.state.messages = this.state.messages.filter((message) => !movedToDeadLetter.has(message));
    }
    return received;
  }

  /** Accepts the message back from another queue (dead-lettering), visible at once. */
  adopt(message: StoredMessage, now: number): void {
    const { receiptHandle: _inFlightHandle, ...rest } = message;
    this.state.messages.push({ ...rest, visibleAt: now });
  }

  /** True when the handle was issued by this queue (the message may since have been deleted). */
  delete(receiptHandle: string): boolean {
    const messageId = this.messageIdOf(receiptHandle);
    if (messageId === undefined) return false;
    this.state.messages = this.state.messages.filter((message) => message.messageId !== messageId);
    return true;
  }

  /** Returns 'ok', 'invalid' (not a handle of this queue) or 'not-in-flight'. */
  changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number, now: number) {
    const messageId = this.messageIdOf(receiptHandle);
    if (messageId === undefined) return 'invalid' as const;
    const message = this.state.messages.find((candidate) => candidate.messageId === messageId);
    if (!message || message.visibleAt <= now || message.receiveCount === 0) return 'not-in-flight' as const;
    message.visibleAt = now + visibilityTimeoutSeconds * 1000;
    return 'ok' as const;
  }

  purge(): void {
    this.state.messages = [];
  }

  counts(now: number): { visible: number; inFlight: number; delayed: number } {
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.state.messages) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Milliseconds until the next hidden message becomes visible, or undefined if none is hidden. */
  nextVisibleIn(now: number): number | undefined {
    let soonest: number | undefined;
    for (const message of this.state.messages) {
      if (message.visibleAt > now && (soonest === undefined || message.visibleAt < soonest)) {
        soonest = message.visibleAt;
      }
    }
    return soonest === undefined ? undefined : soonest - now;
  }

  private dropExpired(now: number): void {
    const oldestKept = now - this.numericAttribute('MessageRetentionPeriod') * 1000;
    if (this.state.messages.some((message) => message.sentTimestamp < oldestKept)) {
      this.state.messages = this.state.messages.filter((message) => message.sentTimestamp >= oldestKept);
    }
  }

  private messageIdOf(receiptHandle: string): string | undefined {
    const decoded = decodeReceiptHandle(receiptHandle);
    return decoded?.queueName === this.name ? decoded.messageId : undefined;
  }
}

/**
 * Receipt handles carry the queue name and message id, so they stay meaningful across a restart
 * of the stand-in without a table of issued handles.
 */
function encodeReceiptHandle(queueName: string, messageId: string): string {
  return Buffer.from(`${queueName}\n${messageId}\n${randomBytes(8).toString('hex')}`).toString('base64url');
}

function decodeReceiptHandle(handle: string): { queueName: string; messageId: string } | undefined {
  const [queueName, messageId, nonce] = Buffer.from(handle, 'base64url').toString('utf8').split('\n');
  if (!queueName || !messageId || !nonce) return undefined;
  return { queueName, messageId };
}
