/**
 * `npm run bench`, figure (d): local query time over 100,000 archived events. The archive is
 * written in local mode's layout (EventFactory events of all 96 types, received over the last 24
 * hours, one object per type and hour, as the local Firehose writes them), then `npm run query`'s
 * engine answers the named query `events-per-type-per-day` (open + view + query, as one CLI call).
 * The floor, measured in the same run: DuckDB counting the same files with `read_json` and no view,
 * macros or typed columns — the bytes read and parsed without what the tool adds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { namedQuery } from '#lib/constructs/query-schema';
import { EventFactory } from '#local/event-factory';
import { type ArchivedLine, writeArchiveObjects } from '#local/query/archive-files';
import { LocalArchiveQuery } from '#local/query/archive-query';
import { median } from './stats';

const EVENTS = Number(process.env.BENCH_QUERY_EVENTS ?? 100_000);
const RUNS = 5;
const BUCKET = 'bench-archive';

export interface LocalQueryFigure {
  events: number;
  objects: number;
  queryMs: number;
  floorMs: number;
  ratio: number;
}

export async function benchLocalQuery(): Promise<LocalQueryFigure> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'currents-bench-query-'));
  try {
    const now = Date.now();
    const lines: ArchivedLine[] = new EventFactory({ seed: 2026, time: Math.floor(now / 1000) - 3_600 })
      .many(EVENTS)
      .map((event, index) => ({ event, arrival: new Date(now - (index % 24) * 3_600_000) }));
    const objects = writeArchiveObjects(dataDir, BUCKET, lines).length;
    const sql = namedQuery('events-per-type-per-day')?.sql ?? '';
    const glob = path.join(dataDir, 's3', BUCKET, 'events', '*', '*', '*', '*.gz');

    const floorDb = await DuckDBInstance.create(':memory:');
    const floorConnection = await floorDb.connect();
    const queryRuns: number[] = [];
    const floorRuns: number[] = [];
    let counted = 0;
    // Interleaved, so load on the machine weighs on both alike; the first pair warms the file cache.
    for (let run = 0; run <= RUNS; run++) {
      let start = performance.now();
      const session = await LocalArchiveQuery.open({ dataDir });
      const result = await session.query(sql);
      session.close();
      const queryMs = performance.now() - start;
      counted = result.rows.reduce((sum, row) => sum + Number(row[2]), 0);

      start = performance.now();
      await floorConnection.runAndReadAll(
        `SELECT count(*) FROM read_json('${glob}', format = 'newline_delimited', compression = 'gzip')`,
      );
      const floorMs = performance.now() - start;
      if (run > 0) {
        queryRuns.push(queryMs);
        floorRuns.push(floorMs);
      }
    }
    floorConnection.closeSync();
    floorDb.closeSync();
    if (counted !== EVENTS) throw new Error(`the named query counted ${counted} events, not ${EVENTS}`);
    const queryMs = median(queryRuns);
    const floorMs = median(floorRuns);
    return { events: EVENTS, objects, queryMs, floorMs, ratio: queryMs / floorMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function describeLocalQuery(figure: LocalQueryFigure): string {
  return (
    `(d) local query time over ${figure.events.toLocaleString('en-US')} archived events (${figure.objects} gzip objects): ` +
    `npm run query --named events-per-type-per-day ${figure.queryMs.toFixed(0)} ms (median of ${RUNS}) vs floor ` +
    `${figure.floorMs.toFixed(0)} ms (DuckDB read_json count(*) of the same files) = ${figure.ratio.toFixed(2)}x`
  );
}
