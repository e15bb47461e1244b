/**
 * Reads the routing of a synthesized CloudFormation template (the JSON `cdk synth` writes): the
 * event buses, every `AWS::Events::Rule` with its pattern and targets, and what each target is
 * (a Firehose delivery stream with its S3 destination, an SQS queue, a Lambda function, ...), so
 * local routing is exactly what deploys. Pure: no AWS, no I/O.
 */

export interface CloudFormationTemplate {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> } | undefined>;
}

export type TargetKind = 'firehose' | 'sqs' | 'lambda' | 'other';

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface FirehoseDestination {
  /** Logical id of the delivery stream. */
  streamLogicalId: string;
  streamName: string;
  bucketName: string;
  prefix: string;
  errorOutputPrefix: string;
  /** `{key: .path}` pairs from the MetadataExtraction processor's JQ query. */
  partitionKeyQueries: Record<string, string>;
  /** The AppendDelimiterToRecord processor's delimiter, or '' when there is none. */
  recordDelimiter: string;
  compression: 'GZIP' | 'UNCOMPRESSED';
  /** Suffix of object names (`FileExtension`), default `.gz` with GZIP. */
  fileExtension: string;
  bufferingIntervalSeconds: number;
  bufferingSizeBytes: number;
}

export interface RouteTarget {
  id: string;
  kind: TargetKind;
  /** Logical id of the target resource when its Arn refers to one. */
  logicalId?: string;
  resourceType?: string;
  inputPath?: string;
  input?: string;
  inputTransformer?: InputTransformer;
  /** For `sqs`: the stand-in queue's name (the queue's logical id). */
  queueName?: string;
  /** The target's `DeadLetterConfig` queue, by its stand-in name. */
  deadLetterQueueName?: string;
  firehose?: FirehoseDestination;
}

export interface Route {
  ruleLogicalId: string;
  ruleName: string;
  eventBusName: string;
  eventPattern: unknown;
  /**
   * The pattern as the template wrote it, when it was a string: compiled from the text, so a number
   * such as `1234567890123456789` keeps its digits (`JSON.parse` would round it).
   */
  eventPatternText?: string;
  enabled: boolean;
  targets: RouteTarget[];
}

export interface LocalQueueDefinition {
  logicalId: string;
  /** Name of the queue in the SQS stand-in: the logical id. */
  name: string;
  /** Queue attributes, with the dead-letter target translated to the local queue's name. */
  attributes: Record<string, string>;
  /** Logical id of the dead-letter queue, when the queue has one. */
  deadLetterQueueLogicalId?: string;
}

export interface LoadedRoutes {
  /** Logical id → bus name, for every `AWS::Events::EventBus`. */
  buses: Record<string, string>;
  rules: Route[];
  /** Logical id → bucket name for every `AWS::S3::Bucket` (BucketName, or the logical id lowercased). */
  buckets: Record<string, string>;
  queues: LocalQueueDefinition[];
  /** What could not be understood and was skipped, for the user to see. */
  warnings: string[];
}

type Resources = NonNullable<CloudFormationTemplate['Resources']>;

export function loadRoutes(template: CloudFormationTemplate): LoadedRoutes {
  const resources: Resources = template.Resources ?? {};
  const warnings: string[] = [];
  const buses: Record<string, string> = {};
  const buckets: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource?.Type === 'AWS::Events::EventBus')
      buses[logicalId] = busName(logicalId, resource.Properties);
    if (resource?.Type === 'AWS::S3::Bucket') buckets[logicalId] = bucketName(logicalId, resource.Properties);
  }
  const context: Context = { resources, buses, buckets, warnings };
  const rules: Route[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource?.Type !== 'AWS::Events::Rule') continue;
    const route = toRoute(logicalId, resource.Properties ?? {}, context);
    if (route) rules.push(route);
  }
  const queues = Object.entries(resources)
    .filter(([, resource]) => resource?.Type === 'AWS::SQS::Queue')
    .map(([logicalId, resource]) => toQueue(logicalId, resource?.Properties ?? {}, resources));
  return { buses, rules, buckets, queues, warnings };
}

interface Context {
  resources: Resources;
  buses: Record<string, string>;
  buckets: Record<string, string>;
  warnings: string[];
}

function busName(logicalId: string, properties: Record<string, unknown> | undefined): string {
  return typeof properties?.Name === 'string' ? properties.Name : logicalId;
}

/** S3 bucket names are lower case; a generated name is unknown before deploy, so use the logical id. */
function bucketName(logicalId: string, properties: Record<string, unknown> | undefined): string {
  if (typeof properties?.BucketName === 'string') return properties.BucketName;
  return logicalId.toLowerCase().slice(0, 63);
}

