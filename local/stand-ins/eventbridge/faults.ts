/**
 * Runtime fault injection for the EventBridge stand-in: what the end-to-end tests use to prove
 * the receiver's retries and spillover. Random choices come from a seedable generator so a
 * failing run can be replayed.
 */
import { seededRandom } from '#local/event-factory';
import { AwsServiceError } from '../aws-json-server';

/** `internal`: HTTP 500 `InternalException`; `throttling`: HTTP 400 `ThrottlingException`. */
export type CallFailureKind = 'internal' | 'throttling';

export interface CallFailurePlan {
  kind?: CallFailureKind;
  /** Fail exactly the next N calls. */
  count?: number;
  /** Fail this share (0..1) of calls, until cleared. */
  share?: number;
}

export class EventBridgeFaults {
  private random: () => number;
  private throttledEntryShare = 0;
  private failingCallsLeft = 0;
  private failingCallShare = 0;
  private callFailureKind: CallFailureKind = 'internal';

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  seed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /** Each entry of a PutEvents call fails with `ThrottlingException` with this probability. */
  throttleEntries(share: number): void {
    this.throttledEntryShare = clampShare(share);
  }

  failCalls(plan: CallFailurePlan): void {
    this.callFailureKind = plan.kind ?? 'internal';
    this.failingCallsLeft = plan.count ?? 0;
    this.failingCallShare = clampShare(plan.share ?? 0);
  }

  clear(): void {
    this.throttledEntryShare = 0;
    this.failingCallsLeft = 0;
    this.failingCallShare = 0;
  }

  get active(): boolean {
    return this.throttledEntryShare > 0 || this.failingCallsLeft > 0 || this.failingCallShare > 0;
  }

  /** Throws the injected call failure for this call, if any. */
  checkCall(): void {
    let fail = false;
    if (this.failingCallsLeft > 0) {
      this.failingCallsLeft -= 1;
      fail = true;
    } else if (this.failingCallShare > 0 && this.random() < this.failingCallShare) {
      fail = true;
    }
    if (!fail) return;
    throw this.callFailureKind === 'throttling'
      ? new AwsServiceError('ThrottlingException', 'Rate exceeded', 400)
      : new AwsServiceError('InternalException', 'Internal service error (injected fault)', 500);
  }

  shouldThrottleEntry(): boolean {
    return this.throttledEntryShare > 0 && this.random() < this.throttledEntryShare;
  }
}

function clampShare(share: number): number {
  if (!Number.isFinite(share)) return 0;
  return Math.min(1, Math.max(0, share));
}
