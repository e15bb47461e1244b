import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrazeEvent } from '#local/event-factory';
import { runQueryCli } from '#local/query/cli';
import { factoryEvents, simulate } from '#local/simulator/index';
import { busEvents, busIdCounts, startTestPipeline, type TestPipeline, until } from './pipeline';

const EVENT_COUNT = 1_500;
const TYPES = ['users.messages.email.*', 'users.behaviors.CustomEvent', 'users.behaviors.app.SessionStart'];

/** `npm run query` in-process: exit code and the JSON rows it printed. */
async function query(
  args: string[],
): Promise<{ code: number; rows: Array<Record<string, unknown>>; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runQueryCli(['--format', 'json', ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, rows: code === 0 ? JSON.parse(stdout) : [], stderr };
}

function countsByType(events: readonly BrazeEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.event_type] = (counts[event.event_type] ?? 0) + 1;
  return counts;
}

const PER_TYPE = `SELECT event_type, count(DISTINCT id) AS events FROM events GROUP BY event_type ORDER BY event_type`;

describe('npm run query over what local mode archived', () => {
  let test: TestPipeline;
  let events: BrazeEvent[];

  beforeAll(async () => {
    test = await startTestPipeline();
    events = factoryEvents({ count: EVENT_COUNT, types: TYPES, seed: 11 });
    const report = await simulate({
      url: test.pipeline.url,
      token: test.pipeline.token,
      events,
      concurrency: 4,
    });
    expect(report).toMatchObject({ acknowledged: EVENT_COUNT, dropped: 0 });
    await until(() => busIdCounts(test.pipeline).size >= EVENT_COUNT, `${EVENT_COUNT} ids on the bus`);
    await test.pipeline.settle();
    await until(() => test.pipeline.counts().archived >= EVENT_COUNT, `${EVENT_COUNT} events archived`);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('counts per event type exactly what the simulator sent, while npm start runs', async () => {
    const { code, rows } = await query(['--data-dir', test.pipeline.dataDir, PER_TYPE]);

    expect(code).toBe(0);
    expect(Object.fromEntries(rows.map((row) => [row.event_type, row.events]))).toEqual(countsByType(events));
  });

  it('finds every sent id once with count(DISTINCT id), in the named bucket', async () => {
    const { rows } = await query([
      '--data-dir',
      test.pipeline.dataDir,
      '--bucket',
      test.pipeline.names.archiveBucket,
      'SELECT count(DISTINCT id) AS ids, count(*) AS lines, count_if(id IS NULL) AS unreadable FROM events',
    ]);

    expect(rows).toHaveLength(1);
    expect(rows[0]?.ids).toBe(EVENT_COUNT);
    expect(rows[0]?.unreadable).toBe(0);
    // Every line on the bus is archived once (a copy only comes from a publish retried via the spillover).
    expect(rows[0]?.lines).toBe(busEvents(test.pipeline).length);
  });

  it('reads properties with json_extract_scalar and user fields from the struct, as sent', async () => {
    const sent = events
      .filter((event) => event.event_type === 'users.behaviors.CustomEvent')
      .map((event) => ({ id: event.id, name: event.properties.name, user_id: event.user.user_id }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));

    const { rows } = await query([
      '--data-dir',
      test.pipeline.dataDir,
      `SELECT DISTINCT id, json_extract_scalar(properties, '$.name') AS name, "user".user_id AS user_id
       FROM events WHERE event_type = 'users.behaviors.CustomEvent' ORDER BY id`,
    ]);

    expect(sent.length).toBeGreaterThan(50);
    expect(rows).toEqual(sent);
  });

  it('answers the same after npm start stopped, through the npm script', async () => {
    await test.pipeline.stop();

    const output = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          'npm',
          ['run', '-s', 'query', '--', '--format', 'json', '--data-dir', test.pipeline.dataDir, PER_TYPE],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      },
    );

    expect(output.stderr).toBe('');
    expect(output.code).toBe(0);
    const rows = JSON.parse(output.stdout) as Array<{ event_type: string; events: number }>;
    expect(Object.fromEntries(rows.map((row) => [row.event_type, row.events]))).toEqual(countsByType(events));
  });
});
