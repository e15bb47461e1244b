import { Duration, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { S3_PREFIX } from '#lambdas/shared/contract';
import {
  type ColumnSpec,
  EVENTS_TABLE,
  eventColumns,
  JSON_SERDE,
  NAMED_QUERIES,
  PARTITION_COLUMNS,
  PROJECTION_FIRST_DAY,
  projectedEventTypes,
} from './query-schema';
import { secureBucket } from './secure-defaults';

export interface ArchiveQueryProps {
  /** The archive bucket Firehose writes `events/event_type=<t>/dt=YYYY-MM-DD/hour=HH/` into. */
  readonly archiveBucket: s3.IBucket;
  /** Where the results bucket writes its S3 server access logs (the archive's log bucket). */
  readonly accessLogsBucket: s3.IBucket;
  /** Event types the catalog does not know that the table projects too (`extraEventTypes`). */
  readonly extraEventTypes: readonly string[];
  /** Glue database name (lower case, digits, `_`). */
  readonly databaseName: string;
  /** Athena workgroup name. */
  readonly workgroupName: string;
  /** Bytes one query may scan before Athena cancels it; at least 10,000,000 (Athena's minimum). */
  readonly bytesScannedCutoffPerQuery: number;
  /** Days query results are kept before S3 deletes them. */
  readonly resultsExpiryDays: number;
}

/** `CurrentsBridge` → `currents_bridge`: a Glue/Athena database name from a stack name. */
export function defaultDatabaseName(stackName: string): string {
  return stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
}

const PRIMITIVES: Record<string, glue.Type> = {
  string: glue.Schema.STRING,
  bigint: glue.Schema.BIG_INT,
  double: glue.Schema.DOUBLE,
  boolean: glue.Schema.BOOLEAN,
};

/** Splits `a:string,b:struct<c:int,d:int>` at the commas that are not nested. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '<') depth++;
    else if (char === '>') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * A Hive DDL type of `query-schema.ts` (`string`, `array<string>`, `struct<a:string,b:bigint>`)
 * as the L2 schema type, so the table's columns come from the one definition local mode reads too.
 * @throws Error for a type the schema module does not use
 */
export function glueColumnType(type: string): glue.Type {
  const primitive = PRIMITIVES[type];
  if (primitive) return primitive;
  const array = /^array<(.+)>$/.exec(type);
  if (array?.[1]) return glue.Schema.array(glueColumnType(array[1]));
  const struct = /^struct<(.+)>$/.exec(type);
  if (struct?.[1]) {
    return glue.Schema.struct(
      topLevelParts(struct[1]).map((field) => {
        const colon = field.indexOf(':');
        return { name: field.slice(0, colon), type: glueColumnType(field.slice(colon + 1)) };
      }),
    );
  }
  throw new Error(`no Glue type for the Hive type ${type}`);
}

/**
 * The archive answers SQL in Athena: a Glue database and the table `events` over
 * `s3://<archive>/events/` (OpenX JSON SerDe, partition projection on `event_type`, `dt`, `hour`),
 * an Athena workgroup whose settings are enforced (encrypted results in their own bucket, expiring;
 * a cap on bytes scanned per query; CloudWatch metrics) and the named queries of `query-schema.ts`.
 *
 * Glue uses the aws-cdk-lib L2 constructs (`Database`, `S3Table`); their one gap, SerDe
 * parameters, is filled on the generated `AWS::Glue::Table`. Athena has no L2 construct in
 * aws-cdk-lib, so the workgroup and named queries are the L1 resources.
 */
export class ArchiveQuery extends Construct {
  public readonly database: glue.Database;
  public readonly table: glue.S3Table;
  public readonly workgroup: athena.CfnWorkGroup;
  public readonly resultsBucket: s3.Bucket;
  public readonly namedQueries: athena.CfnNamedQuery[] = [];

  constructor(scope: Construct, id: string, props: ArchiveQueryProps) {
    super(scope, id);

    this.database = new glue.Database(this, 'Database', {
      databaseName: props.databaseName,
      description: 'currents-bridge: the Braze Currents archive, queryable with Athena',
    });

    const toColumn = (spec: ColumnSpec): glue.Column => ({
      name: spec.name,
      type: glueColumnType(spec.type),
      comment: spec.comment,
    });

    this.table = new glue.S3Table(this, 'EventsTable', {
      database: this.database,
      tableName: EVENTS_TABLE,
      description:
        'Every archived Braze Currents event. dt/hour: when the archive received it (UTC), not Braze time.',
      storage: glue.S3TableStorage.fromBucket(props.archiveBucket),
      s3Prefix: S3_PREFIX.archive,
      dataFormat: glue.DataFormat.JSON,
      compressed: true,
      // SSE-S3: S3 decrypts for Athena; `true` would mean client-side (CSE-KMS) encrypted objects.
      hasEncryptedData: false,
      columns: eventColumns().map(toColumn),
      partitionKeys: PARTITION_COLUMNS.map(toColumn),
      partitionProjection: {
        event_type: glue.PartitionProjectionConfiguration.enum({
          values: projectedEventTypes(props.extraEventTypes),
        }),
        dt: glue.PartitionProjectionConfiguration.date({
          min: PROJECTION_FIRST_DAY,
          max: 'NOW',
          format: 'yyyy-MM-dd',
          step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
        }),
        hour: glue.PartitionProjectionConfiguration.integer({ min: 0, max: 23, digits: 2 }),
      },
      parameters: {
        // The archive's own layout, spelled out, so the table does not rely on Hive's default.
        'storage.location.template': `s3://${props.archiveBucket.bucketName}/${S3_PREFIX.archive}event_type=\${event_type}/dt=\${dt}/hour=\${hour}/`,
      },
    });
    const cfnTable = this.table.node.defaultChild as glue.CfnTable;
    cfnTable.addPropertyOverride('TableInput.StorageDescriptor.SerdeInfo.Parameters', {
      ...JSON_SERDE.parameters,
    });

    // Retained (the secure defaults): results are copies of what the archive holds and expire
    // anyway, but CloudFormation cannot delete a non-empty bucket.
    this.resultsBucket = secureBucket(this, 'ResultsBucket', {
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.resultsExpiryDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: props.workgroupName,
      description: `currents-bridge: queries over the archive (database ${props.databaseName}, table ${EVENTS_TABLE})`,
      state: 'ENABLED',
      // Lets `cdk destroy` delete the workgroup with its saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: Stack.of(this).account,
        },
      },
    });

    for (const query of NAMED_QUERIES) {
      const named = new athena.CfnNamedQuery(this, `Named-${query.name}`, {
        name: query.name,
        description: query.description,
        database: this.database.databaseName,
        workGroup: this.workgroup.ref,
        queryString: query.sql,
      });
      named.node.addDependency(this.table);
      this.namedQueries.push(named);
    }
  }

  /**
   * The AWS CLI command that starts `sql` in the workgroup; its output is the query execution id
   * for `aws athena get-query-results --query-execution-id <id>`.
   */
  startQueryCommand(sql: string): string {
    const stack = Stack.of(this);
    return [
      'aws athena start-query-execution',
      `--work-group ${this.workgroup.ref}`,
      `--query-execution-context Database=${this.database.databaseName}`,
      `--query-string "${sql.replace(/"/g, '\\"')}"`,
      `--region ${stack.region}`,
      '--query QueryExecutionId --output text',
    ].join(' ');
  }
}
