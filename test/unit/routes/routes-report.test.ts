/**
 * `npm run routes`: the routing report from a synthesized template plus pattern files, in its
 * three formats, and its errors (no stack traces).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRAZE_EVENT_TYPES, propertyFields } from '#lambdas/shared/event-types';
import { routingReport, summarizeTypes } from '#local/routes/report';
import { runRoutesCli, type SynthesizedStack, synthesizeAppTemplate } from '#local/routes-cli';
import { synthesize } from '#test/cdk/synth';
import { STACK_FRAME as NODE_STACK_FRAME, runInProcess } from '#test/cli-process';

const EMAIL_TYPES = BRAZE_EVENT_TYPES.filter((type) => type.startsWith('users.messages.email.'));
const SMS_TYPES = BRAZE_EVENT_TYPES.filter((type) => type.startsWith('users.messages.sms.'));

/** A line of a JavaScript stack trace (EventBridge's own messages have an `at [Source: …]` line). */
const STACK_FRAME = /\n\s+at .*:\d+:\d+\)?$/m;

let dir: string;
let templateFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'routes-test-'));
  const { template } = synthesize({
    context: { extraEventTypes: 'users.messages.hologram.Beam' },
    configure: (stack) => {
      stack.routing.addConsumer('EmailToCrm', {
        eventTypes: ['users.messages.email.*'],
        target: new sqs.Queue(stack, 'CrmQueue', { enforceSSL: true }),
      });
    },
  });
  templateFile = join(dir, 'template.json');
  writeFileSync(templateFile, JSON.stringify(template.toJSON()));
  // A rule another stack attaches, as `aws events describe-rule` prints it: SMS from Canvases only.
  writeFileSync(
    join(dir, 'canvas-sms.json'),
    JSON.stringify({
      Name: 'canvas-sms-to-analytics',
      EventBusName: 'CurrentsBridgeBus',
      EventPattern: JSON.stringify({
        source: ['braze.currents'],
        'detail-type': [{ prefix: 'users.messages.sms.' }],
        detail: { properties: { canvas_id: [{ exists: true }] } },
      }),
    }),
  );
  writeFileSync(join(dir, 'purchases.json'), JSON.stringify({ 'detail-type': ['users.behaviors.Purchase'] }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ 'detail-type': [{ prefix: 5 }] }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `npm run routes` in-process, through `runCli` as its entry point. */
async function run(argv: string[], synthesize?: () => SynthesizedStack) {
  const out: string[] = [];
  const err: string[] = [];
  const { code, stderr } = await runInProcess(() =>
    runRoutesCli(argv, { stdout: (text) => out.push(text), stderr: (text) => err.push(text) }, synthesize),
  );
  expect(stderr).not.toMatch(NODE_STACK_FRAME);
  return {
    status: code,
    stdout: out.join('\n'),
    stderr: [...err, stderr.replace(/\n$/, '')].filter(Boolean).join('\n'),
  };
}

type JsonReport = { rules: { rule: string; eventTypes: string[]; partly: string[] }[]; unrouted: string[] };

describe('routes report', () => {
  it('lists what every rule on the bus and every pattern file receives, and what only the archive does', async () => {
    // Act
    const { status, stdout, stderr } = await run([
      '--template',
      templateFile,
      '--format',
      'json',
      '--pattern-file',
      join(dir, 'canvas-sms.json'),
      '--pattern-file',
      join(dir, 'purchases.json'),
    ]);
    // Assess
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as JsonReport;
    expect(Object.keys(report)).toEqual(['rules', 'unrouted']);
    const find = (name: RegExp) => report.rules.find((rule) => name.test(rule.rule));
    const [archive, crm, canvasSms, purchases] = [
      /^ArchiveRule/,
      /EmailToCrm/,
      /^canvas-sms/,
      /^purchases/,
    ].map(find);
    expect(report.rules).toHaveLength(4);
    expect(report.rules.slice(2)).toEqual([canvasSms, purchases]);
    expect(archive?.rule).toMatch(/^ArchiveRule/);
    expect(archive?.eventTypes).toEqual([...BRAZE_EVENT_TYPES, 'users.messages.hologram.Beam'].sort());
    expect(crm?.rule).toMatch(/EmailToCrm/);
    expect(crm).toMatchObject({ eventTypes: EMAIL_TYPES.sort(), partly: [] });
    // canvas_id is optional on every SMS type: a variant without it proves the other outcome.
    expect(canvasSms?.rule).toBe('canvas-sms-to-analytics');
    expect(canvasSms?.partly).toEqual(SMS_TYPES.sort());
    expect(
      SMS_TYPES.every((type) => propertyFields(type).some((f) => f.name === 'canvas_id' && !f.required)),
    ).toBe(true);
    expect(purchases).toEqual({
      rule: 'purchases.json',
      eventTypes: ['users.behaviors.Purchase'],
      partly: [],
    });
    const routed = new Set([...EMAIL_TYPES, ...SMS_TYPES, 'users.behaviors.Purchase']);
    expect(report.unrouted).toEqual(
      [...BRAZE_EVENT_TYPES, 'users.messages.hologram.Beam'].filter((type) => !routed.has(type)),
    );
  });

  it('marks a type partly received when a sample of it proves both outcomes', () => {
    // Prepare: the realistic Purchase has a price; a sample with a price of 0 does not match.
    const pattern = { detail: { properties: { price: [{ numeric: ['>', 0] }] } } };
    const free = {
      event_type: 'users.behaviors.Purchase',
      id: 'f',
      time: 1,
      user: {},
      properties: { price: 0 },
    };
    // Act
    const without = routingReport([{ name: 'paid', kind: 'pattern-file', pattern }], {
      source: 'braze.currents',
      eventTypes: ['users.behaviors.Purchase'],
    });
    const withSample = routingReport([{ name: 'paid', kind: 'pattern-file', pattern }], {
      source: 'braze.currents',
      eventTypes: ['users.behaviors.Purchase'],
      samples: [free],
    });
    // Assess
    expect(without.rules[0]).toMatchObject({ eventTypes: ['users.behaviors.Purchase'], partly: [] });
    expect(withSample.rules[0]).toMatchObject({
      eventTypes: ['users.behaviors.Purchase'],
      partly: ['users.behaviors.Purchase'],
    });
  });

  it('prints a table and a markdown table that summarize families', async () => {
    const table = await run(['--template', templateFile]);
    const markdown = await run(['--template', templateFile, '--format', 'markdown']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/EmailToCrm.*\(consumer\): 11 event types\n {2}users\.messages\.email\.\*/);
    expect(table.stdout).toMatch(/Received by no rule except the archive: 86 event types/);
    expect(markdown.stdout).toMatch(/^\| rule \| kind \| event types received \| only partly \|$/m);
    expect(markdown.stdout).toMatch(/\| archive \| 97: `all 97 event types` \|/);
  });

  it('summarizes a full family as prefix.* and everything as all N', () => {
    expect(summarizeTypes(EMAIL_TYPES, BRAZE_EVENT_TYPES)).toEqual(['users.messages.email.*']);
    expect(summarizeTypes([...EMAIL_TYPES.slice(1)], BRAZE_EVENT_TYPES)).toEqual(EMAIL_TYPES.slice(1).sort());
    expect(summarizeTypes(BRAZE_EVENT_TYPES, BRAZE_EVENT_TYPES)).toEqual(['all 96 event types']);
    // users.canvas.* would also select users.canvas.exit.*: only shown when all of them are in.
    const canvas = BRAZE_EVENT_TYPES.filter((type) => type.startsWith('users.canvas.'));
    expect(canvas.length).toBeGreaterThan(4);
    expect(summarizeTypes(canvas, BRAZE_EVENT_TYPES)).toEqual(['users.canvas.*']);
    const withoutExit = canvas.filter((type) => !type.startsWith('users.canvas.exit.'));
    expect(summarizeTypes(withoutExit, BRAZE_EVENT_TYPES)).not.toContain('users.canvas.*');
    expect(summarizeTypes(['users.UserDeleteRequest', 'users.UserOrphan'], BRAZE_EVENT_TYPES)).toEqual([
      'users.UserDeleteRequest',
      'users.UserOrphan',
    ]);
  });
});

describe('routes and the deployment account and Region', () => {
  const onAccount = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ account: ['111122223333'], region: ['eu-west-1'] }));
    return file;
  };
  const received = (stdout: string, rule: string) =>
    (JSON.parse(stdout) as JsonReport).rules.find((entry) => entry.rule === rule)?.eventTypes.length;

  it('without them, tries the placeholders and says why a rule on account or region receives nothing', async () => {
    const file = onAccount('on-account.json');

    const table = await run(['--template', templateFile, '--pattern-file', file]);
    const json = await run(['--template', templateFile, '--pattern-file', file, '--format', 'json']);

    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/on-account\.json \(pattern-file\): 0 event types/);
    expect(table.stdout).toMatch(
      /^Note: on-account\.json \(account, region\) filters on account or region, and the deployment's are not known here: events are tried from account 000000000000 in us-east-1, .*Pass --account and --region/m,
    );
    expect(received(json.stdout, 'on-account.json')).toBe(0);
    expect(json.stderr).toMatch(/^Note: on-account\.json/);
    // No note when no rule filters on them.
    expect((await run(['--template', templateFile])).stdout).not.toMatch(/Note:/);
  });

  it('takes them from --account and --region', async () => {
    const file = onAccount('on-account-flags.json');

    const result = await run([
      ...['--template', templateFile, '--pattern-file', file, '--format', 'json'],
      ...['--account', '111122223333', '--region', 'eu-west-1'],
    ]);
    const table = await run([
      ...['--template', templateFile, '--pattern-file', file],
      ...['--account', '111122223333', '--region', 'eu-west-1'],
    ]);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(received(result.stdout, 'on-account-flags.json')).toBe(97);
    expect(table.stdout).toContain(
      'Events are tried from account 111122223333, region eu-west-1 (--account/--region).',
    );
  });

  it("takes them from the stack's environment in the cloud assembly, or from a describe-rule ARN", async () => {
    const file = onAccount('on-account-env.json');
    const assembly = join(dir, 'assembly');
    mkdirSync(assembly, { recursive: true });
    const assemblyTemplate = join(assembly, 'CurrentsBridge.template.json');
    writeFileSync(assemblyTemplate, readFileSync(templateFile));
    writeFileSync(
      join(assembly, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          CurrentsBridge: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://111122223333/eu-west-1',
            properties: { templateFile: 'CurrentsBridge.template.json' },
          },
        },
      }),
    );
    const described = join(dir, 'described.json');
    writeFileSync(
      described,
      JSON.stringify({
        Name: 'eu-only',
        Arn: 'arn:aws:events:eu-west-1:111122223333:rule/CurrentsBridgeBus/eu-only',
        EventPattern: JSON.stringify({ region: ['eu-west-1'] }),
      }),
    );

    const fromManifest = await run(['--template', assemblyTemplate, '--pattern-file', file]);
    const fromArn = await run([
      '--template',
      templateFile,
      '--pattern-file',
      file,
      '--pattern-file',
      described,
    ]);

    expect(fromManifest.stdout).toMatch(/on-account-env\.json \(pattern-file\): 97 event types/);
    expect(fromManifest.stdout).toContain("(the stack's environment)");
    expect(fromArn.stdout).toMatch(/on-account-env\.json \(pattern-file\): 97 event types/);
    expect(fromArn.stdout).toMatch(/eu-only \(pattern-file\): 97 event types/);
    expect(fromArn.stdout).toContain('(the ARN of eu-only)');
  });

  it('refuses an account that is not 12 digits and a region that is not a Region code', async () => {
    expect(await run(['--template', templateFile, '--account', '1234'])).toMatchObject({
      status: 2,
      stderr: '--account must be a 12-digit AWS account id, got "1234"',
    });
    expect(await run(['--template', templateFile, '--region', 'Europe'])).toMatchObject({
      status: 2,
      stderr: '--region must be an AWS Region code such as eu-west-1, got "Europe"',
    });
  });
});

