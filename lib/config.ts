import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { MAX_BODY_CAP_BYTES } from '#lambdas/shared/body-cap';
import {
  type CatalogExtras,
  catalogExtrasProblems,
  formatExtraEventFields,
  formatExtraEventTypes,
} from '#lambdas/shared/catalog-extras';
import { DEFAULT_EVENT_SOURCE, DEFAULTS } from '#lambdas/shared/contract';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import {
  cidrProblem,
  eventSourceProblem,
  MIN_BODY_CAP_BYTES,
  maxBodyBytesProblem,
} from '#lambdas/shared/settings';
import { UserError } from './cli';

/** A zod check from one of the validators the functions use too (`lambdas/shared/settings.ts`). */
function checkedBy<T>(problemOf: (value: T) => string | undefined) {
  return (value: T, issues: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem !== undefined) issues.addIssue({ code: 'custom', message: problem });
  };
}

/**
 * The stack names each registry schema `<eventSource>@<event_type>`, as EventBridge schema
 * discovery does, and EventBridge Schemas takes names of `A-Z a-z 0-9 - _ . @` only (AWS::EventSchemas::Schema
 * SchemaName), so the stack's source is held to those characters (PutEvents itself takes more).
 */
function registrySourceProblem(source: string): string | undefined {
  return /^[A-Za-z0-9_.-]+$/.test(source)
    ? undefined
    : "may hold only A-Z a-z 0-9 - _ . (it names the schema registry's schemas <eventSource>@<event_type>)";
}

/**
 * The largest `maxBodyBytes`: any valid-JSON body at or under it makes an API Gateway event under
 * Lambda's 6 MB invocation limit (derivation in `lambdas/shared/body-cap.ts`).
 */
export { MAX_BODY_CAP_BYTES };

/** The stack's default cap, the largest safe one: a 413 only makes Braze split the batch. */
export const DEFAULT_MAX_BODY_BYTES = DEFAULTS.maxBodyBytes;

/**
 * Athena refuses a workgroup byte cap below 10 MB (10,000,000 bytes): `BytesScannedCutoffPerQuery`,
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html
 */
export const ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/** 10 GiB a query, about 5 US cents at Athena's price of $5 per TB scanned: a runaway query stops there. */
export const DEFAULT_QUERY_BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/** Braze disables a connector after 5 days of errors; the silence alarm must fire well before. */
export const MAX_SILENCE_HOURS = 96;

const LOG_RETENTION_CHOICES = new Set<number>(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** `cdk -c key=value` hands every value over as a string, `cdk.json` keeps JSON types: accept both. */
const wholeNumber = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z.number().int().min(min).max(max),
  );

const stringList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '')
      : value,
  z.array(z.string()),
);

/** `cdk -c key='{"a":1}'` hands JSON over as a string; `cdk.json` keeps the object. */
const jsonObject = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.array(z.string())),
);

/** `cdk -c schemaDiscovery=true` hands the flag over as a string. */
const flag = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

/**
 * Lambda allows 4 KB of environment variables per function (Lambda quotas); the receiver's own
 * variables take well under half, so the acknowledged extras get the rest but this much at most.
 */
export const MAX_EXTRAS_ENV_BYTES = 2048;

/** EventBridge Schemas: a registry name is at most 64 of `[A-Za-z0-9-_.@]` (CreateRegistry). */
const REGISTRY_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * Every setting of the stack, read from `cdk.json` context (or `cdk -c key=value`), each with the
 * default documented in docs/operations.md ("Default settings").
 */
