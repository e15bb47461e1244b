/**
 * The event contract of currents-bridge: what the receiver publishes and what the stack's rules,
 * alarms and dashboard refer to. Both the Lambda handlers and the CDK code import this module,
 * so a rule or an alarm can never drift from what is published.
 */
import { MAX_BODY_CAP_BYTES, MAX_DECOMPRESSED_CAP_BYTES } from './body-cap';

/** `Source` of every EventBridge entry the receiver publishes, unless configured otherwise. */
export const DEFAULT_EVENT_SOURCE = 'braze.currents';

/** The one route of the ingest API. */
export const RECEIVER_PATH = '/currents';

/** The header Braze sends with every request; its value today is `1`. */
export const BRAZE_VERSION_HEADER = 'braze-currents-version';
export const SUPPORTED_BRAZE_VERSION = '1';

/**
 * What joins a query parameter's key and value in the receiver's `Resources` items (`app_group=brand-a`):
 * every item the receiver publishes holds it, whatever the connector URL (an empty value included:
 * `?flag` → `flag=`). The replay mark of `npm run replay` never does, so the archive rules tell a
 * live event (no `Resources`, or one holding `=`) from a replay without any URL being able to pass
 * for one (lib/constructs/replay-archive.ts).
 */
export const RESOURCE_KEY_VALUE_SEPARATOR = '=';

/** Environment variables the functions read (set by the stack, or by local mode). */
export const ENV = {
  /** Name of the EventBridge bus to publish to. */
  eventBusName: 'EVENT_BUS_NAME',
  /** `Source` of the published entries; default {@link DEFAULT_EVENT_SOURCE}. */
  eventSource: 'EVENT_SOURCE',
  /** Secrets Manager secret id (name or ARN) holding the active bearer tokens. */
  tokenSecretId: 'TOKEN_SECRET_ID',
  /** Comma-separated active tokens, for local use when no secret is configured. */
  tokens: 'CURRENTS_TOKENS',
  /** How long (seconds) the tokens read from Secrets Manager are cached. */
  tokenCacheSeconds: 'TOKEN_CACHE_SECONDS',
  /** Comma-separated CIDRs; when set, requests from other source IPs get 403. */
  allowedSourceCidrs: 'ALLOWED_SOURCE_CIDRS',
  /** URL of the spillover SQS queue. */
  spilloverQueueUrl: 'SPILLOVER_QUEUE_URL',
  /** Bucket for quarantined events and claim-checked (oversized) events. */
  archiveBucket: 'ARCHIVE_BUCKET',
  /** Largest request body accepted, in bytes (as received, before decompression). */
  maxBodyBytes: 'MAX_BODY_BYTES',
  /** Largest body accepted after gzip decompression, in bytes (at most `MAX_DECOMPRESSED_CAP_BYTES`). */
  maxDecompressedBytes: 'MAX_DECOMPRESSED_BYTES',
  /** Entries larger than this are claim-checked to S3; at most the EventBridge entry limit. */
  claimCheckThresholdBytes: 'CLAIM_CHECK_THRESHOLD_BYTES',
  /** Time budget (ms) for retrying failed PutEvents entries before they spill over. */
  publishBudgetMs: 'PUBLISH_BUDGET_MS',
  /** Comma-separated event types the catalog lacks that the user acknowledged (`extraEventTypes`). */
  extraEventTypes: 'EXTRA_EVENT_TYPES',
  /** JSON `{"<event_type>":["user.<f>","properties.<f>"]}` of acknowledged fields (`extraEventFields`). */
  extraEventFields: 'EXTRA_EVENT_FIELDS',
} as const;

