import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { formatExtraEventFields, formatExtraEventTypes } from '#lambdas/shared/catalog-extras';
import { DEFAULTS, ENV, S3_PREFIX } from '#lambdas/shared/contract';
import { type BridgeConfig, catalogExtras, defaultRegistryName } from './config';
import { Alarms } from './constructs/alarms';
import { Archive } from './constructs/archive';
import { BridgeFunction } from './constructs/bridge-function';
import { Dashboard } from './constructs/dashboard';
import { EventRouting } from './constructs/event-routing';
import { IngestApi } from './constructs/ingest-api';
import { ArchiveQuery, defaultDatabaseName } from './constructs/query';
import { EVENTS_TABLE } from './constructs/query-schema';
import { ReplayArchive } from './constructs/replay-archive';
import { SchemaRegistry } from './constructs/schema-registry';
import { Spillover } from './constructs/spillover';
import { Tokens } from './constructs/tokens';

export interface CurrentsBridgeStackProps extends StackProps {
  /** Validated settings (see `lib/config.ts`). */
  readonly config: BridgeConfig;
}

/** The receiver's own deadline; API Gateway's integration timeout (29 s) stays above it. */
export const RECEIVER_TIMEOUT = Duration.seconds(20);

/**
 * What a Braze customer deploys: the ingest API and receiver, the token secret, the bus with its
 * consumers, the S3 archive, the spillover queue with its redrive, alarms and a dashboard.
 */
export class CurrentsBridgeStack extends Stack {
  public readonly config: BridgeConfig;
  public readonly alarms: Alarms;
  public readonly tokens: Tokens;
  public readonly routing: EventRouting;
  public readonly archive: Archive;
  /** The EventBridge archive for native replays, when `replayArchiveDays` is set. */
  public readonly replayArchive?: ReplayArchive;
  public readonly query: ArchiveQuery;
  public readonly spillover: Spillover;
  public readonly receiver: BridgeFunction;
  public readonly ingest: IngestApi;
  public readonly schemaRegistry: SchemaRegistry;
  // Assigned last: parts built before it are charted once it exists.
  public readonly dashboard!: Dashboard;
  private readonly deadLetterQueues: { queue: sqs.IQueue; owner: string }[] = [];