export const bridgeConfigSchema = z
  .object({
    /** Name of the CloudFormation stack. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and hold only letters, digits and -')
      .default('CurrentsBridge'),
    /** `Source` of every published event; the rules match on it. */
    eventSource: z
      .string()
      .superRefine(checkedBy(eventSourceProblem))
      .superRefine(checkedBy(registrySourceProblem))
      .default(DEFAULT_EVENT_SOURCE),
    /** Where alarm notifications are e-mailed; no subscription when unset. */
    alarmEmail: z.email().optional(),
    /** Hours without a single received event before the silence alarm fires. */
    silenceHours: wholeNumber(1, MAX_SILENCE_HOURS).default(12),
    /** Days before archived objects move to S3 Standard-IA (S3 requires at least 30). */
    archiveTransitionDays: wholeNumber(30, 36_500).default(30),
    /** Days before archived objects move to S3 Glacier Instant Retrieval. */
    archiveGlacierDays: wholeNumber(60, 36_500).default(90),
    /** Days before archived objects are deleted; kept forever when unset. */
    archiveExpiryDays: wholeNumber(1, 36_500).optional(),
    /**
     * Days an EventBridge archive of the bus keeps events for `aws events start-replay`; no such
     * archive when unset (EventBridge allows 1 to 36,500 days here; 0, "forever", is not offered).
     */
    replayArchiveDays: wholeNumber(1, 36_500).optional(),
    /** Largest request body (bytes, as received) the receiver accepts before answering 413. */
    maxBodyBytes: wholeNumber(MIN_BODY_CAP_BYTES, MAX_BODY_CAP_BYTES)
      .superRefine(checkedBy(maxBodyBytesProblem))
      .default(DEFAULT_MAX_BODY_BYTES),
    /** Steady-state requests per second the API stage accepts before answering 429. */
    throttlingRateLimit: wholeNumber(1, 10_000).default(100),
    /** Requests the API stage accepts in a burst before answering 429. */
    throttlingBurstLimit: wholeNumber(1, 5_000).default(200),
    /** Source CIDRs allowed to call the API (Braze publishes its IPs per cluster); any when empty. */
    allowedSourceCidrs: stringList.pipe(z.array(z.string().superRefine(checkedBy(cidrProblem)))).default([]),
    /** Days the function, API access and Firehose logs are kept. */
    logRetentionDays: z
      .preprocess(
        (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
        z.number().refine((days) => LOG_RETENTION_CHOICES.has(days), {
          message: `must be one of CloudWatch Logs' retention periods: ${[...LOG_RETENTION_CHOICES].join(', ')}`,
        }),
      )
      .default(30),
    /** Glue database of the archive's `events` table; default the stack name in snake case. */
    queryDatabaseName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,254}$/, 'must be lower-case letters, digits and _, starting with a letter')
      .optional(),
    /** Athena workgroup the named queries run in; default the stack name. */
    queryWorkgroupName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 letters, digits, ., _ or -')
      .optional(),
    /** Bytes one Athena query may scan before the workgroup cancels it (Athena's minimum is 10 MB). */
    queryBytesScannedCutoff: wholeNumber(ATHENA_MIN_BYTES_SCANNED_CUTOFF, Number.MAX_SAFE_INTEGER).default(
      DEFAULT_QUERY_BYTES_SCANNED_CUTOFF,
    ),
    /** Days Athena query results are kept in the results bucket. */
    queryResultsExpiryDays: wholeNumber(1, 3650).default(7),
    /** Name of the EventBridge schema registry of the Braze events; default `<stackName>-braze-currents`. */
    schemaRegistryName: z
      .string()
      .regex(REGISTRY_NAME, 'must be 1 to 64 letters, digits, ".", "_", "-" or "@"')
      .optional(),
    /** Turns on EventBridge schema discovery on the bus (billed per ingested event beyond the free tier). */
    schemaDiscovery: flag.default(false),
    /** Event types the catalog does not know yet, acknowledged so the drift check stays quiet. */
    extraEventTypes: stringList.default([]),
    /** Fields per event type (`user.<f>`, `properties.<f>`) the catalog does not list, acknowledged. */
    extraEventFields: jsonObject.default({}),
  })
  .superRefine((config, issues) => {
    for (const problem of catalogExtrasProblems(catalogExtras(config))) {
      const [key] = problem.split(':');
      issues.addIssue({
        code: 'custom',
        path: [key ?? 'extraEventFields'],
        message: problem.slice(problem.indexOf(':') + 2),
      });
    }
    const expected = new Set(expectedEventTypes(config));
    for (const eventType of Object.keys(config.extraEventFields)) {
      if (!expected.has(eventType)) {
        issues.addIssue({
          code: 'custom',
          path: ['extraEventFields', eventType],
          message: 'is neither a Braze event type of the catalog nor listed in extraEventTypes',
        });
      }
    }
    const bytes =
      Buffer.byteLength(formatExtraEventTypes(config.extraEventTypes)) +
      Buffer.byteLength(formatExtraEventFields(config.extraEventFields));
    if (bytes > MAX_EXTRAS_ENV_BYTES) {
      issues.addIssue({
        code: 'custom',
        path: ['extraEventFields'],
        message: `extraEventTypes and extraEventFields take ${bytes} bytes of the receiver's environment; at most ${MAX_EXTRAS_ENV_BYTES} fit in Lambda's 4 KB (update the catalog instead)`,
      });
    }
    const registryName = config.schemaRegistryName ?? defaultRegistryName(config.stackName);
    if (!REGISTRY_NAME.test(registryName)) {
      issues.addIssue({
        code: 'custom',
        path: ['schemaRegistryName'],
        message: `the default "${registryName}" is longer than the 64 characters a registry name may have; set schemaRegistryName`,
      });
    }
    if (config.archiveGlacierDays < config.archiveTransitionDays + 30) {
      issues.addIssue({
        code: 'custom',
        path: ['archiveGlacierDays'],
        message:
          'must be at least 30 days after archiveTransitionDays (S3 keeps Standard-IA objects 30 days)',
      });
    }
    if (config.archiveExpiryDays !== undefined && config.archiveExpiryDays <= config.archiveGlacierDays) {
      issues.addIssue({
        code: 'custom',
        path: ['archiveExpiryDays'],
        message: 'must be later than archiveGlacierDays, or unset to keep the archive forever',
      });
    }
    if (config.throttlingBurstLimit < config.throttlingRateLimit) {
      issues.addIssue({
        code: 'custom',
        path: ['throttlingBurstLimit'],
        message: 'must be at least throttlingRateLimit',
      });
    }
  });

