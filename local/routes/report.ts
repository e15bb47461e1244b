/**
 * The routing report: for every rule on the bus, which Braze event types it receives. Each type is
 * tried with realistic events wrapped exactly as the receiver publishes them (the receiver's entry
 * builder, then EventBridge's envelope) and matched with the project's EventBridge matcher:
 *
 * - a type is received when the rule matches the type's realistic event (the fixture factory's);
 * - it is received only partly when the type's events (realistic variants and any samples given)
 *   prove both outcomes, as a rule filtering on other detail fields does;
 * - a type is unrouted when no rule but the archive receives it, fully or partly.
 *
 * Pure: no I/O (the CLI in `local/routes-cli.ts` reads the template and the files).
 */
import { basename } from 'node:path';
import { ENV } from '#lambdas/shared/contract';
import { prepareEvents } from '#lambdas/shared/entries';
import { EventFactory } from '../event-factory';
import { type CompiledEventPattern, compileEventPattern, toEventBridgeEvent } from '../event-pattern';
import { DEFAULT_LOCAL_ACCOUNT, DEFAULT_LOCAL_REGION } from '../event-pattern/envelope';
import { patternFromRuleFile } from '../event-pattern/pattern-trial';
import { readPipelineFunctions } from '../runtime/template';
import {
  type CloudFormationTemplate,
  loadRoutes,
  referencedLogicalId,
} from '../stand-ins/eventbridge/routes';

/** Where a rule comes from: the archive rule, a consumer rule of the stack, or a pattern file. */
export type RuleKind = 'archive' | 'consumer' | 'pattern-file';

export interface RuleSource {
  name: string;
  kind: RuleKind;
  /** The event pattern, as an object or JSON text. */
  pattern: unknown;
  /** The rule's ARN, when the pattern file is `aws events describe-rule` output. */
  arn?: string;
}

/** The account and Region the events are published from, as EventBridge stamps them on each event. */
export interface EventOrigin {
  account: string;
  region: string;
  /** Where they come from; `undefined` when neither is known and local mode's placeholders are used. */
  from?: string;
}

/** Local mode's placeholders, used when the deployment's account and Region are not known. */
export const PLACEHOLDER_ORIGIN: EventOrigin = {
  account: DEFAULT_LOCAL_ACCOUNT,
  region: DEFAULT_LOCAL_REGION,
};

export interface RuleReport {
  rule: string;
  kind: RuleKind;
  /** Types whose realistic event the rule matches, sorted. */
  eventTypes: string[];
  /** Types whose events the rule matches only in part (both outcomes seen), sorted. */
  partly: string[];
  /** Which of `account` and `region` the pattern filters on (top-level fields). */
  filtersOn: ('account' | 'region')[];
}

export interface RoutingReport {
  /** The `source` the events were published with. */
  source: string;
  /** The `account` and `region` of the events tried. */
  origin: EventOrigin;
  /** Every event type tried, in catalog order. */
  eventTypes: string[];
  rules: RuleReport[];
  /** Types no rule except the archive receives, fully or partly, in catalog order. */
  unrouted: string[];
}

export interface RoutingReportOptions {
  /** `Source` of the published events (the stack's `eventSource`). */
  source: string;
  /** The event types to try (the catalog's, plus acknowledged extras). */
  eventTypes: readonly string[];
  /** More events (e.g. Braze's samples); those of a tried type join its variants. */
  samples?: readonly unknown[];
  /** Seed of the fixture factory, so a report is repeatable. */
  seed?: number;
  /** The `account` and `region` of the events; default {@link PLACEHOLDER_ORIGIN}. */
  origin?: EventOrigin;
  /**
   * The source text of each sample (`samples[i]`), published as `Detail` byte for byte as the
   * receiver does with what Braze sends (numbers beyond 2^53 intact).
   */
  sampleTexts?: readonly string[];
}

/** What a template holds for the report: the events' source and the rules on the receiver's bus. */
export function rulesFromTemplate(template: CloudFormationTemplate): { source: string; rules: RuleSource[] } {
  const functions = readPipelineFunctions(template);
  const environment = functions.receiver.environment;
  const routes = loadRoutes(template);
  const busLogicalId = referencedLogicalId(environment[ENV.eventBusName]);
  const busName = busLogicalId === undefined ? undefined : routes.buses[busLogicalId];
  const source = environment[ENV.eventSource];
  if (typeof source !== 'string')
    throw new Error(`the receiver in the template has no literal ${ENV.eventSource}`);
  const rules = routes.rules
    .filter((route) => busName === undefined || route.eventBusName === busName)
    .map(
      (route): RuleSource => ({
        name: route.ruleName,
        kind: route.targets.some((target) => target.kind === 'firehose') ? 'archive' : 'consumer',
        pattern: route.eventPattern,
      }),
    );
  return { source, rules };
}

