import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { S3_PREFIX } from '#lambdas/shared/contract';
import { type EventRouting, TargetWithDeadLetterQueue } from './event-routing';
import { liveEventPattern } from './replay-archive';
import {
  ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER,
  ACCESS_LOG_EXPIRATION,
  deadLetterQueue,
  logGroup,
  NONCURRENT_VERSION_EXPIRATION,
  RULE_TARGET_RETRY_DEFAULTS,
  secureBucket,
} from './secure-defaults';

/**
 * Where Firehose writes each event: Hive-style partitions Athena can prune by type, day and hour.
 * The event type comes from the record itself (JQ metadata extraction), the time from the
 * moment Firehose received it.
 */
export const ARCHIVE_DATA_PREFIX = `${S3_PREFIX.archive}event_type=!{partitionKeyFromQuery:event_type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`;
export const ARCHIVE_ERROR_PREFIX = `${S3_PREFIX.archiveErrors}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`;
/**
 * The JQ query that extracts the partition key from each record (the Braze event): jq 1.6 `@uri`
 * of `event_type`, so untrusted text can never add `/` segments or `..` to a key. For every Braze
 * type the value is the type itself (contract in `lambdas/shared/archive-partition.ts`); the
 * receiver quarantines types whose encoded value would exceed 244 bytes.
 */
export const EVENT_TYPE_PARTITION_QUERY = '(.event_type|@uri)';

export interface ArchiveProps {
  readonly routing: EventRouting;
  /** Days before objects move to Standard-IA. */
  readonly transitionDays: number;
  /** Days before objects move to Glacier Instant Retrieval. */
  readonly glacierDays: number;
  /** Days before objects are deleted; never when undefined. */
  readonly expiryDays?: number;
  readonly logRetention: logs.RetentionDays;
  /** Called with the archive rule's DLQ so the stack can alarm on it. */
  readonly onDeadLetterQueue?: (queue: sqs.IQueue, owner: string) => void;
}

/**
 * The S3 archive: a rule matching every event from the receiver feeds Data Firehose, which writes
 * the Braze events (the EventBridge `detail`, one JSON object per line, gzip) partitioned by
 * event type, day and hour. Quarantined and claim-checked events live in the same bucket under
 * their own prefixes.
 */
export class Archive extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);

    this.accessLogsBucket = secureBucket(this, 'AccessLogs', {
      lifecycleRules: [{ expiration: ACCESS_LOG_EXPIRATION }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the archive; logging it would log its own log writes.',
    });

    // Retained with the stack (the secure defaults): the archive is the record of everything Braze sent.
    this.bucket = secureBucket(this, 'Bucket', {
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          id: 'archive-storage-classes',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.transitionDays),
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.glacierDays),
            },
          ],
          ...(props.expiryDays === undefined ? {} : { expiration: Duration.days(props.expiryDays) }),
          noncurrentVersionExpiration: NONCURRENT_VERSION_EXPIRATION,
          abortIncompleteMultipartUploadAfter: ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER,
        },
      ],
    });

    const firehoseLogs = logGroup(this, 'FirehoseLogs', props.logRetention);

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(this.bucket, {
        dataOutputPrefix: ARCHIVE_DATA_PREFIX,
        errorOutputPrefix: ARCHIVE_ERROR_PREFIX,
        compression: firehose.Compression.GZIP,
        // Dynamic partitioning requires a buffer of at least 64 MB; the interval bounds the delay.
        bufferingSize: Size.mebibytes(64),
        bufferingInterval: Duration.seconds(300),
        dynamicPartitioning: { enabled: true, retryDuration: Duration.seconds(300) },
        processors: [
          firehose.MetadataExtractionProcessor.jq16({ event_type: EVENT_TYPE_PARTITION_QUERY }),
          // One Braze event per line, so Athena's JSON SerDe reads each object as a row.
          new firehose.AppendDelimiterToRecordProcessor(),
        ],
        loggingConfig: new firehose.EnableLogging(firehoseLogs),
      }),
    });

    // Firehose's S3 destination needs these bucket-level reads and object writes (AWS's documented
    // policy for S3 destinations); the CDK grant scopes them to this bucket and its objects.
    const bucketObjects = `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
    for (const finding of [
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      bucketObjects,
    ]) {
      Validations.of(this.deliveryStream).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'Data Firehose S3 destination permissions, granted by the CDK on the archive bucket only.',
      });
    }

    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        "The Firehose construct always adds a mapping of Firehose's CIDR blocks, used only by destinations " +
        'that need an IP allow-list (Redshift, Splunk); an S3 destination does not reference it.',
    });

    this.deadLetterQueue = deadLetterQueue(this, 'RuleDeadLetterQueue');
    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.routing.bus,
      description: 'Every Braze Currents event, archived to S3 through Data Firehose',
      eventPattern: { source: [props.routing.eventSource] },
    });
    // Each Braze event is archived once: replays (native, or `npm run replay` from this archive)
    // are left out. CDK's EventPattern type cannot express `replay-name` or `$or`.
    (this.rule.node.defaultChild as events.CfnRule).addPropertyOverride(
      'EventPattern',
      liveEventPattern(props.routing.eventSource),
    );
    this.rule.addTarget(
      new TargetWithDeadLetterQueue(
        // Only the Braze event (the detail) is archived, not the EventBridge envelope around it.
        new targets.FirehoseDeliveryStream(this.deliveryStream, {
          message: events.RuleTargetInput.fromEventPath('$.detail'),
        }),
        { deadLetterQueue: this.deadLetterQueue, ...RULE_TARGET_RETRY_DEFAULTS },
      ),
    );
    props.onDeadLetterQueue?.(this.deadLetterQueue, 'archive rule');
  }

  /** Lets a function write quarantined and claim-checked objects, under those prefixes only. */
  grantWriteSideObjects(grantee: iam.IGrantable): void {
    // The acknowledgements go on the role, which holds the policy the findings are about.
    const principal = Construct.isConstruct(grantee.grantPrincipal) ? grantee.grantPrincipal : this;
    const bucketArn = `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    for (const prefix of [S3_PREFIX.quarantine, S3_PREFIX.claimCheck]) {
      this.bucket.grantPut(grantee, `${prefix}*`);
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
        reason: `Objects get unique keys under ${prefix}; the grant is limited to that prefix of the archive bucket.`,
      });
    }
    Validations.of(principal).acknowledge({
      id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
      reason:
        'Lets the S3 client abort its own multipart uploads of large objects under the granted prefixes.',
    });
  }

  /** Age (seconds) of the oldest record not yet delivered to S3. */
  metricDataFreshness(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.deliveryStream.metric('DeliveryToS3.DataFreshness', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
