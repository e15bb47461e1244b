/**
 * `npm run bench`: the receiver's cost per 100-event batch, measured two ways.
 *
 * (a) CPU: handler CPU time per batch (EventBridge answered instantly by an in-process fake) over
 *     the floor `JSON.parse(body)` + `JSON.stringify` of each event, as a ratio. Goal ≤ 1.5×.
 *     Printed too, for information: the same with the real AWS SDK client stack in the loop.
 * (b) Wall: one batch against a PutEvents stand-in on loopback that answers after d ms, through the
 *     real SDK client, as a multiple of d. Goal ≤ 1.3× (all chunks are sent at once).
 * (c) Cold start: the receiver bundle's size, and the CPU of a fresh process importing it, over a
 *     bundle of the bare EventBridge client built the same way (bench/cold-start.ts).
 *     Goals ≤ 1.15× CPU, ≤ 1.5× size.
 * (d) Local query time over 100,000 archived events (`bench/query.ts`), against DuckDB reading the
 *     same files without the view, as a ratio (for information; no goal).
 *
 * Prints the figures and whether each goal is met; exits 0 either way (timing is not a test).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { buildReceiverDeps, createReceiverHandler } from '#lambdas/receiver/handler';
import { eventBridgeClientConfig } from '#lambdas/shared/aws';
import { loadReceiverConfig } from '#lambdas/shared/config';
import type { PutEventsPort } from '#lambdas/shared/publisher';
import { createTelemetry } from '#lambdas/shared/telemetry';
import { batchBody, EventFactory } from '#local/event-factory';
import { COLD_START_GOALS, measureColdStart } from './cold-start';
import { benchLocalQuery, describeLocalQuery } from './query';
import { median } from './stats';

const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstuv';
const BATCH_SIZE = 100;
const CPU_ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3_000);
const WARM_UP = 300;
const BLOCKS = 20;
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 50);
const WALL_RUNS = 30;
const GOALS = { cpuRatio: 1.5, wallMultiple: 1.3 } as const;

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const config = loadReceiverConfig({
  EVENT_BUS_NAME: 'bench-bus',
  ARCHIVE_BUCKET: 'bench-bucket',
  SPILLOVER_QUEUE_URL: 'http://127.0.0.1:9/queue/spillover',
  CURRENTS_TOKENS: TOKEN,
});

const events = new EventFactory({ seed: 2026 }).many(BATCH_SIZE);
const body = batchBody(events);

function apiEvent(): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /currents',
    rawPath: '/currents',
    rawQueryString: 'app_group=bench',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'braze-currents-version': '1',
      'content-type': 'application/json',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: '/currents',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: 'bench',
      routeKey: 'POST /currents',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

const context = {
  functionName: 'bench',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 25_000,
} as unknown as Context;

function clients(eventBridgeEndpoint?: string) {
  const base = { region: 'us-east-1', credentials };
  return {
    eventBridge: new EventBridgeClient({
      ...eventBridgeClientConfig(),
      ...base,
      ...(eventBridgeEndpoint ? { endpoint: eventBridgeEndpoint } : {}),
    }),
    s3: new S3Client(base),
    sqs: new SQSClient(base),
    secretsManager: new SecretsManagerClient(base),
  };
}

/** The in-process fake EventBridge: every entry accepted at once. */
const instantBus: PutEventsPort = {
  putEvents: async (entries) => entries.map((_, index) => ({ EventId: `e-${index}` })),
};

/** Powertools writes logs and EMF to stdout; keep the cost of writing them, drop the text. */
function muteStdout(): () => void {
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function cpuPerBatch(run: () => unknown | Promise<unknown>, iterations: number): Promise<number> {
  const start = cpuMicros();
  for (let i = 0; i < iterations; i++) await run();
  return (cpuMicros() - start) / iterations;
}

/**
 * Colleagues' test runs share this machine, so load changes from second to second: floor and
 * handler are measured in alternating blocks, and the median of the per-block figures is reported.
 */
async function interleaved(
  runs: { floor: () => unknown; handler: () => Promise<unknown> },
  iterations: number,
): Promise<{ floor: number; handler: number; ratio: number }> {
  for (let i = 0; i < WARM_UP; i++) {
    runs.floor();
    await runs.handler();
  }
  const perBlock = Math.max(10, Math.floor(iterations / BLOCKS));
  const floors: number[] = [];
  const handlers: number[] = [];
  const ratios: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    const floorMicros = await cpuPerBatch(runs.floor, perBlock);
    const handlerMicros = await cpuPerBatch(runs.handler, perBlock);
    floors.push(floorMicros);
    handlers.push(handlerMicros);
    ratios.push(handlerMicros / floorMicros);
  }
  return { floor: median(floors), handler: median(handlers), ratio: median(ratios) };
}

function floor(): void {
  const parsed = JSON.parse(body) as { events: unknown[] };
  for (const event of parsed.events) JSON.stringify(event);
}

/**
 * A PutEvents stand-in that answers every call after `delayMs`, in a child process: the real
 * EventBridge does its work elsewhere too, so its share must not run on the handler's event loop.
 */
