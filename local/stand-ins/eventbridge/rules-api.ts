/**
 * The rule and target calls of the EventBridge stand-in — `PutRule`, `DescribeRule`, `ListRules`,
 * `DeleteRule`, `EnableRule`, `DisableRule`, `PutTargets`, `ListTargetsByRule`, `RemoveTargets` — with the service's parameter
 * checks, limits and error codes (EventBridge API Reference, one page per action:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html and its siblings).
 *
 * Rules come from two places: the synthesized template (read-only here: change them in the CDK
 * app, as a deployed stack would be changed) and calls made at run time, which are kept in
 * `<dataDir>/eventbridge/rules.json` so a rule a consumer attached survives a restart of local
 * mode. Every rule, whatever its origin, is routed by the stand-in in the same way.
 *
 * Local mode delivers rule targets to SQS queues (`arn:aws:sqs:<region>:<account>:<name>`, the
 * queue by its name); any other target is refused per target in `FailedEntries`, so a target that
 * would silently receive nothing locally is never accepted.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type CompiledEventPattern,
  compileEventPattern,
  InvalidEventPatternError,
} from '#local/event-pattern/index';
import { type AwsJsonOperation, AwsServiceError } from '../aws-json-server';
import { eventBusNameOf } from './put-events-validation';
import type { InputTransformer, Route, RouteTarget } from './routes';

/** A target as `PutTargets` takes it (the fields the stand-in understands are kept; others too). */
export interface RuleTargetInput {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  [other: string]: unknown;
}

/** A rule created at run time, as kept on disk. */
export interface StoredRule {
  Name: string;
  EventBusName: string;
  /** The pattern text exactly as given (DescribeRule answers it unchanged). */
  EventPattern?: string;
  ScheduleExpression?: string;
  State: string;
  Description?: string;
  RoleArn?: string;
  Targets: RuleTargetInput[];
}

/** A rule the stand-in routes, with its compiled pattern. */
export interface CompiledRoute {
  route: Route;
  pattern: CompiledEventPattern;
}

/** API Reference limits: names, pattern and description lengths, targets per call and per rule. */
export const RULE_LIMITS = {
  nameLength: 64,
  eventPatternLength: 4096,
  descriptionLength: 512,
  targetsPerPutTargets: 10,
  targetsPerRule: 5,
  idsPerRemoveTargets: 100,
  maxListLimit: 100,
  targetIdLength: 64,
  arnLength: 1600,
} as const;

const NAME_PATTERN = /^[.\-_A-Za-z0-9]+$/;
const RULE_STATES = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
const SQS_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;

export interface RuleRegistryOptions {
  region: string;
  account: string;
  /** Where run-time rules are kept; in memory only without it. */
  file?: string;
  /** Rules of the template (read-only). */
  templateRoutes: readonly Route[];
  /** Whether a bus exists. */
  busExists(name: string): boolean;
  /** Called when a rule could not be loaded from disk (its pattern no longer valid, ...). */
  warn?(message: string): void;
}

export class RuleRegistry {
  private readonly stored = new Map<string, StoredRule>();
  private compiledByBus = new Map<string, CompiledRoute[]>();

  constructor(private readonly options: RuleRegistryOptions) {
    for (const rule of this.load()) this.stored.set(key(rule.EventBusName, rule.Name), rule);
    this.recompile();
  }

  /** The run-time rules of a bus, enabled and with a pattern, ready to match. */
  routesFor(busName: string): readonly CompiledRoute[] {
    return this.compiledByBus.get(busName) ?? [];
  }

  /** Every run-time rule (for reports). */
  storedRules(): readonly StoredRule[] {
    return [...this.stored.values()];
  }

  operations(): Record<string, AwsJsonOperation> {
    return {
      PutRule: (input) => this.putRule(input),
      DescribeRule: (input) => this.describeRule(input),
      ListRules: (input) => this.listRules(input),
      DeleteRule: (input) => this.deleteRule(input),
      PutTargets: (input) => this.putTargets(input),
      ListTargetsByRule: (input) => this.listTargetsByRule(input),
      RemoveTargets: (input) => this.removeTargets(input),
      EnableRule: (input) => this.setState(input, 'ENABLED'),
      DisableRule: (input) => this.setState(input, 'DISABLED'),
    };
  }