/** The logical id an `Arn`/name property points at: `{Ref: id}` or `{"Fn::GetAtt": [id, attr]}`. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const reference = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof reference.Ref === 'string') return reference.Ref;
  const getAtt = reference['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function toRoute(
  logicalId: string,
  properties: Record<string, unknown>,
  context: Context,
): Route | undefined {
  const ruleName = typeof properties.Name === 'string' ? properties.Name : logicalId;
  if (properties.EventPattern === undefined) {
    context.warnings.push(`Rule ${ruleName}: no EventPattern (scheduled rules are not run locally); skipped`);
    return undefined;
  }
  let eventPattern: unknown = properties.EventPattern;
  const eventPatternText = typeof eventPattern === 'string' ? eventPattern : undefined;
  if (typeof eventPattern === 'string') {
    try {
      eventPattern = JSON.parse(eventPattern);
    } catch {
      context.warnings.push(`Rule ${ruleName}: EventPattern is not JSON; skipped`);
      return undefined;
    }
  }
  const targets = Array.isArray(properties.Targets) ? (properties.Targets as Record<string, unknown>[]) : [];
  return {
    ruleLogicalId: logicalId,
    ruleName,
    eventBusName: ruleBusName(properties.EventBusName, context),
    eventPattern,
    ...(eventPatternText !== undefined ? { eventPatternText } : {}),
    enabled: properties.State === undefined || properties.State === 'ENABLED',
    targets: targets.map((target) => toTarget(target, context)),
  };
}

function ruleBusName(value: unknown, context: Context): string {
  if (value === undefined) return 'default';
  if (typeof value === 'string') return value;
  const logicalId = referencedLogicalId(value);
  return logicalId && context.buses[logicalId] ? context.buses[logicalId] : String(logicalId ?? 'default');
}

function toTarget(target: Record<string, unknown>, context: Context): RouteTarget {
  const logicalId = referencedLogicalId(target.Arn);
  const resourceType = logicalId ? context.resources[logicalId]?.Type : undefined;
  const deadLetterLogicalId = referencedLogicalId(
    (target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn,
  );
  const deadLetterIsQueue =
    deadLetterLogicalId !== undefined && context.resources[deadLetterLogicalId]?.Type === 'AWS::SQS::Queue';
  const base: RouteTarget = {
    id: typeof target.Id === 'string' ? target.Id : String(logicalId ?? 'target'),
    kind: 'other',
    ...(logicalId ? { logicalId } : {}),
    ...(resourceType ? { resourceType } : {}),
    ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
    ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
    ...(isInputTransformer(target.InputTransformer) ? { inputTransformer: target.InputTransformer } : {}),
    ...(deadLetterIsQueue ? { deadLetterQueueName: localQueueName(deadLetterLogicalId) } : {}),
  };
  if (resourceType === 'AWS::SQS::Queue' && logicalId)
    return { ...base, kind: 'sqs', queueName: localQueueName(logicalId) };
  if (resourceType === 'AWS::Lambda::Function') return { ...base, kind: 'lambda' };
  if (resourceType === 'AWS::KinesisFirehose::DeliveryStream' && logicalId) {
    const firehose = toFirehoseDestination(logicalId, context);
    if (firehose) return { ...base, kind: 'firehose', firehose };
  }
  return base;
}

function isInputTransformer(value: unknown): value is InputTransformer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as InputTransformer).InputTemplate === 'string'
  );
}

function toFirehoseDestination(logicalId: string, context: Context): FirehoseDestination | undefined {
  const properties = context.resources[logicalId]?.Properties ?? {};
  const destination = (properties.ExtendedS3DestinationConfiguration ??
    properties.S3DestinationConfiguration) as Record<string, unknown> | undefined;
  const bucketLogicalId = referencedLogicalId(destination?.BucketARN);
  const bucket = bucketLogicalId ? context.buckets[bucketLogicalId] : arnBucketName(destination?.BucketARN);
  if (!destination || !bucket) {
    context.warnings.push(
      `Delivery stream ${logicalId}: no S3 destination bucket found; its rule targets are recorded only`,
    );
    return undefined;
  }
  const processors = processorList(destination.ProcessingConfiguration);
  const hints = (destination.BufferingHints ?? {}) as { IntervalInSeconds?: number; SizeInMBs?: number };
  const compression = destination.CompressionFormat === 'GZIP' ? 'GZIP' : 'UNCOMPRESSED';
  const query = processorParameter(processors, 'MetadataExtraction', 'MetadataExtractionQuery');
  let partitionKeyQueries: Record<string, string> = {};
  try {
    partitionKeyQueries = query ? parseMetadataExtractionQuery(query) : {};
  } catch (error) {
    context.warnings.push(
      `Delivery stream ${logicalId}: ${(error as Error).message}; its rule targets are recorded only`,
    );
    return undefined;
  }
  return {
    streamLogicalId: logicalId,
    streamName: typeof properties.DeliveryStreamName === 'string' ? properties.DeliveryStreamName : logicalId,
    bucketName: bucket,
    prefix: typeof destination.Prefix === 'string' ? destination.Prefix : '',
    errorOutputPrefix: typeof destination.ErrorOutputPrefix === 'string' ? destination.ErrorOutputPrefix : '',
    partitionKeyQueries,
    recordDelimiter: recordDelimiter(processors),
    compression,
    fileExtension:
      typeof destination.FileExtension === 'string'
        ? destination.FileExtension
        : compression === 'GZIP'
          ? '.gz'
          : '',
    bufferingIntervalSeconds: hints.IntervalInSeconds ?? 300,
    bufferingSizeBytes: (hints.SizeInMBs ?? 5) * 1024 * 1024,
  };
}

function arnBucketName(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith('arn:aws:s3:::')
    ? value.slice('arn:aws:s3:::'.length)
    : undefined;
}

interface Processor {
  Type?: string;
  Parameters?: { ParameterName?: string; ParameterValue?: string }[];
}

function processorList(configuration: unknown): Processor[] {
  const config = configuration as { Enabled?: boolean; Processors?: Processor[] } | undefined;
  return config?.Enabled === false ? [] : (config?.Processors ?? []);
}

function processorParameter(processors: Processor[], type: string, name: string): string | undefined {
  const processor = processors.find((candidate) => candidate.Type === type);
  if (!processor) return undefined;
  return processor.Parameters?.find((parameter) => parameter.ParameterName === name)?.ParameterValue ?? '';
}

/**
 * Firehose appends nothing unless an AppendDelimiterToRecord processor is configured; that
 * processor's delimiter defaults to a newline and is carried escaped (`\\n`) in the template.
 */