export type BridgeConfig = z.output<typeof bridgeConfigSchema>;
export type BridgeConfigInput = z.input<typeof bridgeConfigSchema>;

/** The schema registry's name when `schemaRegistryName` is not set. */
export function defaultRegistryName(stackName: string): string {
  return `${stackName}-braze-currents`;
}

/** The acknowledged extras of the settings, in the shape the receiver and the registry use. */
export function catalogExtras(
  config: Pick<BridgeConfig, 'extraEventTypes' | 'extraEventFields'>,
): CatalogExtras {
  return { eventTypes: config.extraEventTypes, eventFields: config.extraEventFields };
}

/**
 * Every event type the deployment expects: the 96 a Custom HTTP connector sends, then the
 * acknowledged `extraEventTypes` not among them (e.g. the Athena table's `event_type` projection).
 */
export function expectedEventTypes(config: Pick<BridgeConfig, 'extraEventTypes'>): string[] {
  return [...new Set<string>([...BRAZE_EVENT_TYPES, ...config.extraEventTypes])];
}

/** The context keys the stack reads, in the order docs/operations.md documents them. */
export const CONFIG_KEYS = Object.keys(bridgeConfigSchema.shape) as (keyof BridgeConfig)[];

/** A bad setting: the CDK app prints its message without a stack trace (a {@link UserError}). */
export class InvalidBridgeConfigError extends UserError {
  override readonly name = 'InvalidBridgeConfigError';
}

/**
 * Validates the settings, throwing at synth with one line per bad key, so a typo in `cdk.json`
 * never reaches CloudFormation.
 */
export function parseBridgeConfig(input: Record<string, unknown>): BridgeConfig {
  const result = bridgeConfigSchema.safeParse(input);
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`,
  );
  throw new InvalidBridgeConfigError(`Invalid currents-bridge settings:\n${problems.join('\n')}`);
}

/**
 * The context keys that look like one of this project's settings (a camelCase word, as every
 * setting is) but are none of them: a misspelt setting would otherwise be ignored and its default
 * used without a word. CDK's own keys never look like that: feature flags start with `@`, the
 * CLI's keys hold `:` (`aws:cdk:…`, lookups) or `-` (`cli-telemetry`).
 */
export function unknownSettingKeys(contextKeys: Iterable<string>): string[] {
  const known = new Set<string>(CONFIG_KEYS);
  return [...contextKeys].filter((key) => /^[a-z][A-Za-z0-9]*$/.test(key) && !known.has(key));
}

/** The known setting closest to `key` by edit distance, if it is close enough to be a typo. */
function closestSetting(key: string): string | undefined {
  const ranked = CONFIG_KEYS.map((setting) => ({
    setting,
    d: distance(key.toLowerCase(), setting.toLowerCase()),
  }));
  ranked.sort((x, y) => x.d - y.d);
  const best = ranked[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.setting : undefined;
}

/**
 * Reads every setting the stack knows from a construct's context (cdk.json, `-c`, or App props).
 * `contextKeys`, when given (every key of the context), are checked too: a key that looks like a
 * setting but is none ({@link unknownSettingKeys}) fails with the closest setting's name.
 * Errors: {@link InvalidBridgeConfigError}, one line per problem.
 */
export function configFromContext(
  tryGetContext: (key: string) => unknown,
  contextKeys: Iterable<string> = [],
): BridgeConfig {
  const unknown = unknownSettingKeys(contextKeys);
  if (unknown.length > 0) {
    const lines = unknown.map((key) => {
      const closest = closestSetting(key);
      return `  ${key}: not a setting${closest ? `; did you mean ${closest}?` : ''} (the settings: docs/operations.md)`;
    });
    throw new InvalidBridgeConfigError(`Invalid currents-bridge settings:\n${lines.join('\n')}`);
  }
  const input: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = tryGetContext(key);
    if (value !== undefined && value !== null && value !== '') {
      input[key] = value;
    }
  }
  return parseBridgeConfig(input);
}