  ruleArn(busName: string, name: string): string {
    const path = busName === 'default' ? name : `${busName}/${name}`;
    return `arn:aws:events:${this.options.region}:${this.options.account}:rule/${path}`;
  }

  private putRule(input: Record<string, unknown>) {
    const name = ruleName(input, 'Name');
    const busName = this.bus(input);
    const pattern = optionalString(input, 'EventPattern', RULE_LIMITS.eventPatternLength);
    const schedule = optionalString(input, 'ScheduleExpression', 256);
    const state = optionalString(input, 'State', 64) ?? 'ENABLED';
    const description = optionalString(input, 'Description', RULE_LIMITS.descriptionLength);
    const roleArn = optionalString(input, 'RoleArn', RULE_LIMITS.arnLength);
    if (pattern === undefined && schedule === undefined) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    if (schedule !== undefined && busName !== 'default') {
      throw validation('ScheduleExpression is supported only on the default event bus.');
    }
    if (!RULE_STATES.has(state)) {
      throw validation(
        `1 validation error detected: Value '${state}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]`,
      );
    }
    if (pattern !== undefined) {
      try {
        compileEventPattern(pattern);
      } catch (error) {
        if (error instanceof InvalidEventPatternError) {
          throw new AwsServiceError('InvalidEventPatternException', error.message);
        }
        throw error;
      }
    }
    this.refuseTemplateRule(busName, name);
    const existing = this.stored.get(key(busName, name));
    const rule: StoredRule = {
      Name: name,
      EventBusName: busName,
      ...(pattern !== undefined ? { EventPattern: pattern } : {}),
      ...(schedule !== undefined ? { ScheduleExpression: schedule } : {}),
      State: state,
      ...(description !== undefined ? { Description: description } : {}),
      ...(roleArn !== undefined ? { RoleArn: roleArn } : {}),
      Targets: existing?.Targets ?? [],
    };
    this.stored.set(key(busName, name), rule);
    this.changed();
    return { RuleArn: this.ruleArn(busName, name) };
  }

  private setState(input: Record<string, unknown>, state: 'ENABLED' | 'DISABLED') {
    const name = ruleName(input, 'Name');
    const busName = this.bus(input);
    this.refuseTemplateRule(busName, name);
    const rule = this.stored.get(key(busName, name));
    if (!rule) throw ruleNotFound(name, busName);
    rule.State = state;
    this.changed();
    return {};
  }

  private describeRule(input: Record<string, unknown>) {
    const name = ruleName(input, 'Name');
    const busName = this.bus(input);
    const rule = this.allRules(busName).find((candidate) => candidate.Name === name);
    if (!rule) throw ruleNotFound(name, busName);
    return {
      Name: rule.Name,
      Arn: this.ruleArn(busName, rule.Name),
      ...(rule.EventPattern !== undefined ? { EventPattern: rule.EventPattern } : {}),
      ...(rule.ScheduleExpression !== undefined ? { ScheduleExpression: rule.ScheduleExpression } : {}),
      State: rule.State,
      ...(rule.Description !== undefined ? { Description: rule.Description } : {}),
      ...(rule.RoleArn !== undefined ? { RoleArn: rule.RoleArn } : {}),
      EventBusName: busName,
      CreatedBy: this.options.account,
    };
  }

  private listRules(input: Record<string, unknown>) {
    const busName = this.bus(input);
    const prefix = optionalString(input, 'NamePrefix', RULE_LIMITS.nameLength) ?? '';
    const rules = this.allRules(busName)
      .filter((rule) => rule.Name.startsWith(prefix))
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((rule) => ({
        Name: rule.Name,
        Arn: this.ruleArn(busName, rule.Name),
        ...(rule.EventPattern !== undefined ? { EventPattern: rule.EventPattern } : {}),
        ...(rule.ScheduleExpression !== undefined ? { ScheduleExpression: rule.ScheduleExpression } : {}),
        State: rule.State,
        ...(rule.Description !== undefined ? { Description: rule.Description } : {}),
        EventBusName: busName,
      }));
    return page(rules, input, 'Rules');
  }

