import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { parseBridgeConfig } from './config';
import { type AlarmRow, alarmRows, type BuiltAlarm } from './constructs/alarms';

/**
 * The docs' alarm runbook sits between these markers, in whichever Markdown file holds them;
 * `npm run docs:alarms` rewrites it and `test/cdk/docs.test.ts` fails when it is out of date.
 */
export const RUNBOOK_START =
  '<!-- alarm-runbook:start (generated from lib/constructs/alarms.ts by `npm run docs:alarms`; do not edit) -->';
export const RUNBOOK_END = '<!-- alarm-runbook:end -->';

const COMPARISON_SYMBOL: Record<string, string> = {
  [cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD]: '≥',
  [cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD]: '>',
  [cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD]: '<',
  [cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD]: '≤',
};

const MISSING_DATA: Record<cloudwatch.TreatMissingData, string> = {
  [cloudwatch.TreatMissingData.BREACHING]: '`breaching` (no data fires the alarm)',
  [cloudwatch.TreatMissingData.NOT_BREACHING]: '`notBreaching` (no data is OK)',
  [cloudwatch.TreatMissingData.IGNORE]: '`ignore` (the state stays)',
  [cloudwatch.TreatMissingData.MISSING]: '`missing`',
};

/** `` `AWS/SQS` `ApproximateAgeOfOldestMessage` ``, or a math expression over metric names. */
function metricText(metric: cloudwatch.IMetric): string {
  const config = metric.toMetricConfig();
  if (config.metricStat) {
    return `\`${config.metricStat.namespace}\` \`${config.metricStat.metricName}\``;
  }
  if (config.mathExpression) {
    const { expression, usingMetrics } = config.mathExpression;
    const namespaces = new Set<string>();
    let text = expression;
    for (const [id, used] of Object.entries(usingMetrics)) {
      const stat = used.toMetricConfig().metricStat;
      if (!stat) continue;
      namespaces.add(stat.namespace);
      text = text.replace(new RegExp(`\\b${id}\\b`, 'g'), stat.metricName);
    }
    return `\`${text}\` (\`${[...namespaces].join('`, `')}\`)`;
  }
  throw new Error('an alarm metric is neither a metric nor a math expression');
}

function thresholdText(row: AlarmRow): string {
  if (row.unit === 'seconds') {
    return row.threshold % 60 === 0 ? `${row.threshold} s (${row.threshold / 60} min)` : `${row.threshold} s`;
  }
  return String(row.threshold);
}

function periodsText(row: AlarmRow): string {
  if (typeof row.evaluationPeriods === 'number') {
    return row.evaluationPeriods === 1 ? '' : `, ${row.evaluationPeriods} periods in a row`;
  }
  const { setting } = row.evaluationPeriods;
  return `, for \`${setting}\` (default ${parseBridgeConfig({})[setting]}) periods in a row`;
}

/** Text as one Markdown table cell: pipes escaped, on one line. */
export function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * The runbook table, one line per row of `ALARMS` in table order, rendered from the row and the
 * metric of an alarm built from it (`alarms`: every alarm of a stack, e.g. `stack.alarms.alarms`).
 * Throws when a row has no alarm in `alarms`.
 */
export function runbookMarkdown(alarms: readonly BuiltAlarm[]): string {
  const lines = [
    '| alarm | notifies | fires when | missing data | what happened | what to do |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [kind, row] of alarmRows()) {
    const built = alarms.filter((alarm) => alarm.kind === kind);
    const first = built[0];
    if (first === undefined) {
      throw new Error(`no ${kind} alarm was built, so its metric cannot be shown`);
    }
    let firesWhen = `${row.statistic} of ${metricText(first.alarm.metric)} per ${row.period.toHumanString()} ${COMPARISON_SYMBOL[row.comparison] ?? row.comparison} ${thresholdText(row)}${periodsText(row)}`;
    if (row.watches === 'dead-letter queue') {
      const owners = built.map((alarm) => alarm.owner).filter((owner) => owner !== undefined);
      firesWhen += `; one alarm per dead-letter queue (${[...owners, 'each consumer'].join(', ')})`;
    }
    const notifies = row.severity === 'pages' ? 'pages (`AlarmTopicArn`)' : 'informs (`NoticeTopicArn`)';
    lines.push(
      `| ${[kind, notifies, firesWhen, MISSING_DATA[row.treatMissingData], row.happened, row.action].map(cell).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * `document` with the text between {@link RUNBOOK_START} and {@link RUNBOOK_END} replaced by
 * `table`. Throws when the markers are missing or out of order.
 */
export function withRunbook(document: string, table: string): string {
  const start = document.indexOf(RUNBOOK_START);
  const end = document.indexOf(RUNBOOK_END);
  if (start === -1 || end < start) {
    throw new Error(`the document has no "${RUNBOOK_START}" … "${RUNBOOK_END}" block`);
  }
  return `${document.slice(0, start + RUNBOOK_START.length)}\n${table}\n${document.slice(end)}`;
}

/**
 * The Markdown files of the repository at `root` that may hold the runbook: the README and
 * everything under `docs/`, as paths relative to `root`.
 */
export function documentationFiles(root: string): string[] {
  const docs = path.join(root, 'docs');
  const underDocs = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.md'))
        .map((name) => path.join('docs', name))
    : [];
  return ['README.md', ...underDocs.sort()];
}

/** The one documentation file holding the runbook markers; throws when none or several do. */
export function runbookDocument(root: string): string {
  const holders = documentationFiles(root).filter((file) =>
    readFileSync(path.join(root, file), 'utf8').includes(RUNBOOK_START),
  );
  if (holders.length !== 1) {
    throw new Error(
      `expected one documentation file with the alarm runbook markers, found ${holders.length}: ${holders.join(', ')}`,
    );
  }
  return holders[0] as string;
}
