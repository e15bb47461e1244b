import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventTypePartitionValue } from '#lambdas/shared/archive-partition';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { defaultDatabaseName, glueColumnType } from '#lib/constructs/query';
import { NAMED_QUERIES } from '#lib/constructs/query-schema';
import { resourcesOfType, type Synthesized, synthesize } from './synth';

/** Template properties as the assertions walk them (CloudFormation JSON, loosely typed on purpose). */
// biome-ignore lint/suspicious/noExplicitAny: template JSON is walked by path in assertions
type Json = Record<string, any>;

function onlyResource(synthesized: Synthesized, type: string): Json {
  const resources = Object.values(resourcesOfType(synthesized.template, type));
  expect(resources).toHaveLength(1);
  return resources[0]?.Properties as Json;
}

function archiveBucketRef(synthesized: Synthesized) {
  return { Ref: synthesized.stack.getLogicalId(synthesized.stack.archive.bucket.node.defaultChild as never) };
}

describe('the archive as an Athena table', () => {
  let synthesized: Synthesized;
  let tableInput: Json;

  beforeAll(() => {
    synthesized = synthesize();
    tableInput = onlyResource(synthesized, 'AWS::Glue::Table').TableInput;
  });

  it('is the table `events` over s3://<archive bucket>/events/ in a database named after the stack', () => {
    const { template } = synthesized;

    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'currents_bridge' } });
    expect(tableInput.Name).toBe('events');
    expect(tableInput.TableType).toBe('EXTERNAL_TABLE');
    expect(tableInput.StorageDescriptor.Location).toEqual({
      'Fn::Join': ['', ['s3://', archiveBucketRef(synthesized), '/events/']],
    });
    expect(tableInput.Parameters['storage.location.template']).toEqual({
      'Fn::Join': [
        '',
        [
          's3://',
          archiveBucketRef(synthesized),
          `/events/event_type=\${event_type}/dt=\${dt}/hour=\${hour}/`,
        ],
      ],
    });
  });

  it('reads gzip JSON lines with the OpenX SerDe, keys case-sensitive, a malformed line as a NULL row', () => {
    const storage = tableInput.StorageDescriptor;

    expect(storage.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(storage.Compressed).toBe(true);
    expect(storage.SerdeInfo).toEqual({
      SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      Parameters: { 'case.insensitive': 'FALSE', 'ignore.malformed.json': 'TRUE', 'dots.in.keys': 'FALSE' },
    });
    // The archive is SSE-S3; `true` would make Athena expect client-side encrypted objects.
    expect(String(tableInput.Parameters.has_encrypted_data)).toBe('false');
  });

  it('has the columns id, time, user (every catalog user field), properties as text, the claim check', () => {
    const columns = tableInput.StorageDescriptor.Columns.map((column: { Name: string; Type: string }) => [
      column.Name,
      column.Type,
    ]);

    expect(columns).toEqual([
      ['id', 'string'],
      ['time', 'bigint'],
      ['user', 'struct<device_id:string,external_user_id:string,timezone:string,user_id:string>'],
      ['properties', 'string'],
      ['currents_bridge_claim_check', 'struct<bucket:string,key:string,bytes:bigint>'],
    ]);
  });

  it('is partitioned by event_type, dt and hour, projected: no crawler, no MSCK REPAIR', () => {
    const { template } = synthesized;
    const parameters = tableInput.Parameters;

    expect(
      tableInput.PartitionKeys.map((key: { Name: string; Type: string }) => `${key.Name} ${key.Type}`),
    ).toEqual(['event_type string', 'dt string', 'hour string']);
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.event_type.type': 'enum',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-01-01,NOW',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
    });
    const projected = parameters['projection.event_type.values'].split(',');
    expect(projected).toEqual(expect.arrayContaining([...BRAZE_EVENT_TYPES]));
    expect(new Set(projected).size).toBe(projected.length);
    expect(Object.keys(template.findResources('AWS::Glue::Crawler'))).toEqual([]);
  });

  it('projects the acknowledged extra event types too, as their partition values', () => {
    // Acknowledged types are made of A-Z a-z 0-9 . _ - (the settings refuse others), which the
    // partition encoding keeps as they are.
    const extra = ['users.messages.whatsapp.NewThing', 'users.messages.rcs.New_Thing-2'];
    const table = onlyResource(synthesize({ context: { extraEventTypes: extra } }), 'AWS::Glue::Table');
    const projected = table.TableInput.Parameters['projection.event_type.values'].split(',');

    expect(projected).toEqual(expect.arrayContaining(extra.map(eventTypePartitionValue)));
    expect(projected).toHaveLength(
      new Set([...projected.slice(0, -2), ...extra.map(eventTypePartitionValue)]).size,
    );
  });

  it('takes the database and workgroup names from context, so two stacks can share an account', () => {
    const other = synthesize({
      context: {
        stackName: 'BrazeEu-Prod',
        queryWorkgroupName: 'braze-eu',
        queryBytesScannedCutoff: '20000000',
      },
    });

    other.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'braze_eu_prod' } });
    other.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'braze-eu',
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 20_000_000 }),
    });
    synthesize({ context: { queryDatabaseName: 'braze_raw' } }).template.hasResourceProperties(
      'AWS::Glue::Database',
      { DatabaseInput: { Name: 'braze_raw' } },
    );
    expect(() => synthesize({ context: { queryBytesScannedCutoff: 1000 } })).toThrow(
      /queryBytesScannedCutoff/,
    );
    expect(() => synthesize({ context: { queryDatabaseName: 'Bad-Name' } })).toThrow(/queryDatabaseName/);
  });
});