/** Defaults for the tunables above. */
export const DEFAULTS = {
  /**
   * The largest body that, when it is valid JSON, always fits Lambda's 6 MB invocation once API Gateway has escaped it
   * (derived in `body-cap.ts`): 3,014,656 bytes. A 413 only makes Braze split the batch.
   */
  maxBodyBytes: MAX_BODY_CAP_BYTES,
  /**
   * The most a gzip body may inflate to, and the maximum (derived in `body-cap.ts`): 3,014,656
   * bytes, no more work than the largest plain body. A 413 only makes Braze split the batch.
   */
  maxDecompressedBytes: MAX_DECOMPRESSED_CAP_BYTES,
  /**
   * EventBridge accepts entries up to 1 MB, but several targets (SNS, Step Functions, API
   * destinations) still take at most 256 KB, so larger events travel by claim check.
   */
  claimCheckThresholdBytes: 256 * 1024,
  publishBudgetMs: 8_000,
  tokenCacheSeconds: 60,
} as const;

/** Hard limits of the PutEvents API (with their sources in `aws-limits.ts`). */
export { PUT_EVENTS_LIMITS } from './aws-limits';

/** PutEvents per-entry error codes worth retrying; any other code is final. */
export const RETRYABLE_ENTRY_ERRORS: readonly string[] = ['ThrottlingException', 'InternalFailure'];

/** Key prefixes in the archive bucket. */
export const S3_PREFIX = {
  /** The Firehose archive, `events/event_type=<t>/dt=YYYY-MM-DD/hour=HH/`. */
  archive: 'events/',
  /** Records Firehose could not partition or deliver. */
  archiveErrors: 'archive-errors/',
  /** Bodies and events that could not be published as they are, with their batch context. */
  quarantine: 'quarantine/',
  /** Events too large for an EventBridge entry; a pointer event is published instead. */
  claimCheck: 'claim-check/',
} as const;

/**
 * The detail of a pointer event, published in place of an event too large for EventBridge.
 * It keeps the Braze `event_type`, `id` and `time`, so rules route it like the original.
 */
export interface ClaimCheckDetail {
  event_type: string;
  id?: unknown;
  time?: unknown;
  currents_bridge_claim_check: {
    bucket: string;
    key: string;
    bytes: number;
  };
}
export const CLAIM_CHECK_FIELD = 'currents_bridge_claim_check';

/** CloudWatch namespace and the `service` dimension of every metric (Powertools EMF). */
export const METRICS_NAMESPACE = 'CurrentsBridge';
export const SERVICE_NAME = 'currents-bridge';

/** Metric names (EMF), published with the single dimension `service` = {@link SERVICE_NAME}. */
export const METRIC = {
  /** Requests that reached the envelope stage (authenticated, decoded). */
  batches: 'Batches',
  eventsReceived: 'EventsReceived',
  eventsPublished: 'EventsPublished',
  eventsSpilled: 'EventsSpilled',
  eventsQuarantined: 'EventsQuarantined',
  eventsClaimChecked: 'EventsClaimChecked',
  /** Request bodies rejected with 400 (not JSON, no events array). */
  bodiesRejected: 'BodiesRejected',
  /** Requests rejected with 413. */
  bodiesTooLarge: 'BodiesTooLarge',
  /** 401: no Authorization header or not the Bearer scheme. */
  authMissing: 'AuthFailure401',
  /** 403: a token that is not active, or a source IP outside the allow-list. */
  authRejected: 'AuthFailure403',
  /** Events whose `event_type` is not in the project's catalog (still published). */
  unknownEventTypes: 'UnknownEventTypes',
  /**
   * Top-level fields of `user` or `properties` the catalog does not list for a known event type,
   * one per event and field (the event is still published).
   */
  unknownFields: 'UnknownFields',
  /** `Braze-Currents-Version` other than 1 (still accepted). */
  unsupportedVersion: 'UnsupportedVersion',
  /** Requests answered 503: EventBridge and the spillover queue, S3, or the token source failed. */
  batchesFailed: 'BatchesFailed',
  /** Milliseconds spent publishing one batch (all PutEvents calls and retries). */
  publishLatency: 'PublishLatency',
  /** Seconds between the Braze `time` of an event and its receipt. */
  eventLag: 'EventLag',
  /** Redrive: events re-published from the spillover queue. */
  eventsRedriven: 'EventsRedriven',
  /** Redrive: spillover messages that failed again and return to the queue. */
  redriveFailures: 'RedriveFailures',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];