/**
 * A rule from a pattern file: the pattern itself, or `aws events describe-rule` output (its `Name`
 * names the rule; otherwise the file name does). Throws `InvalidEventPatternError` with
 * EventBridge's message when the service would refuse the pattern.
 */
export function ruleFromPatternFile(path: string, text: string): RuleSource {
  const pattern = patternFromRuleFile(text);
  compileEventPattern(pattern);
  let name = basename(path);
  let arn: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') {
      const { Name, EventPattern, Arn } = parsed as Record<string, unknown>;
      if (typeof Name === 'string' && typeof EventPattern === 'string') name = Name;
      if (typeof Arn === 'string' && typeof EventPattern === 'string') arn = Arn;
    }
  } catch {
    // The pattern compiled, so the text is JSON; nothing else to read.
  }
  return { name, kind: 'pattern-file', pattern, ...(arn === undefined ? {} : { arn }) };
}

/** The account and Region in a rule ARN (`arn:aws:events:<region>:<account>:rule/…`), if it is one. */
export function originFromRuleArn(arn: string): { account: string; region: string } | undefined {
  const match = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):rule\//.exec(arn);
  return match ? { region: match[1] as string, account: match[2] as string } : undefined;
}

/** The top-level `account` and `region` fields a pattern filters on. */
function environmentFilters(pattern: unknown): ('account' | 'region')[] {
  let value = pattern;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return [];
    }
  }
  if (value === null || typeof value !== 'object') return [];
  return (['account', 'region'] as const).filter((field) => field in value);
}

/** The events tried per type, as rules see them: three realistic variants, then the samples. */
function eventsByType(options: RoutingReportOptions): Map<string, { realistic: unknown; all: unknown[] }> {
  const seed = options.seed ?? 42;
  const typical = new EventFactory({ seed });
  const minimal = new EventFactory({ seed: seed + 1, optionalFill: 0 });
  const complete = new EventFactory({ seed: seed + 2, optionalFill: 1 });
  const wanted = new Set(options.eventTypes);
  const byType = new Map<string, unknown[]>();
  for (const eventType of options.eventTypes) {
    byType.set(eventType, [typical.make(eventType), minimal.make(eventType), complete.make(eventType)]);
  }
  // The factory's events are plain JSON: their text is JSON.stringify's, as prepareEvents makes it.
  const texts = new Map<string, string[]>();
  for (const [eventType, events] of byType)
    texts.set(
      eventType,
      events.map((event) => JSON.stringify(event)),
    );
  for (const [index, sample] of (options.samples ?? []).entries()) {
    const eventType = (sample as { event_type?: unknown } | null)?.event_type;
    if (typeof eventType === 'string' && wanted.has(eventType)) {
      byType.get(eventType)?.push(sample);
      texts.get(eventType)?.push(options.sampleTexts?.[index] ?? JSON.stringify(sample));
    }
  }
  const receivedAt = new Date();
  const { account, region } = options.origin ?? PLACEHOLDER_ORIGIN;
  const wrapped = new Map<string, { realistic: unknown; all: unknown[] }>();
  for (const [eventType, events] of byType) {
    const { prepared } = prepareEvents(
      events,
      { source: options.source, resources: [], receivedAt },
      texts.get(eventType),
    );
    const onBus = prepared.map((item) =>
      toEventBridgeEvent(item.entry, { now: receivedAt, account, region }),
    );
    wrapped.set(eventType, { realistic: onBus[0], all: onBus });
  }
  return wrapped;
}

/** Builds the report; throws `InvalidEventPatternError` for a pattern EventBridge would refuse. */
export function routingReport(rules: readonly RuleSource[], options: RoutingReportOptions): RoutingReport {
  const events = eventsByType(options);
  const reports = rules.map((rule): RuleReport => {
    const compiled: CompiledEventPattern = compileEventPattern(rule.pattern);
    const eventTypes: string[] = [];
    const partly: string[] = [];
    for (const [eventType, { realistic, all }] of events) {
      if (compiled.matches(realistic)) eventTypes.push(eventType);
      const outcomes = new Set(all.map((event) => compiled.matches(event)));
      if (outcomes.size === 2) partly.push(eventType);
    }
    return {
      rule: rule.name,
      kind: rule.kind,
      eventTypes: eventTypes.sort(),
      partly: partly.sort(),
      filtersOn: environmentFilters(rule.pattern),
    };
  });
  const routed = new Set(
    reports
      .filter((report) => report.kind !== 'archive')
      .flatMap((report) => [...report.eventTypes, ...report.partly]),
  );
  return {
    source: options.source,
    origin: options.origin ?? PLACEHOLDER_ORIGIN,
    eventTypes: [...options.eventTypes],
    rules: reports,
    unrouted: options.eventTypes.filter((eventType) => !routed.has(eventType)),
  };
}

