import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventColumns, PARTITION_COLUMNS } from '#lib/constructs/query-schema';
import { writeArchiveObjects } from '#local/query/archive-files';
import {
  ArchiveNotFoundError,
  duckDbType,
  LocalArchiveQuery,
  QuerySqlError,
} from '#local/query/archive-query';
import { athenaProjectedEventTypes, DEFAULT_DATA_DIR, runQueryCli } from '#local/query/cli';
import { formatCsv, formatJson, formatTable } from '#local/query/format';
import { DEFAULT_DATA_DIR as LOCAL_MODE_DATA_DIR } from '#local/runtime/start-local';
import { runInProcess, STACK_FRAME } from '#test/cli-process';

const BUCKET = 'archivebucket1234';
const ARRIVAL = new Date('2026-03-04T05:06:07Z');

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'currents-query-unit-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function withSession<T>(run: (session: LocalArchiveQuery) => Promise<T>): Promise<T> {
  const session = await LocalArchiveQuery.open({ dataDir });
  try {
    return await run(session);
  } finally {
    session.close();
  }
}

async function rowsOf(sql: string, parameters: string[] = []) {
  return withSession(async (session) => {
    const result = await session.query(sql, parameters);
    return result.rows.map((row) =>
      Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])),
    );
  });
}

/** `npm run query` in-process, through `runCli` as its entry point: exit status, output, errors. */
async function cli(args: string[]) {
  let stdout = '';
  let printed = '';
  const { code, stderr } = await runInProcess(() =>
    runQueryCli(
      args,
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          printed += text;
        },
      },
      {},
    ),
  );
  expect(stderr).not.toMatch(STACK_FRAME);
  return { code, stdout, stderr: printed + stderr };
}

const event = (overrides: Record<string, unknown> = {}) => ({
  event_type: 'users.behaviors.CustomEvent',
  id: 'id-1',
  time: 1_772_600_000,
  user: { user_id: 'u-1', external_user_id: 'ext-1', timezone: 'UTC' },
  properties: { name: 'signup', custom_properties: { planType: 'pro', seats: 3 } },
  ...overrides,
});

