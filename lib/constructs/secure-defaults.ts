/**
 * The secure and operational defaults of every bucket, queue, log group and rule-target retry
 * policy of the stack, in one place (as AWS Solutions Constructs keeps them in `core/lib/*-defaults.ts`).
 * The constructs build their resources through these helpers instead of repeating the settings,
 * and the helpers' props leave out what they fix, so a construct cannot weaken them by accident.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Every bucket: no public access, SSE-S3 encryption, TLS-only requests (a bucket policy), ACLs off
 * (the bucket owner owns every object), and kept when the stack is deleted: buckets hold the
 * record of what Braze sent and the logs of who read it.
 */
export const BUCKET_DEFAULTS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies s3.BucketProps;

/** How long S3 server access logs are kept. */
export const ACCESS_LOG_EXPIRATION = Duration.days(365);
/** How long an overwritten or deleted version stays: versioning guards against overwrites, not a second copy forever. */
export const NONCURRENT_VERSION_EXPIRATION = Duration.days(30);
/** When S3 removes the parts of a multipart upload that was never completed. */
export const ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER = Duration.days(7);

/** A bucket with {@link BUCKET_DEFAULTS}; `props` add versioning, lifecycle rules, access logs. */
export function secureBucket(
  scope: Construct,
  id: string,
  props: Omit<s3.BucketProps, keyof typeof BUCKET_DEFAULTS> = {},
): s3.Bucket {
  return new s3.Bucket(scope, id, { ...BUCKET_DEFAULTS, ...props });
}

/**
 * Every queue: SQS-managed encryption (EventBridge cannot write to queues encrypted with the
 * AWS-managed KMS key), TLS-only requests, and the longest retention SQS allows (14 days), so a
 * long outage does not expire acknowledged events.
 */
export const QUEUE_DEFAULTS = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.days(14),
} as const satisfies sqs.QueueProps;

/** A message received this many times without being deleted moves to the queue's DLQ. */
export const MAX_RECEIVE_COUNT = 5;

/** A queue with {@link QUEUE_DEFAULTS}; `props` add the visibility timeout and DLQ. */
export function secureQueue(
  scope: Construct,
  id: string,
  props: Omit<sqs.QueueProps, keyof typeof QUEUE_DEFAULTS> = {},
): sqs.Queue {
  return new sqs.Queue(scope, id, { ...QUEUE_DEFAULTS, ...props });
}

/**
 * A dead-letter queue (of a rule target, or of the spillover queue): {@link QUEUE_DEFAULTS}, and no
 * DLQ of its own (cdk-nag's SQS3 acknowledged: the stack alarms as soon as it holds a message).
 */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = secureQueue(scope, id);
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue; an alarm fires as soon as it holds a message.',
  });
  return queue;
}

/**
 * EventBridge's limits on a rule target's retry policy (`RetryPolicy`: `MaximumRetryAttempts`
 * 0–185, `MaximumEventAgeInSeconds` 60–86,400; EventBridge API reference).
 */
export const RULE_TARGET_RETRY_LIMITS = {
  maxRetryAttempts: 185,
  minEventAge: Duration.minutes(1),
  maxEventAge: Duration.hours(24),
} as const;

/** Every rule target retries as often and as long as EventBridge allows before the event goes to its DLQ. */
export const RULE_TARGET_RETRY_DEFAULTS = {
  retryAttempts: RULE_TARGET_RETRY_LIMITS.maxRetryAttempts,
  maxEventAge: RULE_TARGET_RETRY_LIMITS.maxEventAge,
} as const satisfies Required<Pick<targets.TargetBaseProps, 'retryAttempts' | 'maxEventAge'>>;

/**
 * A log group of the stack (function, API access, Firehose): the configured retention, deleted
 * with the stack (logs are for operating the stack; the archive is the record).
 */
export function logGroup(scope: Construct, id: string, retention: logs.RetentionDays): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
}