  constructor(scope: Construct, id: string, props: CurrentsBridgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const logRetention = config.logRetentionDays;

    this.alarms = new Alarms(this, 'Alarms', { config });
    this.tokens = new Tokens(this, 'Tokens');
    this.routing = new EventRouting(this, 'Routing', {
      eventSource: config.eventSource,
      onConsumer: (consumer) => {
        this.watchDeadLetterQueue(consumer.deadLetterQueue, `consumer ${consumer.id}`);
        this.dashboard?.addConsumer(consumer);
      },
    });
    this.archive = new Archive(this, 'Archive', {
      routing: this.routing,
      transitionDays: config.archiveTransitionDays,
      glacierDays: config.archiveGlacierDays,
      ...(config.archiveExpiryDays === undefined ? {} : { expiryDays: config.archiveExpiryDays }),
      logRetention,
      onDeadLetterQueue: (queue, owner) => this.watchDeadLetterQueue(queue, owner),
    });

    if (config.replayArchiveDays !== undefined) {
      this.replayArchive = new ReplayArchive(this, 'ReplayArchive', {
        bus: this.routing.bus,
        eventSource: config.eventSource,
        retentionDays: config.replayArchiveDays,
      });
      new CfnOutput(this, 'ReplayArchiveArn', {
        description: 'EventBridge archive of the bus, for aws events start-replay (see docs/replay.md)',
        value: this.replayArchive.archive.archiveArn,
      });
    }
    this.query = new ArchiveQuery(this, 'Query', {
      archiveBucket: this.archive.bucket,
      accessLogsBucket: this.archive.accessLogsBucket,
      extraEventTypes: config.extraEventTypes,
      databaseName: config.queryDatabaseName ?? defaultDatabaseName(this.stackName),
      workgroupName: config.queryWorkgroupName ?? this.stackName,
      bytesScannedCutoffPerQuery: config.queryBytesScannedCutoff,
      resultsExpiryDays: config.queryResultsExpiryDays,
    });

    const publishing = {
      [ENV.eventBusName]: this.routing.bus.eventBusName,
      [ENV.eventSource]: config.eventSource,
      [ENV.archiveBucket]: this.archive.bucket.bucketName,
    };
    this.spillover = new Spillover(this, 'Spillover', { redriveEnvironment: publishing, logRetention });
    this.watchDeadLetterQueue(this.spillover.deadLetterQueue, 'spillover queue');

    this.receiver = new BridgeFunction(this, 'Receiver', {
      entry: 'lambdas/receiver/index.ts',
      description: 'currents-bridge receiver: Braze Currents batches to EventBridge',
      timeout: RECEIVER_TIMEOUT,
      logRetention,
      environment: {
        ...publishing,
        [ENV.tokenSecretId]: this.tokens.secret.secretArn,
        [ENV.spilloverQueueUrl]: this.spillover.queue.queueUrl,
        [ENV.maxBodyBytes]: String(config.maxBodyBytes),
        ...(config.allowedSourceCidrs.length > 0
          ? { [ENV.allowedSourceCidrs]: config.allowedSourceCidrs.join(',') }
          : {}),
        // Leaves the rest of the receiver's deadline for the spillover and S3 writes.
        [ENV.publishBudgetMs]: String(DEFAULTS.publishBudgetMs),
        // Acknowledged catalog extras, for the drift check; absent when there are none.
        ...(config.extraEventTypes.length > 0
          ? { [ENV.extraEventTypes]: formatExtraEventTypes(config.extraEventTypes) }
          : {}),
        ...(Object.keys(config.extraEventFields).length > 0
          ? { [ENV.extraEventFields]: formatExtraEventFields(config.extraEventFields) }
          : {}),
      },
    });
    if (DEFAULTS.publishBudgetMs * 2 > RECEIVER_TIMEOUT.toMilliseconds()) {
      throw new Error(
        'the publish budget must stay under half the receiver timeout, or spillover has no time',
      );
    }

    this.ingest = new IngestApi(this, 'Ingest', {
      receiver: this.receiver.function,
      throttlingRateLimit: config.throttlingRateLimit,
      throttlingBurstLimit: config.throttlingBurstLimit,
      logRetention,
    });

    this.schemaRegistry = new SchemaRegistry(this, 'SchemaRegistry', {
      registryName: config.schemaRegistryName ?? defaultRegistryName(this.stackName),
      eventSource: config.eventSource,
      bus: this.routing.bus,
      extras: catalogExtras(config),
      discovery: config.schemaDiscovery,
    });

    this.grantAccess();
    this.alarms.watchStack(this);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      ingest: this.ingest,
      receiver: this.receiver,
      routing: this.routing,
      archive: this.archive,
      spillover: this.spillover,
    });
    for (const { queue, owner } of this.deadLetterQueues) {
      this.dashboard.addDeadLetterQueue(queue, owner);
    }

    new CfnOutput(this, 'ConnectorUrl', {
      description: 'Paste into Braze: Currents > Custom HTTP connector > Endpoint',
      value: this.ingest.connectorUrl,
    });
    new CfnOutput(this, 'TokenSecretName', {
      description: 'Secrets Manager secret holding the bearer token(s) for Braze',
      value: this.tokens.secret.secretName,
    });
    new CfnOutput(this, 'ReadTokenCommand', {
      description: 'Prints the active bearer token; paste it into Braze as the connector token',
      value: `aws secretsmanager get-secret-value --secret-id ${this.tokens.secret.secretName} --region ${this.region} --query SecretString --output text`,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'Name of the bus carrying every Braze Currents event; attach your rules here',
      value: this.routing.bus.eventBusName,
      exportName: `${this.stackName}-EventBusName`,
    });
    new CfnOutput(this, 'EventBusArn', {
      description: 'ARN of the bus carrying every Braze Currents event',
      value: this.routing.bus.eventBusArn,
      exportName: `${this.stackName}-EventBusArn`,
    });
    new CfnOutput(this, 'ArchiveBucketName', {
      description: `S3 bucket of the archive (${S3_PREFIX.archive}), quarantine (${S3_PREFIX.quarantine}) and claim checks (${S3_PREFIX.claimCheck})`,
      value: this.archive.bucket.bucketName,
    });
    new CfnOutput(this, 'QueryDatabaseName', {
      description: `Glue database of the archive's table ${EVENTS_TABLE} (Athena)`,
      value: this.query.database.databaseName,
    });
    new CfnOutput(this, 'QueryTableName', {
      description: 'Athena table over the archive (partitions event_type, dt, hour)',
      value: this.query.table.tableName,
    });
    new CfnOutput(this, 'QueryWorkgroupName', {
      description: 'Athena workgroup to query the archive in (results encrypted, bytes scanned capped)',
      value: this.query.workgroup.ref,
    });
    new CfnOutput(this, 'QueryCommand', {
      description: 'Starts a first Athena query (events per type, today); prints its QueryExecutionId',
      value: this.query.startQueryCommand(
        `SELECT event_type, count(*) AS events FROM ${EVENTS_TABLE} WHERE dt = CAST(current_date AS varchar) GROUP BY 1 ORDER BY 2 DESC`,
      ),
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of the pipeline',
      value: this.dashboard.dashboard.dashboardName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description:
        'SNS topic of the alarms that page (data stuck or at risk); subscribe your on-call tooling here',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'NoticeTopicArn', {
      description:
        'SNS topic of the alarms that inform (nothing lost; look within a day, e.g. SchemaDrift); subscribe e-mail or chat',
      value: this.alarms.noticeTopic.topicArn,
    });
    new CfnOutput(this, 'ReceiverLogGroupName', {
      description: "The receiver's log group (schema drift lines: filter ispresent(driftKind))",
      value: this.receiver.logGroup.logGroupName,
    });
    new CfnOutput(this, 'SchemaRegistryName', {
      description: 'EventBridge schema registry of the Braze events (aws schemas get-code-binding-source)',
      value: this.schemaRegistry.registryName,
    });
  }

  private watchDeadLetterQueue(queue: sqs.IQueue, owner: string): void {
    this.alarms.watchDeadLetterQueue({ queue, owner });
    this.deadLetterQueues.push({ queue, owner });
    // Consumers are added after construction (buildApp's `configure`), when the dashboard exists.
    this.dashboard?.addDeadLetterQueue(queue, owner);
  }

  /** Every permission is a grant on a named resource; no statement reaches `*`. */
  private grantAccess(): void {
    for (const publisher of [this.receiver, this.spillover.redrive]) {
      this.routing.bus.grantPutEventsTo(publisher.function);
      this.archive.grantWriteSideObjects(publisher.function);
    }
    this.tokens.grantRead(this.receiver.function);
    this.spillover.queue.grantSendMessages(this.receiver.function);
  }
}
