import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cell,
  RUNBOOK_END,
  RUNBOOK_START,
  runbookDocument,
  runbookMarkdown,
  withRunbook,
} from '#lib/alarm-runbook';
import { CONFIG_KEYS, parseBridgeConfig } from '#lib/config';
import { ALARMS, type AlarmRow } from '#lib/constructs/alarms';
import { type Synthesized, synthesize } from './synth';

const root = fileURLToPath(new URL('../..', import.meta.url));
const stackDoc = readFileSync(path.join(root, 'docs/operations.md'), 'utf8');

describe('the stack documentation', () => {
  let synthesized: Synthesized;
  let runbookFile: string;
  let runbookDoc: string;

  beforeAll(() => {
    synthesized = synthesize();
    runbookFile = runbookDocument(root);
    runbookDoc = readFileSync(path.join(root, runbookFile), 'utf8');
  });

  it('lists every setting the stack reads in its "Default settings" table', () => {
    for (const key of CONFIG_KEYS) {
      expect(stackDoc).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
    }
  });

  it('shows the alarm runbook exactly as the alarm table renders it (npm run docs:alarms)', () => {
    const expected = withRunbook(runbookDoc, runbookMarkdown(synthesized.stack.alarms.alarms));

    expect(runbookDoc, `${runbookFile} is out of date: run npm run docs:alarms`).toBe(expected);
  });

  it('has a runbook line for every alarm with its metric, threshold, period, missing data, topic and text', () => {
    const block = runbookDoc.slice(runbookDoc.indexOf(RUNBOOK_START), runbookDoc.indexOf(RUNBOOK_END));
    const lines = block.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| alarm |'));
    const symbols: Partial<Record<cloudwatch.ComparisonOperator, string>> = {
      [cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD]: '≥',
      [cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD]: '<',
    };

    expect(lines.slice(1).map((line) => line.split(' | ')[0]?.slice(2))).toEqual(Object.keys(ALARMS));
    for (const [kind, row] of Object.entries(ALARMS) as [string, AlarmRow][]) {
      const line = lines.find((candidate) => candidate.startsWith(`| ${kind} |`)) ?? '';
      const built = synthesized.stack.alarms.alarms.find((alarm) => alarm.kind === kind);
      const metricName = built?.alarm.metric.toMetricConfig().metricStat?.metricName;
      const periods =
        typeof row.evaluationPeriods === 'number'
          ? row.evaluationPeriods
          : parseBridgeConfig({})[row.evaluationPeriods.setting];

      expect(line, kind).toContain(`${row.statistic} of `);
      expect(line, kind).toContain(
        `per ${row.period.toHumanString()} ${symbols[row.comparison]} ${row.threshold}`,
      );
      expect(line, kind).toContain(`\`${row.treatMissingData}\``);
      expect(line, kind).toContain(row.severity === 'pages' ? '`AlarmTopicArn`' : '`NoticeTopicArn`');
      expect(line, kind).toContain(cell(row.happened));
      expect(line, kind).toContain(cell(row.action));
      if (metricName !== undefined) expect(line, kind).toContain(`\`${metricName}\``);
      if (periods !== 1) expect(line, kind).toContain(`default ${periods}`);
    }
  });

  it('refuses to render a runbook row that has no alarm, or a document without the markers', () => {
    const withoutSilence = synthesized.stack.alarms.alarms.filter((alarm) => alarm.kind !== 'Silence');

    expect(() => runbookMarkdown(withoutSilence)).toThrow(/no Silence alarm/);
    expect(() => withRunbook('# no runbook here', '| table |')).toThrow(/alarm-runbook:start/);
  });
});
