/**
 * What the local CLIs read from `cdk.json` without loading the CDK (the stack's config module
 * loads aws-cdk-lib, seconds of start-up for a query or a replay).
 */
import { readFileSync } from 'node:fs';

const CDK_JSON_URL = new URL('../cdk.json', import.meta.url);

/**
 * The `extraEventTypes` context setting of `cdk.json` (a list, or a comma-separated string as
 * `-c extraEventTypes=a,b` gives it): event types the user acknowledges beyond the catalog.
 * `[]` when the setting is absent; undefined when `cdk.json` cannot be read or is not JSON.
 */
export function cdkJsonExtraEventTypes(cdkJsonUrl: URL = CDK_JSON_URL): string[] | undefined {
  let context: Record<string, unknown> | undefined;
  try {
    context = (JSON.parse(readFileSync(cdkJsonUrl, 'utf8')) as { context?: Record<string, unknown> }).context;
  } catch {
    return undefined;
  }
  const extra = context?.extraEventTypes;
  const list = typeof extra === 'string' ? extra.split(',') : Array.isArray(extra) ? extra : [];
  return list.map((type) => String(type).trim()).filter((type) => type !== '');
}