describe('routes errors', () => {
  it.each([
    [
      ['--pattern-file', '/nonexistent/rule.json'],
      2,
      /^cannot read the pattern file \/nonexistent\/rule\.json \(ENOENT\)$/,
    ],
    [
      ['--template', '/nonexistent/t.json'],
      2,
      /^cannot read the template \/nonexistent\/t\.json \(ENOENT\)$/,
    ],
    [['--format', 'yaml'], 2, /--format must be one of table, markdown, json/],
    [['--samples', '/nonexistent'], 2, /^cannot read the samples in \/nonexistent/],
    [['--nope'], 2, /Unknown option '--nope'/],
  ])('%j exits %i with a one-line reason', async (argv, status, message) => {
    const result = await run(['--template', templateFile, ...argv]);
    expect(result.status).toBe(status);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stdout).toBe('');
  });

  it('names the file and gives EventBridge’s reason for a pattern it would refuse', async () => {
    const result = await run(['--template', templateFile, '--pattern-file', join(dir, 'bad.json')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^.*bad\.json: .+/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses a template without the receiver', async () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } }));
    const result = await run(['--template', other]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^not a currents-bridge template: no Lambda function with SPILLOVER_QUEUE_URL/,
    );
  });
});

describe('routes without --template', () => {
  it('synthesizes the app of cdk.json, as cdk synth does, and reports its archive rule', async () => {
    const { status, stdout } = await run(['--format', 'json'], synthesizeAppTemplate);
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.rules.map((rule) => rule.rule)).toEqual([expect.stringMatching(/^ArchiveRule/)]);
    expect(report.unrouted).toEqual([...BRAZE_EVENT_TYPES]);
  }, 240_000);
});