/** `--format json`: `{"rules":[{"rule","eventTypes","partly"}],"unrouted":[...]}`. */
export function reportJson(report: RoutingReport): string {
  return JSON.stringify(
    {
      rules: report.rules.map(({ rule, eventTypes, partly }) => ({ rule, eventTypes, partly })),
      unrouted: report.unrouted,
    },
    null,
    2,
  );
}

/**
 * Shortens a list of types for people: `all N event types` when it is every tried type, and
 * `users.messages.email.*` for a family whose every tried type is in the list.
 */
export function summarizeTypes(types: readonly string[], universe: readonly string[]): string[] {
  if (types.length === 0) return [];
  if (types.length === universe.length && universe.every((type) => types.includes(type))) {
    return [`all ${universe.length} event types`];
  }
  const chosen = new Set(types);
  // A family selects every type under its prefix (`users.canvas.*` includes `users.canvas.exit.*`),
  // so a prefix is shown only when every tried type under it is in the list; the shortest wins.
  const covered = (prefix: string) => {
    const under = universe.filter((type) => type.startsWith(prefix));
    return under.length > 1 && under.every((type) => chosen.has(type));
  };
  const out: string[] = [];
  const shown = new Set<string>();
  for (const type of [...types].sort()) {
    let family: string | undefined;
    for (let dot = type.indexOf('.'); dot !== -1; dot = type.indexOf('.', dot + 1)) {
      const prefix = type.slice(0, dot + 1);
      if (covered(prefix)) {
        family = prefix;
        break;
      }
    }
    const entry = family === undefined ? type : `${family}*`;
    if (!shown.has(entry)) out.push(entry);
    shown.add(entry);
  }
  return out;
}

/**
 * What to tell the reader about `account` and `region`: where the events' values come from, or,
 * when they are local mode's placeholders and a rule filters on them, that such a rule shows what it
 * would receive from the placeholder account and Region (usually nothing) and how to fix that.
 * Undefined when there is nothing to say.
 */
export function originNote(report: RoutingReport): string | undefined {
  const { origin } = report;
  const filtering = report.rules.filter((rule) => rule.filtersOn.length > 0);
  if (origin.from !== undefined) {
    return `Events are tried from account ${origin.account}, region ${origin.region} (${origin.from}).`;
  }
  if (filtering.length === 0) return undefined;
  const names = filtering.map((rule) => `${rule.rule} (${rule.filtersOn.join(', ')})`).join(', ');
  return (
    `Note: ${names} filter${filtering.length === 1 ? 's' : ''} on account or region, and the deployment's are not known here: ` +
    `events are tried from account ${origin.account} in ${origin.region}, so such a rule shows what it would receive from there (usually nothing). ` +
    'Pass --account and --region (or synthesize with CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION set).'
  );
}

/** `--format table`: one block per rule, then the unrouted types. */
export function reportTable(report: RoutingReport): string {
  const note = originNote(report);
  const lines: string[] = [
    `${report.eventTypes.length} event types, one realistic event each (source ${report.source}), against ${report.rules.length} ${report.rules.length === 1 ? 'rule' : 'rules'}`,
    ...(note === undefined ? [] : [note]),
    '',
  ];
  for (const rule of report.rules) {
    lines.push(`${rule.rule} (${rule.kind}): ${plural(rule.eventTypes.length, 'event type')}`);
    for (const entry of summarizeTypes(rule.eventTypes, report.eventTypes)) lines.push(`  ${entry}`);
    if (rule.partly.length > 0) {
      lines.push(`  only partly (depends on other fields): ${rule.partly.join(', ')}`);
    }
    lines.push('');
  }
  lines.push(`Received by no rule except the archive: ${plural(report.unrouted.length, 'event type')}`);
  for (const entry of summarizeTypes(report.unrouted, report.eventTypes)) lines.push(`  ${entry}`);
  return lines.join('\n');
}

/** `--format markdown`: a table of the rules, then the unrouted types. */
export function reportMarkdown(report: RoutingReport): string {
  const cell = (items: string[]) =>
    items.length === 0 ? '–' : items.map((item) => `\`${item}\``).join(', ');
  const lines = [
    '| rule | kind | event types received | only partly |',
    '| --- | --- | --- | --- |',
    ...report.rules.map(
      (rule) =>
        `| \`${rule.rule}\` | ${rule.kind} | ${rule.eventTypes.length}: ${cell(summarizeTypes(rule.eventTypes, report.eventTypes))} | ${cell(rule.partly)} |`,
    ),
    '',
    `Received by no rule except the archive (${report.unrouted.length}): ${cell(summarizeTypes(report.unrouted, report.eventTypes))}`,
  ];
  const note = originNote(report);
  if (note !== undefined) lines.push('', note);
  return lines.join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
