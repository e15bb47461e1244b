import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../lib/config';
import { ALARM_RUNBOOK } from '../../lib/constructs/alarms';

const stackDoc = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the stack documentation', () => {
  it('lists every setting the stack reads in its "Default settings" table', () => {
    for (const key of CONFIG_KEYS) {
      expect(stackDoc).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
    }
  });

  it('has a runbook row for every alarm, with the same text as the alarm description', () => {
    for (const [kind, entry] of Object.entries(ALARM_RUNBOOK)) {
      const row = stackDoc.split('\n').find((line) => line.startsWith(`| ${kind} (`));
      expect(row, kind).toBeDefined();
      expect(row).toContain(entry.happened);
    }
  });
});
