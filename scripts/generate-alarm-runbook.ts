/**
 * `npm run docs:alarms`: rewrites the alarm runbook table in the docs from the rows of
 * `lib/constructs/alarms.ts` and the alarms a default stack builds from them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runbookDocument, runbookMarkdown, withRunbook } from '#lib/alarm-runbook';
import { buildApp } from '#lib/app';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = runbookDocument(root);
const { stack } = buildApp({ bundle: false });
const before = readFileSync(path.join(root, file), 'utf8');
const after = withRunbook(before, runbookMarkdown(stack.alarms.alarms));
if (after === before) {
  console.log(`${file}: the alarm runbook is up to date`);
} else {
  writeFileSync(path.join(root, file), after);
  console.log(`${file}: alarm runbook rewritten`);
}