describe('the Athena workgroup', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize();
  });

  it('enforces its settings: encrypted results in their own bucket, a byte cap, CloudWatch metrics', () => {
    const workgroup = onlyResource(synthesized, 'AWS::Athena::WorkGroup');
    const resultsBucket = synthesized.stack.getLogicalId(
      synthesized.stack.query.resultsBucket.node.defaultChild as never,
    );

    expect(workgroup.Name).toBe('CurrentsBridge');
    expect(workgroup.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
      ResultConfiguration: {
        EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: resultsBucket }, '/results/']] },
      },
    });
    expect(resultsBucket).not.toBe(archiveBucketRef(synthesized).Ref);
  });

  it('keeps results in an encrypted, private bucket that deletes them after the expiry', () => {
    const buckets = resourcesOfType(synthesized.template, 'AWS::S3::Bucket');
    const id = synthesized.stack.getLogicalId(
      synthesized.stack.query.resultsBucket.node.defaultChild as never,
    );
    const bucket = buckets[id]?.Properties as Json;

    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(bucket.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 7, Status: 'Enabled' }),
    ]);
    const shorter = synthesize({ context: { queryResultsExpiryDays: 2 } });
    shorter.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Id: 'expire-query-results', ExpirationInDays: 2 })],
      },
    });
  });

  it('saves every named query, on the table `events`, in the workgroup and its database', () => {
    const queries = Object.values(resourcesOfType(synthesized.template, 'AWS::Athena::NamedQuery')).map(
      (resource) => resource.Properties as Json,
    );
    const workgroupId = Object.keys(resourcesOfType(synthesized.template, 'AWS::Athena::WorkGroup'))[0];
    const databaseId = Object.keys(resourcesOfType(synthesized.template, 'AWS::Glue::Database'))[0];

    expect(queries.map((query) => query.Name).sort()).toEqual(
      NAMED_QUERIES.map((query) => query.name).sort(),
    );
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const query of queries) {
      expect(query.WorkGroup).toEqual({ Ref: workgroupId });
      expect(query.Database).toEqual({ Ref: databaseId });
      expect(query.QueryString).toMatch(/\bFROM events\b/);
      expect(query.QueryString).toBe(NAMED_QUERIES.find((named) => named.name === query.Name)?.sql);
    }
  });

  it('outputs the database, table, workgroup and the AWS CLI command that runs a query', () => {
    const outputs = synthesized.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const command = JSON.stringify(outputs.QueryCommand?.Value);

    expect(outputs.QueryTableName?.Value).toBeDefined();
    expect(JSON.stringify(outputs.QueryDatabaseName?.Value)).toMatch(/QueryDatabase/);
    expect(JSON.stringify(outputs.QueryWorkgroupName?.Value)).toMatch(/QueryWorkgroup/);
    expect(command).toMatch(/aws athena start-query-execution --work-group ".*QueryWorkgroup/);
    expect(command).toMatch(/--query-execution-context Database=".*QueryDatabase/);
    expect(command).toMatch(/--query-string .{0,4}SELECT .* FROM events /);
  });
});

describe('names and types', () => {
  it('derives a Glue database name from any stack name', () => {
    expect(defaultDatabaseName('CurrentsBridge')).toBe('currents_bridge');
    expect(defaultDatabaseName('braze-eu-2')).toBe('braze_eu_2');
    expect(defaultDatabaseName('ABTest')).toBe('abtest');
  });

  it('turns nested Hive types into Glue schema types and refuses unknown ones', () => {
    expect(glueColumnType('struct<a:string,b:struct<c:bigint,d:array<string>>>').inputString).toBe(
      'struct<a:string,b:struct<c:bigint,d:array<string>>>',
    );
    expect(() => glueColumnType('map<string,string>')).toThrow(/no Glue type/);
  });
});
