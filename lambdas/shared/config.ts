/**
 * The functions' configuration, read from the environment once at cold start and validated, so a
 * misconfigured function fails on its first invocation with a message naming the variable instead
 * of misbehaving later.
 */
import * as z from 'zod/mini';
import './zod-locale';
import { type CatalogExtras, parseCatalogExtras } from './catalog-extras';
import { DEFAULT_EVENT_SOURCE, DEFAULTS, ENV } from './contract';
import {
  cidrProblem,
  claimCheckThresholdProblem,
  eventSourceProblem,
  maxBodyBytesProblem,
  maxDecompressedBytesProblem,
} from './settings';

/** A zod check from one of the shared validators in `settings.ts`. */
function checkedBy<T>(problemOf: (value: T) => string | undefined) {
  return z.superRefine<T>((value, issues) => {
    const problem = problemOf(value);
    if (problem !== undefined) issues.addIssue({ code: 'custom', message: problem });
  });
}

const positiveInt = (fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
const optionalText = z.pipe(
  z.optional(z.string().check(z.trim())),
  z.transform((value: string | undefined) => (value ? value : undefined)),
);
const commaList = z.pipe(
  z.optional(z.string()),
  z.transform((value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);

/** What both functions need to publish: the bus, the bucket for quarantine, the retry budget. */
const publishingFields = {
  [ENV.eventBusName]: z.string().check(z.minLength(1)),
  [ENV.archiveBucket]: z.string().check(z.minLength(1)),
  [ENV.publishBudgetMs]: positiveInt(DEFAULTS.publishBudgetMs),
};

const receiverSchema = z
  .object({
    ...publishingFields,
    [ENV.eventSource]: z._default(z.string(), DEFAULT_EVENT_SOURCE).check(checkedBy(eventSourceProblem)),
    [ENV.tokenSecretId]: optionalText,
    [ENV.tokens]: commaList,
    [ENV.tokenCacheSeconds]: z._default(
      z.coerce.number().check(z.int(), z.nonnegative()),
      DEFAULTS.tokenCacheSeconds,
    ),
    [ENV.allowedSourceCidrs]: z.pipe(commaList, z.array(z.string().check(checkedBy(cidrProblem)))),
    [ENV.spilloverQueueUrl]: z.string().check(z.minLength(1)),
    [ENV.maxBodyBytes]: positiveInt(DEFAULTS.maxBodyBytes).check(checkedBy(maxBodyBytesProblem)),
    [ENV.maxDecompressedBytes]: positiveInt(DEFAULTS.maxDecompressedBytes).check(
      checkedBy(maxDecompressedBytesProblem),
    ),
    [ENV.claimCheckThresholdBytes]: positiveInt(DEFAULTS.claimCheckThresholdBytes).check(
      checkedBy(claimCheckThresholdProblem),
    ),
  })
  .check(
    z.refine((env) => env[ENV.tokenSecretId] !== undefined || env[ENV.tokens].length > 0, {
      message: `set ${ENV.tokenSecretId} (Secrets Manager) or ${ENV.tokens} (local use)`,
      path: [ENV.tokenSecretId],
    }),
  );

export interface ReceiverConfig {
  eventBusName: string;
  eventSource: string;
  tokenSecretId: string | undefined;
  staticTokens: string[];
  tokenCacheSeconds: number;
  allowedSourceCidrs: string[];
  spilloverQueueUrl: string;
  archiveBucket: string;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  claimCheckThresholdBytes: number;
  publishBudgetMs: number;
  /** Event types and fields acknowledged on top of the catalog (`EXTRA_EVENT_TYPES`, `EXTRA_EVENT_FIELDS`). */
  catalogExtras: CatalogExtras;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseOrThrow<T extends z.ZodMiniType>(schema: T, env: NodeJS.ProcessEnv, what: string): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`${what} is misconfigured:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * The receiver's configuration from its environment. Throws a {@link ConfigError} naming every
 * variable that is missing or malformed.
 */
export function loadReceiverConfig(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const parsed = parseOrThrow(receiverSchema, env, 'The receiver');
  let catalogExtras: CatalogExtras;
  try {
    catalogExtras = parseCatalogExtras(env[ENV.extraEventTypes], env[ENV.extraEventFields]);
  } catch (error) {
    throw new ConfigError(`The receiver is misconfigured:\n${(error as Error).message}`);
  }
  return {
    eventBusName: parsed[ENV.eventBusName],
    eventSource: parsed[ENV.eventSource],
    tokenSecretId: parsed[ENV.tokenSecretId],
    staticTokens: parsed[ENV.tokens],
    tokenCacheSeconds: parsed[ENV.tokenCacheSeconds],
    allowedSourceCidrs: parsed[ENV.allowedSourceCidrs],
    spilloverQueueUrl: parsed[ENV.spilloverQueueUrl],
    archiveBucket: parsed[ENV.archiveBucket],
    maxBodyBytes: parsed[ENV.maxBodyBytes],
    maxDecompressedBytes: parsed[ENV.maxDecompressedBytes],
    claimCheckThresholdBytes: parsed[ENV.claimCheckThresholdBytes],
    publishBudgetMs: parsed[ENV.publishBudgetMs],
    catalogExtras,
  };
}

const redriveSchema = z.object(publishingFields);

export interface RedriveConfig {
  eventBusName: string;
  archiveBucket: string;
  publishBudgetMs: number;
}

export function loadRedriveConfig(env: NodeJS.ProcessEnv = process.env): RedriveConfig {
  const parsed = parseOrThrow(redriveSchema, env, 'The redrive function');
  return {
    eventBusName: parsed[ENV.eventBusName],
    archiveBucket: parsed[ENV.archiveBucket],
    publishBudgetMs: parsed[ENV.publishBudgetMs],
  };
}
