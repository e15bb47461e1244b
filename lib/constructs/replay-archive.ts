import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { RESOURCE_KEY_VALUE_SEPARATOR } from '#lambdas/shared/contract';

/**
 * What marks an event re-published by `npm run replay`: its only `Resources` item is
 * `replay:<replay name>`. The receiver can never publish such an item, whatever the connector URL:
 * each of its items is a query parameter `key=value` and holds {@link RESOURCE_KEY_VALUE_SEPARATOR}
 * (`?replay=x` gives `replay=x`, `?replay:x` gives `replay:x=`), and a mark never does. (The old mark
 * `replay=<name>` could be produced by a connector URL with `?replay=…`, whose live events the
 * archive rules then left out.)
 */
export const REPLAY_MARK_PREFIX = 'replay:';

/** A replay name: what `npm run replay --name` takes. */
export const REPLAY_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The replay mark for `name`: 1 to 64 of `A-Z a-z 0-9 . _ -` (what `npm run replay --name` takes),
 * so it never holds `=`.
 * @throws Error when the name is not of that form
 */
export function replayMark(name: string): string {
  if (!REPLAY_NAME.test(name)) {
    throw new Error(`a replay name is 1 to 64 letters, digits, ".", "_" or "-", not "${name.slice(0, 80)}"`);
  }
  return `${REPLAY_MARK_PREFIX}${name}`;
}

/**
 * A `Resources` item the receiver publishes, as an EventBridge `wildcard`: any text holding `=`.
 * No replay mark matches it.
 */
export const LIVE_RESOURCE_WILDCARD = `*${RESOURCE_KEY_VALUE_SEPARATOR}*`;

/**
 * The pattern of live events from the receiver: its `source`, minus replays of both kinds.
 * - A native replay (`aws events start-replay`) carries the top-level field `replay-name`
 *   (EventBridge user guide, "Archiving and replaying events": rules that must not see replayed
 *   events add `"replay-name": [{"exists": false}]`).
 * - A replay from the S3 archive (`npm run replay`) carries `Resources: ["replay:<name>"]` and
 *   nothing else there. A live event has no `resources` (`[]`: `exists: false` matches an empty
 *   array) or only items holding `=` (the `wildcard`). An array field matches when ANY item does,
 *   which is why the mark must be the replay's only item, and why no live event can be left out:
 *   every one of its items holds `=`.
 * @returns an EventBridge event pattern (JSON object)
 */
export function liveEventPattern(eventSource: string): Record<string, unknown> {
  return {
    source: [eventSource],
    'replay-name': [{ exists: false }],
    $or: [{ resources: [{ exists: false }] }, { resources: [{ wildcard: LIVE_RESOURCE_WILDCARD }] }],
  };
}

export interface ReplayArchiveProps {
  readonly bus: events.IEventBus;
  readonly eventSource: string;
  /** Days EventBridge keeps archived events (1 to 36,500; the context `replayArchiveDays`). */
  readonly retentionDays: number;
}

/**
 * An EventBridge archive of the bus's live events, for `aws events start-replay` (native replay,
 * limited to the retention). Replays are not archived again: the archive uses
 * {@link liveEventPattern}. The S3 archive keeps everything for any age; `npm run replay` reads it.
 */
export class ReplayArchive extends Construct {
  public readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: ReplayArchiveProps) {
    super(scope, id);
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: props.bus,
      description: `Braze Currents events of the last ${props.retentionDays} days, for aws events start-replay`,
      retention: Duration.days(props.retentionDays),
      // Replaced below by the full pattern, which CDK's EventPattern type cannot express.
      eventPattern: { source: [props.eventSource] },
    });
    (this.archive.node.defaultChild as events.CfnArchive).addPropertyOverride(
      'EventPattern',
      liveEventPattern(props.eventSource),
    );
  }
}
