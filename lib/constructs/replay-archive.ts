import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/**
 * What marks an event re-published by `npm run replay`: one `Resources` entry
 * `replay=<replay name>`. The receiver never publishes it (its `Resources` are the connector URL's
 * `key=value` query parameters, and a Braze connector URL has no `replay` parameter).
 */
export const REPLAY_RESOURCE_PREFIX = 'replay=';

/**
 * The pattern of live events from the receiver: its `source`, minus replays of both kinds.
 * - A native replay (`aws events start-replay`) carries the top-level field `replay-name`
 *   (EventBridge user guide, "Archiving and replaying events": rules that must not see replayed
 *   events add `"replay-name": [{"exists": false}]`).
 * - A replay from the S3 archive (`npm run replay`) carries `Resources: ["replay=<name>"]`.
 *   `resources` is `[]` for most live events, and `exists: false` matches an empty array, so the
 *   `$or` keeps events with no resources and events whose resources are not replay marks.
 * @returns an EventBridge event pattern (JSON object)
 */
export function liveEventPattern(eventSource: string): Record<string, unknown> {
  return {
    source: [eventSource],
    'replay-name': [{ exists: false }],
    $or: [
      { resources: [{ exists: false }] },
      { resources: [{ 'anything-but': { prefix: REPLAY_RESOURCE_PREFIX } }] },
    ],
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
