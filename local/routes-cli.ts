/**
 * `npm run routes -- [--format table|markdown|json] [--pattern-file FILE]... [--template FILE]
 * [--samples DIR]`: which Braze event types every rule on the bus receives, and which no rule but
 * the archive does (see `local/routes/report.ts`). Without `--template` it synthesizes the app as
 * `cdk synth` does (the CDK app of `cdk.json`, so consumers added in `bin/currents-bridge.ts` are
 * there), without bundling the functions' code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BRAZE_EVENT_TYPES } from '#lambdas/shared/event-types';
import { runCli, UserError, usageError } from '#lib/cli';
import { InvalidEventPatternError } from './event-pattern';
import { type SampleEvents, sampleEvents } from './event-pattern/pattern-trial';
import {
  type EventOrigin,
  originFromRuleArn,
  originNote,
  PLACEHOLDER_ORIGIN,
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
  --account ID, --region NAME   the deployment's account and Region, which EventBridge puts in every
                                event (default: the stack's environment when the synthesis knows it,
                                else the ARN of a describe-rule pattern file, else 000000000000 and
                                us-east-1, and a rule filtering on account or region is flagged)
  -h, --help                    this text

Exit status: 0 with a report, 1 when a pattern is one EventBridge would refuse, 2 for a usage error
or a file that cannot be read.`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** A synthesized stack: its template, and the account and Region of its environment when concrete. */
export interface SynthesizedStack {
  template: CloudFormationTemplate;
  account?: string;
  region?: string;
}

/**
 * The account and Region of the stack whose template is `templateFile`, from the cloud assembly's
 * `manifest.json` beside it (`"environment": "aws://<account>/<region>"`); a part the synthesis did
 * not know (`unknown-account`, `unknown-region`) or a missing manifest gives nothing.
 */
export function stackEnvironment(templateFile: string): { account?: string; region?: string } {
  const manifestFile = join(dirname(templateFile), 'manifest.json');
  if (!existsSync(manifestFile)) return {};
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      artifacts?: Record<string, { environment?: string; properties?: { templateFile?: string } }>;
    };
    const artifact = Object.values(manifest.artifacts ?? {}).find(
      (candidate) => candidate.properties?.templateFile === basename(templateFile),
    );
    const match = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(artifact?.environment ?? '');
    if (!match) return {};
    const [, account, region] = match as unknown as [string, string, string];
    return {
      ...(/^\d{12}$/.test(account) ? { account } : {}),
      ...(region !== 'unknown-region' ? { region } : {}),
    };
  } catch {
    return {};
  }
}

/** Synthesizes the app of `cdk.json` into a temp dir (no bundling, no CloudFormation validation). */
export function synthesizeAppTemplate(): SynthesizedStack {
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
      // The app prints a user error (a bad setting) as one message; say where it came from.
      throw new UserError(
        `synthesizing the app (${cdkJson.app}) failed; fix it, or pass --template FILE:\n${(result.stderr || result.stdout || '').trim()}`,
      );
    }
    const templates = readdirSync(outdir).filter(
      (name) => name.endsWith('.template.json') && !name.includes('.nested.'),
    );
    if (templates.length !== 1)
      throw new Error(`expected one stack template in ${outdir}, found ${templates.length}`);
    const templateFile = join(outdir, templates[0] as string);
    return {
      template: JSON.parse(readFileSync(templateFile, 'utf8')) as CloudFormationTemplate,
      ...stackEnvironment(templateFile),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`cannot read the ${what} ${path}${code ? ` (${code})` : ''}`);
  }
}

/** An AWS account id: 12 digits. */
const ACCOUNT_ID = /^\d{12}$/;
/** A Region code such as `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The `account` and `region` to publish the tried events from: the flags, else the stack's
 * environment, else the ARN of a describe-rule pattern file, else local mode's placeholders.
 */