const STAND_IN_SOURCE = `
const http = require('node:http');
const delayMs = Number(process.argv[1]);
const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const count = JSON.parse(Buffer.concat(chunks).toString('utf8')).Entries.length;
    const entries = Array.from({ length: count }, (_, i) => ({ EventId: 'e-' + i }));
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries }));
    }, delayMs);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function delayedPutEvents(delayMs: number): Promise<{ endpoint: string; close: () => void }> {
  const child = spawn(process.execPath, ['-e', STAND_IN_SOURCE, String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
    child.once('exit', (code) => reject(new Error(`PutEvents stand-in exited (${code})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

async function main(): Promise<void> {
  const telemetry = createTelemetry();
  const viaFake = createReceiverHandler(buildReceiverDeps(config, clients(), telemetry, { bus: instantBus }));
  const sdkStandIn = await delayedPutEvents(0);
  const viaSdk = createReceiverHandler(buildReceiverDeps(config, clients(sdkStandIn.endpoint), telemetry));

  const unmute = muteStdout();
  let cpu: { floor: number; handler: number; ratio: number };
  let sdkMicros: number;
  try {
    const check = (await viaFake(apiEvent(), context)) as { statusCode: number; body: string };
    if (check.statusCode !== 200 || !check.body.includes(`"published":${BATCH_SIZE}`)) {
      throw new Error(`the handler did not publish the batch: ${check.statusCode} ${check.body}`);
    }
    cpu = await interleaved({ floor, handler: () => viaFake(apiEvent(), context) }, CPU_ITERATIONS);
    // With the SDK in the loop the CPU figure includes the loopback stand-in's share of the process.
    sdkMicros = (
      await interleaved({ floor, handler: () => viaSdk(apiEvent(), context) }, CPU_ITERATIONS / 10)
    ).handler;
  } finally {
    unmute();
  }
  sdkStandIn.close();

  const delayed = await delayedPutEvents(DELAY_MS);
  const viaDelayed = createReceiverHandler(buildReceiverDeps(config, clients(delayed.endpoint), telemetry));
  const walls: number[] = [];
  const mute = muteStdout();
  try {
    for (let i = 0; i < 3; i++) await viaDelayed(apiEvent(), context);
    for (let i = 0; i < WALL_RUNS; i++) {
      const start = performance.now();
      await viaDelayed(apiEvent(), context);
      walls.push(performance.now() - start);
    }
  } finally {
    mute();
  }
  delayed.close();

  const ratio = cpu.ratio;
  const handlerMicros = cpu.handler;
  const floorMicros = cpu.floor;
  const wall = median(walls);
  const multiple = wall / DELAY_MS;
  const verdict = (met: boolean) => (met ? 'goal met' : 'goal NOT met');
  console.log(
    `receiver benchmark: ${BATCH_SIZE}-event batches of EventFactory events (${Buffer.byteLength(body)} bytes)`,
  );
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(
    `machine: ${cpus().length} cores, load average ${load} (other processes inflate the wall figure most)`,
  );
  console.log(
    `(a) CPU per batch: handler ${(handlerMicros / 1000).toFixed(3)} ms vs floor ${(floorMicros / 1000).toFixed(3)} ms ` +
      `(JSON.parse + JSON.stringify per event) = ${ratio.toFixed(2)}x (goal <= ${GOALS.cpuRatio}x: ${verdict(ratio <= GOALS.cpuRatio)})`,
  );
  console.log(
    `    for information, with the AWS SDK client and a loopback PutEvents in the loop: ${(sdkMicros / 1000).toFixed(3)} ms ` +
      `= ${(sdkMicros / floorMicros).toFixed(2)}x the floor`,
  );
  console.log(
    `(b) wall per batch against PutEvents answering after d=${DELAY_MS} ms: median ${wall.toFixed(1)} ms ` +
      `(min ${Math.min(...walls).toFixed(1)}, max ${Math.max(...walls).toFixed(1)}) = ${multiple.toFixed(2)}x d ` +
      `(goal <= ${GOALS.wallMultiple}x: ${verdict(multiple <= GOALS.wallMultiple)})`,
  );

  const cold = await measureColdStart();
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(
    `(c) cold start vs a bundle of the bare EventBridge client (built as the stack builds functions, median of ${cold.runs} fresh processes each):`,
  );
  console.log(
    `    loaded at start ${kib(cold.receiverBytes.loadedAtStart)} vs ${kib(cold.bareBytes.loadedAtStart)} = ${cold.sizeRatio.toFixed(2)}x ` +
      `(goal <= ${COLD_START_GOALS.sizeRatio}x: ${verdict(cold.sizeRatio <= COLD_START_GOALS.sizeRatio)}); ` +
      `whole asset ${kib(cold.receiverBytes.total)} vs ${kib(cold.bareBytes.total)} (the rest loads on first use)`,
  );
  console.log(
    `    process start + import CPU ${cold.receiverCpuMs.toFixed(0)} ms vs ${cold.bareCpuMs.toFixed(0)} ms = ${cold.cpuRatio.toFixed(2)}x ` +
      `(goal <= ${COLD_START_GOALS.cpuRatio}x: ${verdict(cold.cpuRatio <= COLD_START_GOALS.cpuRatio)})`,
  );

  console.log(describeLocalQuery(await benchLocalQuery()));
}

await main();