  private deleteRule(input: Record<string, unknown>) {
    const name = ruleName(input, 'Name');
    const busName = this.bus(input);
    this.refuseTemplateRule(busName, name);
    const rule = this.stored.get(key(busName, name));
    // "If you call delete rule multiple times for the same rule, all calls will succeed."
    if (!rule) return {};
    if (rule.Targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
    this.stored.delete(key(busName, name));
    this.changed();
    return {};
  }

  private putTargets(input: Record<string, unknown>) {
    const name = ruleName(input, 'Rule');
    const busName = this.bus(input);
    const targets = input.Targets;
    if (!Array.isArray(targets) || targets.length === 0) {
      throw validation(
        "1 validation error detected: Value '[]' at 'targets' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (targets.length > RULE_LIMITS.targetsPerPutTargets) {
      throw validation(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to ${RULE_LIMITS.targetsPerPutTargets}`,
      );
    }
    const checked = targets.map((target, index) => checkTarget(target, index));
    this.refuseTemplateRule(busName, name);
    const rule = this.stored.get(key(busName, name));
    if (!rule) throw ruleNotFound(name, busName);
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    const next = new Map(rule.Targets.map((target) => [target.Id, target]));
    for (const target of checked) {
      const refusal = localDeliveryRefusal(target);
      if (refusal) {
        failed.push({ TargetId: target.Id, ErrorCode: 'ValidationException', ErrorMessage: refusal });
        continue;
      }
      next.set(target.Id, target);
    }
    if (next.size > RULE_LIMITS.targetsPerRule) {
      throw new AwsServiceError(
        'LimitExceededException',
        `The requested resource exceeds the maximum number allowed. A rule can have at most ${RULE_LIMITS.targetsPerRule} targets.`,
      );
    }
    rule.Targets = [...next.values()];
    this.changed();
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  private listTargetsByRule(input: Record<string, unknown>) {
    const name = ruleName(input, 'Rule');
    const busName = this.bus(input);
    const rule = this.allRules(busName).find((candidate) => candidate.Name === name);
    if (!rule) throw ruleNotFound(name, busName);
    return page(rule.Targets, input, 'Targets');
  }

  private removeTargets(input: Record<string, unknown>) {
    const name = ruleName(input, 'Rule');
    const busName = this.bus(input);
    const ids = input.Ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > RULE_LIMITS.idsPerRemoveTargets) {
      throw validation(
        `1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and ${RULE_LIMITS.idsPerRemoveTargets}`,
      );
    }
    for (const id of ids) checkName(id, 'ids', RULE_LIMITS.targetIdLength);
    this.refuseTemplateRule(busName, name);
    const rule = this.stored.get(key(busName, name));
    if (!rule) throw ruleNotFound(name, busName);
    const remove = new Set(ids as string[]);
    rule.Targets = rule.Targets.filter((target) => !remove.has(target.Id));
    this.changed();
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  /** Template rules and run-time rules of a bus, in the shape DescribeRule answers. */
  private allRules(busName: string): StoredRule[] {
    const fromTemplate = this.options.templateRoutes
      .filter((route) => route.eventBusName === busName)
      .map(
        (route): StoredRule => ({
          Name: route.ruleName,
          EventBusName: busName,
          EventPattern: JSON.stringify(route.eventPattern),
          State: route.enabled ? 'ENABLED' : 'DISABLED',
          Targets: route.targets.map(templateTarget),
        }),
      );
    const runTime = [...this.stored.values()].filter((rule) => rule.EventBusName === busName);
    return [...fromTemplate, ...runTime];
  }

  private bus(input: Record<string, unknown>): string {
    const given = optionalString(input, 'EventBusName', RULE_LIMITS.arnLength);
    const busName = eventBusNameOf({ EventBusName: given });
    if (!this.options.busExists(busName)) {
      throw new AwsServiceError('ResourceNotFoundException', `Event bus ${busName} does not exist.`);
    }
    return busName;
  }

  private refuseTemplateRule(busName: string, name: string): void {
    if (
      this.options.templateRoutes.some((route) => route.eventBusName === busName && route.ruleName === name)
    ) {
      throw validation(
        `Rule ${name} belongs to the stack's template; change it in the CDK app (local mode keeps the template's rules as synthesized).`,
      );
    }
  }

  private changed(): void {
    this.recompile();
    this.save();
  }

  private recompile(): void {
    const byBus = new Map<string, CompiledRoute[]>();
    for (const rule of this.stored.values()) {
      if (rule.EventPattern === undefined || rule.State === 'DISABLED') continue;
      let pattern: CompiledEventPattern;
      try {
        pattern = compileEventPattern(rule.EventPattern);
      } catch (error) {
        this.options.warn?.(`Rule ${rule.Name}: ${(error as Error).message}; not routed`);
        continue;
      }
      const routes = byBus.get(rule.EventBusName) ?? [];
      routes.push({ route: toRoute(rule), pattern });
      byBus.set(rule.EventBusName, routes);
    }
    this.compiledByBus = byBus;
  }

  private load(): StoredRule[] {
    if (!this.options.file) return [];
    let text: string;
    try {
      text = readFileSync(this.options.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { rules?: StoredRule[] };
      return Array.isArray(parsed.rules) ? parsed.rules : [];
    } catch (error) {
      this.options.warn?.(`${this.options.file}: ${(error as Error).message}; its rules were not loaded`);
      return [];
    }
  }

  private save(): void {
    const file = this.options.file;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ rules: [...this.stored.values()] }, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

/** A run-time rule as the stand-in routes it (the same shape as a template rule). */
export function toRoute(rule: StoredRule): Route {
  return {
    ruleLogicalId: rule.Name,
    ruleName: rule.Name,
    eventBusName: rule.EventBusName,
    eventPattern: rule.EventPattern ? JSON.parse(rule.EventPattern) : undefined,
    enabled: rule.State !== 'DISABLED',
    targets: rule.Targets.map(toRouteTarget),
  };
}

function toRouteTarget(target: RuleTargetInput): RouteTarget {
  const queueName = SQS_ARN.exec(target.Arn)?.[1];
  const deadLetterQueueName = target.DeadLetterConfig?.Arn
    ? SQS_ARN.exec(target.DeadLetterConfig.Arn)?.[1]
    : undefined;
  return {
    id: target.Id,
    kind: queueName ? 'sqs' : 'other',
    resourceType: queueName ? 'AWS::SQS::Queue' : 'arn',
    ...(queueName ? { queueName } : {}),
    ...(deadLetterQueueName ? { deadLetterQueueName } : {}),
    ...(target.Input !== undefined ? { input: target.Input } : {}),
    ...(target.InputPath !== undefined ? { inputPath: target.InputPath } : {}),
    ...(target.InputTransformer !== undefined ? { inputTransformer: target.InputTransformer } : {}),
  };
}

/** A template target, as ListTargetsByRule shows it (the ARN is known only after deploy). */
function templateTarget(target: RouteTarget): RuleTargetInput {
  return {
    Id: target.id,
    Arn: target.queueName
      ? `arn:aws:sqs:local:000000000000:${target.queueName}`
      : `(${target.resourceType ?? target.kind} ${target.logicalId ?? ''} of the template)`.replace(
          ' )',
          ')',
        ),
    ...(target.input !== undefined ? { Input: target.input } : {}),
    ...(target.inputPath !== undefined ? { InputPath: target.inputPath } : {}),
    ...(target.inputTransformer !== undefined ? { InputTransformer: target.inputTransformer } : {}),
  };
}

function checkTarget(value: unknown, index: number): RuleTargetInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validation(`Parameter Targets[${index}] is not valid.`);
  }
  const target = value as Record<string, unknown>;
  checkName(target.Id, `targets.${index + 1}.member.id`, RULE_LIMITS.targetIdLength);
  if (
    typeof target.Arn !== 'string' ||
    target.Arn.length === 0 ||
    target.Arn.length > RULE_LIMITS.arnLength
  ) {
    throw validation(
      `1 validation error detected: Value at 'targets.${index + 1}.member.arn' failed to satisfy constraint: Member must have length between 1 and ${RULE_LIMITS.arnLength}`,
    );
  }
  if (!target.Arn.startsWith('arn:'))
    throw validation(`Parameter ${target.Arn} is not valid. Reason: Provided Arn is not in correct format.`);
  const inputs = ['Input', 'InputPath', 'InputTransformer'].filter((field) => target[field] !== undefined);
  if (inputs.length > 1) {
    throw validation(
      `Only one of Input, InputPath, or InputTransformer can be specified for target ${target.Id}.`,
    );
  }
  if (target.Input !== undefined && !isJsonText(target.Input)) {
    throw validation(`Input for target ${target.Id} is not valid JSON text.`);
  }
  if (
    target.InputPath !== undefined &&
    (typeof target.InputPath !== 'string' || !target.InputPath.startsWith('$'))
  ) {
    throw validation(`InputPath for target ${target.Id} is not a valid JSON path.`);
  }
  const transformer = target.InputTransformer as { InputTemplate?: unknown } | undefined;
  if (transformer !== undefined && typeof transformer?.InputTemplate !== 'string') {
    throw validation(`InputTransformer for target ${target.Id} needs an InputTemplate.`);
  }
  const deadLetterArn = (target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
  if (deadLetterArn !== undefined && (typeof deadLetterArn !== 'string' || !SQS_ARN.test(deadLetterArn))) {
    throw validation('The dead-letter queue ARN must be an SQS queue ARN.');
  }
  const retry = target.RetryPolicy as
    | { MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown }
    | undefined;
  if (retry !== undefined) {
    checkRange(retry.MaximumRetryAttempts, 'MaximumRetryAttempts', 0, 185);
    checkRange(retry.MaximumEventAgeInSeconds, 'MaximumEventAgeInSeconds', 60, 86_400);
  }
  return target as RuleTargetInput;
}

/** Why local mode cannot deliver to this target (per-target `FailedEntries`), or undefined. */
function localDeliveryRefusal(target: RuleTargetInput): string | undefined {
  if (SQS_ARN.test(target.Arn)) return undefined;
  return `Local mode delivers rule targets to SQS queues only (arn:aws:sqs:<region>:<account>:<queue name>); ${target.Arn} is not one.`;
}

function checkRange(value: unknown, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
}

function ruleName(input: Record<string, unknown>, field: 'Name' | 'Rule'): string {
  checkName(input[field], field.toLowerCase(), RULE_LIMITS.nameLength);
  return input[field] as string;
}

function checkName(value: unknown, field: string, maxLength: number): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > maxLength) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
    );
  }
  if (!NAME_PATTERN.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  }
}

function optionalString(
  input: Record<string, unknown>,
  field: string,
  maxLength: number,
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new AwsServiceError('SerializationException', `${field} must be a string`);
  if (value.length > maxLength) {
    throw validation(
      `1 validation error detected: Value at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
    );
  }
  return value;
}

/** `Limit` (1–100) and `NextToken` (the index to start at, opaque to clients). */
function page<T>(items: readonly T[], input: Record<string, unknown>, field: string) {
  const limit = input.Limit;
  if (
    limit !== undefined &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > RULE_LIMITS.maxListLimit)
  ) {
    throw validation(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${RULE_LIMITS.maxListLimit}`,
    );
  }
  let start = 0;
  if (input.NextToken !== undefined) {
    const decoded =
      typeof input.NextToken === 'string'
        ? Number(Buffer.from(input.NextToken, 'base64url').toString())
        : Number.NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw validation('The NextToken provided is invalid.');
    start = decoded;
  }
  const size = (limit as number | undefined) ?? RULE_LIMITS.maxListLimit;
  const slice = items.slice(start, start + size);
  const next =
    start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { [field]: slice, ...(next ? { NextToken: next } : {}) };
}

function isJsonText(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

function ruleNotFound(name: string, busName: string): AwsServiceError {
  return new AwsServiceError(
    'ResourceNotFoundException',
    `Rule ${name} does not exist on EventBus ${busName}.`,
  );
}

function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message);
}

function key(busName: string, name: string): string {
  return `${busName}\u0000${name}`;
}