function recordDelimiter(processors: Processor[]): string {
  const value = processorParameter(processors, 'AppendDelimiterToRecord', 'Delimiter');
  if (value === undefined) return '';
  if (value === '') return '\n';
  return value.replace(/\\([nrt\\])/g, (_, character: string) =>
    character === 'n' ? '\n' : character === 'r' ? '\r' : character === 't' ? '\t' : '\\',
  );
}

/**
 * The simple JQ object Firehose dynamic partitioning examples use: `{key: .path.to.field, ...}`.
 * Anything richer (pipes, functions) is beyond a local stand-in and is refused loudly.
 */
export function parseMetadataExtractionQuery(query: string): Record<string, string> {
  const body = query.trim().replace(/^\{/, '').replace(/\}$/, '');
  const queries: Record<string, string> = {};
  for (const part of body.split(',')) {
    // `.field`, or `.field|@uri` (optionally in parentheses): the filter the archive uses.
    const match = /^\s*"?([A-Za-z_][\w-]*)"?\s*:\s*(\()?\s*(\.[\w.]+)(\s*\|\s*@uri)?\s*(\))?\s*$/.exec(part);
    if (!match?.[1] || !match[3] || Boolean(match[2]) !== Boolean(match[5])) {
      throw new Error(
        `Unsupported MetadataExtractionQuery (only {key: .field} and {key: (.field|@uri)} are emulated): ${query}`,
      );
    }
    queries[match[1]] = match[4] ? `${match[3]}|@uri` : match[3];
  }
  return queries;
}

/** SQS names allow 80 characters; CDK logical ids can be longer. */
export function localQueueName(logicalId: string): string {
  return logicalId.slice(0, 80);
}

function toQueue(
  logicalId: string,
  properties: Record<string, unknown>,
  resources: Resources,
): LocalQueueDefinition {
  const attributes: Record<string, string> = {};
  for (const name of [
    'VisibilityTimeout',
    'MessageRetentionPeriod',
    'DelaySeconds',
    'ReceiveMessageWaitTimeSeconds',
  ]) {
    const value = properties[name];
    if (typeof value === 'number' || typeof value === 'string') attributes[name] = String(value);
  }
  const redrive = properties.RedrivePolicy as
    | { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }
    | undefined;
  const deadLetterQueueLogicalId = referencedLogicalId(redrive?.deadLetterTargetArn);
  if (deadLetterQueueLogicalId && resources[deadLetterQueueLogicalId]?.Type === 'AWS::SQS::Queue') {
    attributes.RedrivePolicy = JSON.stringify({
      // Only the name after the last ':' matters to the SQS stand-in.
      deadLetterTargetArn: `arn:aws:sqs:local:000000000000:${localQueueName(deadLetterQueueLogicalId)}`,
      maxReceiveCount: Number(redrive?.maxReceiveCount ?? 10),
    });
  }
  return {
    logicalId,
    name: localQueueName(logicalId),
    attributes,
    ...(deadLetterQueueLogicalId ? { deadLetterQueueLogicalId } : {}),
  };
}