describe('the local table events', () => {
  it('has the Athena table’s columns, types and partition columns, in order', async () => {
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);

    const described = await rowsOf('DESCRIBE events');

    const unquoted = (type: string) => type.replace(/"/g, '');
    expect(described.map((row) => [row.column_name, unquoted(String(row.column_type))])).toEqual([
      ...eventColumns().map((column) => [column.name, unquoted(duckDbType(column.type))]),
      ...PARTITION_COLUMNS.map((column) => [column.name, 'VARCHAR']),
    ]);
    expect(duckDbType('struct<user_id:string,n:bigint>')).toBe('STRUCT("user_id" VARCHAR, "n" BIGINT)');
  });

  it('takes event_type, dt and hour from the key as Athena does: the partition value, not decoded', async () => {
    writeArchiveObjects(dataDir, BUCKET, [
      { event: event(), arrival: ARRIVAL },
      { event: event({ event_type: 'brand new/type', id: 'id-2' }), arrival: ARRIVAL },
    ]);

    const rows = await rowsOf('SELECT event_type, dt, hour, id FROM events ORDER BY id');

    expect(rows).toEqual([
      { event_type: 'users.behaviors.CustomEvent', dt: '2026-03-04', hour: '05', id: 'id-1' },
      { event_type: 'brand%20new%2Ftype', dt: '2026-03-04', hour: '05', id: 'id-2' },
    ]);
  });

  it('keeps properties as the JSON text of the event, case and big numbers included', async () => {
    const line = JSON.stringify(event({ properties: 'PLACEHOLDER' })).replace(
      '"PLACEHOLDER"',
      '{"Name":"x","big":12345678901234567890,"nested":{"a":[1,2]}}',
    );
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), raw: line, arrival: ARRIVAL }]);

    const [row] = await rowsOf(
      `SELECT properties, json_extract_scalar(properties, '$.big') AS big,
              json_extract_scalar(properties, '$.nested') AS nested_scalar,
              json_extract(properties, '$.nested.a') AS nested_json,
              json_extract_scalar(properties, '$.Name') AS name
       FROM events`,
    );

    expect(row).toEqual({
      properties: '{"Name":"x","big":12345678901234567890,"nested":{"a":[1,2]}}',
      big: '12345678901234567890',
      nested_scalar: null,
      nested_json: '[1,2]',
      name: 'x',
    });
  });

  it('reads a line that is not JSON as a row of NULL data columns, as ignore.malformed.json does', async () => {
    writeArchiveObjects(dataDir, BUCKET, [
      { event: event(), arrival: ARRIVAL },
      { event: event(), raw: '{"event_type": "users.behaviors.CustomEvent", "id": ', arrival: ARRIVAL },
    ]);

    const rows = await rowsOf('SELECT id, "time", properties, event_type FROM events ORDER BY id NULLS LAST');

    expect(rows).toEqual([
      expect.objectContaining({ id: 'id-1', time: 1_772_600_000 }),
      { id: null, time: null, properties: null, event_type: 'users.behaviors.CustomEvent' },
    ]);
  });

  it('keeps a claim-check pointer in its own column', async () => {
    const pointer = { bucket: 'archive', key: 'claim-check/2026/x.json', bytes: 400_000 };
    writeArchiveObjects(dataDir, BUCKET, [
      {
        event: {
          event_type: 'users.behaviors.CustomEvent',
          id: 'big',
          time: 1,
          currents_bridge_claim_check: pointer,
        },
        arrival: ARRIVAL,
      },
    ]);

    const rows = await rowsOf('SELECT id, currents_bridge_claim_check, properties FROM events');

    expect(rows).toEqual([{ id: 'big', currents_bridge_claim_check: pointer, properties: null }]);
  });

  it('provides the Trino functions as macros, in UTC', async () => {
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);

    const [row] = await rowsOf(`SELECT
      CAST(from_unixtime(1772600000) AS varchar) AS ts,
      CAST(CAST(from_unixtime(1772600000) AS date) AS varchar) AS day,
      to_unixtime(from_unixtime(1772600000)) AS back,
      CAST(date_trunc('hour', from_unixtime(1772600000)) AS varchar) AS hour,
      CAST(date_add('day', -2, from_unixtime(1772600000)) AS varchar) AS earlier,
      date_format(from_unixtime(1772600000), '%Y-%m-%d %H:%i:%s') AS formatted,
      date_diff('day', from_unixtime(1772600000), from_unixtime(1772600000 + 3 * 86400)) AS days,
      regexp_like('users.messages.email.Open', '^users\\.messages\\.') AS matches,
      cardinality([1, 2, 3]) AS three,
      approx_distinct(id) AS ids,
      current_setting('TimeZone') AS zone
      FROM events`);

    expect(row).toEqual({
      ts: '2026-03-04 04:53:20', // new Date(1772600000e3).toISOString()
      day: '2026-03-04',
      back: 1_772_600_000,
      hour: '2026-03-04 04:00:00',
      earlier: '2026-03-02 04:53:20',
      formatted: '2026-03-04 04:53:20',
      days: 3,
      matches: true,
      three: 3,
      ids: 1,
      zone: 'UTC',
    });
  });

  it('binds ? parameters as text', async () => {
    writeArchiveObjects(dataDir, BUCKET, [
      { event: event(), arrival: ARRIVAL },
      { event: event({ id: 'id-2', user: { user_id: 'u-2' } }), arrival: ARRIVAL },
    ]);

    const rows = await rowsOf('SELECT id FROM events WHERE CAST(? AS varchar) IN ("user".user_id)', ['u-2']);

    expect(rows).toEqual([{ id: 'id-2' }]);
  });

  it('names what is missing: no data dir, nothing archived, several archives', async () => {
    await expect(LocalArchiveQuery.open({ dataDir: path.join(dataDir, 'nope') })).rejects.toThrow(
      /no local S3 data at .*nope.*npm start/,
    );
    mkdirSync(path.join(dataDir, 's3', BUCKET, 'events', 'event_type=x', 'dt=2026-01-01', 'hour=00'), {
      recursive: true,
    });
    await expect(LocalArchiveQuery.open({ dataDir })).rejects.toThrow(
      /no archived object .*npm run simulate/,
    );
    writeArchiveObjects(dataDir, 'other-bucket', [{ event: event(), arrival: ARRIVAL }]);
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);
    await expect(LocalArchiveQuery.open({ dataDir })).rejects.toThrow(/several buckets .*--bucket/);
    await expect(LocalArchiveQuery.open({ dataDir, bucket: 'missing' })).rejects.toBeInstanceOf(
      ArchiveNotFoundError,
    );
    const session = await LocalArchiveQuery.open({ dataDir, bucket: BUCKET });
    session.close();
  });

  it('reports bad SQL as a QuerySqlError with DuckDB’s message', async () => {
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);

    await withSession(async (session) => {
      await expect(session.query('SELEC 1')).rejects.toBeInstanceOf(QuerySqlError);
      await expect(session.query('SELECT nope FROM events')).rejects.toThrow(/nope/);
    });
  });

  it('sees objects written after it opened (it reads the files at each query)', async () => {
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);

    await withSession(async (session) => {
      const before = await session.query('SELECT count(*) FROM events');
      writeArchiveObjects(dataDir, BUCKET, [{ event: event({ id: 'id-2' }), arrival: ARRIVAL }]);
      const after = await session.query('SELECT count(*) FROM events');

      expect([before.rows[0]?.[0], after.rows[0]?.[0]]).toEqual([1, 2]);
    });
  });
});

