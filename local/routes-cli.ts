/**
 * `npm run routes -- [--format table|markdown|json] [--pattern-file FILE]... [--template FILE]
 * [--samples DIR]`: which Braze event types every rule on the bus receives, and which no rule but
 * the archive does (see `local/routes/report.ts`). Without `--template` it synthesizes the app as
 * `cdk synth` does (the CDK app of `cdk.json`, so consumers added in `bin/currents-bridge.ts` are
 * there), without bundling the functions' code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { InvalidEventPatternError } from './event-pattern';
import { sampleEvents } from './event-pattern/pattern-trial';
import {
  type RuleSource,
  reportJson,
  reportMarkdown,
  reportTable,
  routingReport,
  ruleFromPatternFile,
  rulesFromTemplate,
} from './routes/report';
import type { CloudFormationTemplate } from './stand-ins/eventbridge/routes';

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const FORMATS = ['table', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `Usage: npm run routes -- [options]

For every rule on the currents-bridge bus (the archive, each consumer, and the rules in the pattern
files you give), which Braze event types it receives, and which types no rule but the archive does.
Each type is tried with a realistic event, wrapped exactly as the receiver publishes it.

Options:
  --format table|markdown|json  output (default table); json is
                                {"rules":[{"rule","eventTypes","partly"}],"unrouted":[...]}
  --pattern-file FILE           a rule another stack attaches: its event pattern, or the output of
                                \`aws events describe-rule\` (repeatable)
  --template FILE               read this synthesized template (e.g. cdk.out/CurrentsBridge.template.json)
                                instead of synthesizing the app
  --samples DIR                 also try every event of the *.json files in DIR (each a JSON array of
                                Braze events), e.g. ../shared/braze-currents/samples: a rule that
                                matches some events of a type and not others receives it "partly"
  -h, --help                    this text

Exit status: 0 with a report, 1 when a pattern is one EventBridge would refuse, 2 for a usage error
or a file that cannot be read.`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Synthesizes the app of `cdk.json` into a temp dir (no bundling, no CloudFormation validation). */
export function synthesizeAppTemplate(): CloudFormationTemplate {
  const outdir = mkdtempSync(join(tmpdir(), 'currents-routes-'));
  try {
    const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { app: string };
    const result = spawnSync(cdkJson.app, {
      cwd: repoRoot,
      shell: true,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
        CDK_VALIDATION: 'false',
        CDK_DISABLE_VERSION_CHECK: 'true',
      },
    });
    if (result.status !== 0) {
      throw new Error(`synthesizing the app failed:\n${(result.stderr || result.stdout || '').trim()}`);
    }
    const templates = readdirSync(outdir).filter(
      (name) => name.endsWith('.template.json') && !name.includes('.nested.'),
    );
    if (templates.length !== 1)
      throw new Error(`expected one stack template in ${outdir}, found ${templates.length}`);
    return JSON.parse(readFileSync(join(outdir, templates[0] as string), 'utf8')) as CloudFormationTemplate;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the ${what} ${path}${code ? ` (${code})` : ''}`);
  }
}

class UsageError extends Error {}

/** Runs the CLI; returns the exit status. `synthesize` is the app synthesis (replaceable in tests). */
export function runRoutesCli(
  argv: readonly string[],
  output: CliOutput,
  synthesize: () => CloudFormationTemplate = synthesizeAppTemplate,
): number {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    output.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    output.stdout(USAGE);
    return 0;
  }
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) {
    output.stderr(`--format must be one of ${FORMATS.join(', ')}\n\n${USAGE}`);
    return 2;
  }

  try {
    let template: CloudFormationTemplate;
    if (values.template === undefined) {
      template = synthesize();
    } else {
      try {
        template = JSON.parse(readText(values.template, 'template')) as CloudFormationTemplate;
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`the template ${values.template} is not JSON`);
      }
    }
    let fromTemplate: ReturnType<typeof rulesFromTemplate>;
    try {
      fromTemplate = rulesFromTemplate(template);
    } catch (error) {
      throw new UsageError(`not a currents-bridge template: ${(error as Error).message}`);
    }
    const rules: RuleSource[] = [...fromTemplate.rules];
    for (const file of values['pattern-file'] ?? []) {
      try {
        rules.push(ruleFromPatternFile(file, readText(file, 'pattern file')));
      } catch (error) {
        if (error instanceof InvalidEventPatternError) {
          output.stderr(`${file}: ${error.message}`);
          return 1;
        }
        throw error;
      }
    }
    let samples: unknown[] = [];
    if (values.samples !== undefined) {
      try {
        samples = sampleEvents(values.samples);
      } catch (error) {
        throw new UsageError(`cannot read the samples in ${values.samples}: ${(error as Error).message}`);
      }
    }
    const extraTypes = Object.values(template.Resources ?? {})
      .map(
        (resource) =>
          (resource?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
            ?.Variables?.EXTRA_EVENT_TYPES,
      )
      .find((value): value is string => typeof value === 'string');
    const eventTypes = [
      ...new Set<string>([...BRAZE_EVENT_TYPES, ...(extraTypes ? extraTypes.split(',') : [])]),
    ];
    const report = routingReport(rules, { source: fromTemplate.source, eventTypes, samples });
    output.stdout(
      format === 'json'
        ? reportJson(report)
        : format === 'markdown'
          ? reportMarkdown(report)
          : reportTable(report),
    );
    return 0;
  } catch (error) {
    output.stderr((error as Error).message);
    return 2;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: false,
    options: {
      format: { type: 'string' },
      'pattern-file': { type: 'string', multiple: true },
      template: { type: 'string' },
      samples: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runRoutesCli(process.argv.slice(2), {
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
  });
}