function eventOrigin(
  flags: { account?: string; region?: string },
  stack: { account?: string; region?: string },
  rules: readonly RuleSource[],
): EventOrigin {
  const fromArn = rules
    .map((rule) => (rule.arn ? { rule, origin: originFromRuleArn(rule.arn) } : undefined))
    .find((found) => found?.origin !== undefined);
  const candidates: { account?: string; region?: string; from: string }[] = [
    { ...flags, from: '--account/--region' },
    { ...stack, from: "the stack's environment" },
    ...(fromArn?.origin ? [{ ...fromArn.origin, from: `the ARN of ${fromArn.rule.name}` }] : []),
  ];
  const account = candidates.find((candidate) => candidate.account !== undefined);
  const region = candidates.find((candidate) => candidate.region !== undefined);
  if (!account && !region) return PLACEHOLDER_ORIGIN;
  const from = [...new Set([account?.from, region?.from].filter((text) => text !== undefined))].join(', ');
  return {
    account: account?.account ?? PLACEHOLDER_ORIGIN.account,
    region: region?.region ?? PLACEHOLDER_ORIGIN.region,
    from: `${from}${!account ? `; account unknown, ${PLACEHOLDER_ORIGIN.account} used` : ''}${!region ? `; region unknown, ${PLACEHOLDER_ORIGIN.region} used` : ''}`,
  };
}

/**
 * Runs the CLI; returns 0 with a report. `synthesize` is the app synthesis (replaceable in tests).
 * Run it through `runCli` (`lib/cli.ts`), which prints what it throws.
 * @throws UserError for what the user can fix: a bad option, a file that cannot be read, a template
 *   that is not currents-bridge's (exit status 2), a pattern EventBridge would refuse (1)
 */
export function runRoutesCli(
  argv: readonly string[],
  output: CliOutput,
  synthesize: () => SynthesizedStack = synthesizeAppTemplate,
): number {
  const { values } = parse(argv);
  if (values.help) {
    output.stdout(USAGE);
    return 0;
  }
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) {
    throw usageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }
  if (values.account !== undefined && !ACCOUNT_ID.test(values.account)) {
    throw usageError(`--account must be a 12-digit AWS account id, got "${values.account}"`);
  }
  if (values.region !== undefined && !REGION.test(values.region)) {
    throw usageError(`--region must be an AWS Region code such as eu-west-1, got "${values.region}"`);
  }

  let stack: SynthesizedStack;
  if (values.template === undefined) {
    stack = synthesize();
  } else {
    const text = readText(values.template, 'template');
    try {
      stack = { template: JSON.parse(text) as CloudFormationTemplate, ...stackEnvironment(values.template) };
    } catch {
      throw usageError(
        `the template ${values.template} is not JSON: give a synthesized template (cdk.out/<stack>.template.json)`,
      );
    }
  }
  let fromTemplate: ReturnType<typeof rulesFromTemplate>;
  try {
    fromTemplate = rulesFromTemplate(stack.template);
  } catch (error) {
    throw usageError(`not a currents-bridge template: ${(error as Error).message}`);
  }
  const rules: RuleSource[] = [...fromTemplate.rules];
  for (const file of values['pattern-file'] ?? []) {
    try {
      rules.push(ruleFromPatternFile(file, readText(file, 'pattern file')));
    } catch (error) {
      if (error instanceof InvalidEventPatternError) {
        throw new UserError(`${file}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
  let samples: SampleEvents = { events: [], texts: [] };
  if (values.samples !== undefined) {
    try {
      samples = sampleEvents(values.samples);
    } catch (error) {
      throw usageError(`cannot read the samples in ${values.samples}: ${(error as Error).message}`);
    }
  }
  const extraTypes = Object.values(stack.template.Resources ?? {})
    .map(
      (resource) =>
        (resource?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.EXTRA_EVENT_TYPES,
    )
    .find((value): value is string => typeof value === 'string');
  const eventTypes = [
    ...new Set<string>([...BRAZE_EVENT_TYPES, ...(extraTypes ? extraTypes.split(',') : [])]),
  ];
  const origin = eventOrigin(
    {
      ...(values.account === undefined ? {} : { account: values.account }),
      ...(values.region === undefined ? {} : { region: values.region }),
    },
    stack,
    rules,
  );
  const report = routingReport(rules, {
    source: fromTemplate.source,
    eventTypes,
    samples: samples.events,
    sampleTexts: samples.texts,
    origin,
  });
  if (format === 'json') {
    output.stdout(reportJson(report));
    // JSON output keeps its documented shape; the note goes to stderr.
    const note = originNote(report);
    if (note !== undefined && origin.from === undefined) output.stderr(note);
  } else {
    output.stdout(format === 'markdown' ? reportMarkdown(report) : reportTable(report));
  }
  return 0;
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
      account: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli(() =>
    runRoutesCli(process.argv.slice(2), {
      stdout: (text) => console.log(text),
      stderr: (text) => console.error(text),
    }),
  );
}