describe('npm run query', () => {
  it('prints JSON rows with numbers as numbers, and integers or decimals a double cannot hold as strings', async () => {
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);

    const { code, stdout } = await cli([
      '--data-dir',
      dataDir,
      '--format',
      'json',
      `SELECT count(*) AS n, 9007199254740993::BIGINT AS big, 1.5 AS half,
        CAST(9007199254740993 AS DECIMAL(38,0)) AS big_decimal, CAST(12345678901234567.89 AS DECIMAL(38,2)) AS long_decimal,
        "user" FROM events GROUP BY "user"`,
    ]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        n: 1,
        big: '9007199254740993',
        half: 1.5,
        big_decimal: '9007199254740993',
        long_decimal: '12345678901234567.89',
        user: { device_id: null, external_user_id: 'ext-1', timezone: 'UTC', user_id: 'u-1' },
      },
    ]);
  });

  it('runs a named query with its parameter, and refuses a wrong parameter count', async () => {
    const now = Math.floor(Date.now() / 1000);
    writeArchiveObjects(dataDir, BUCKET, [{ event: event({ time: now }), arrival: new Date(now * 1000) }]);

    const found = await cli([
      '--data-dir',
      dataDir,
      '--format',
      'csv',
      '--named',
      'newest-events-of-user',
      '--param',
      'ext-1',
    ]);
    const missing = await cli(['--data-dir', dataDir, '--named', 'newest-events-of-user']);
    const unknown = await cli(['--data-dir', dataDir, '--named', 'nope']);

    expect(found.code).toBe(0);
    expect(found.stdout.split('\r\n')[0]).toBe('event_time,event_type,id,properties');
    expect(found.stdout).toContain(',users.behaviors.CustomEvent,id-1,"{""name"":""signup""');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/takes 1 --param/) });
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no named query "nope".*daily-active-users/),
    });
  });

  it('says so when the result is empty, the archive is missing or the SQL is wrong', async () => {
    const missing = await cli(['--data-dir', dataDir, 'SELECT 1']);
    writeArchiveObjects(dataDir, BUCKET, [{ event: event(), arrival: ARRIVAL }]);
    const empty = await cli(['--data-dir', dataDir, "SELECT id FROM events WHERE id = 'none'"]);
    const bad = await cli(['--data-dir', dataDir, 'SELECT FROM WHERE']);

    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^no local S3 data at .*: start local mode \(npm start\)/),
    });
    expect(empty).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/no rows.*users\.behaviors\.CustomEvent/),
    });
    expect(empty.stdout).toContain('(0 rows)');
    expect(bad).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^the SQL failed \(fix it and run again; .*\): Parser Error/),
    });
  });

  it('warns when the archive holds an event type the Athena table does not project', async () => {
    writeArchiveObjects(dataDir, BUCKET, [
      { event: event({ event_type: 'users.messages.brandnew.Send' }), arrival: ARRIVAL },
    ]);

    const { code, stderr } = await cli(['--data-dir', dataDir, 'SELECT count(*) FROM events']);

    expect(code).toBe(0);
    expect(stderr).toMatch(
      /users\.messages\.brandnew\.Send is in this archive but not in the Athena table's projection.*extraEventTypes/,
    );
  });

  it('reads extraEventTypes from cdk.json, as a list or a comma-separated string', () => {
    const file = path.join(dataDir, 'cdk.json');
    writeFileSync(file, JSON.stringify({ context: { extraEventTypes: 'a.New, b.Other' } }));
    const fromString = athenaProjectedEventTypes(new URL(`file://${file}`));
    writeFileSync(file, JSON.stringify({ context: { extraEventTypes: ['c New'] } }));
    const fromList = athenaProjectedEventTypes(new URL(`file://${file}`));

    expect([fromString?.has('a.New'), fromString?.has('b.Other'), fromList?.has('c%20New')]).toEqual([
      true,
      true,
      true,
    ]);
    expect(fromList?.has('users.messages.email.Open')).toBe(true);
  });

  it('refuses usage mistakes with exit code 2, and uses local mode’s default data dir', async () => {
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringMatching(/give one SQL statement/) });
    expect(await cli(['--format', 'xml', 'SELECT 1'])).toMatchObject({
      code: 2,
      stderr: '--format must be one of table, json, csv, got "xml"\n',
    });
    expect(await cli(['--named', 'daily-active-users', 'SELECT 1'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^give either --named or SQL, not both/),
    });
    expect(await cli(['--nope', 'SELECT 1'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^Unknown option '--nope'.*\nRun with --help/),
    });
    expect(await cli(['--param'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^Option '--param <value>' argument missing/),
    });
    expect((await cli(['--list'])).stdout).toMatch(/^events-per-type-per-day\n/);
    expect(DEFAULT_DATA_DIR).toBe(LOCAL_MODE_DATA_DIR);
  });
});

describe('output formats', () => {
  const result = {
    columns: [
      { name: 'name', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
      { name: 'n', type: 'BIGINT' },
    ],
    rows: [
      ['a, "quoted"\nline', 1, null],
      [null, 22, 3],
    ],
  };

  it('writes CSV as RFC 4180: quoted fields, doubled quotes, CRLF, NULL empty', () => {
    expect(formatCsv(result)).toBe('name,n,n\r\n"a, ""quoted""\nline",1,\r\n,22,3\r\n');
  });

  it('writes JSON row objects, keeping a repeated column name apart', () => {
    expect(JSON.parse(formatJson(result))).toEqual([
      { name: 'a, "quoted"\nline', n: 1, n_2: null },
      { name: null, n: 22, n_2: 3 },
    ]);
  });

  it('aligns a table, numbers to the right, with a row count', () => {
    expect(formatTable(result)).toBe(
      [
        'name             |  n |    n',
        '-----------------+----+-----',
        'a, "quoted" line |  1 | NULL',
        'NULL             | 22 |    3',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });
});
