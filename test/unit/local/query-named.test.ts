/**
 * "The same SQL": every named query of the stack runs locally over a simulated archive and returns
 * the numbers computed here, independently, from the events that were archived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES, namedQuery } from '#lib/constructs/query-schema';
import { type BrazeEvent, EventFactory } from '#local/event-factory';
import { writeArchiveObjects } from '#local/query/archive-files';
import { LocalArchiveQuery } from '#local/query/archive-query';

const DAY = 86_400;
const BUCKET = 'archivebucket-test';

interface Archived {
  event: BrazeEvent;
  arrival: Date;
}

const utcDay = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

/** The first and the last second (epoch seconds) of the UTC day `days` before the day of `now`. */
const edgesOfDay = (now: number, days: number) => {
  const start = now - (now % DAY) - days * DAY;
  return [start, start + DAY - 1];
};

/** The UTC day `days` before the day `day` (both YYYY-MM-DD). */
const daysBefore = (day: string, days: number) => utcDay(Date.parse(`${day}T00:00:00Z`) / 1000 - days * DAY);

/**
 * A load like Braze's over the last days: e-mail funnels of two campaigns, sessions of several
 * users, a mix of every other type, and events 40 days old that every query's window leaves out.
 * Each arrives a minute after its Braze time.
 */
function simulatedLoad(now: number): Archived[] {
  const factory = new EventFactory({ seed: 11 });
  const archived: Archived[] = [];
  const add = (
    eventType: string,
    time: number,
    user: Record<string, unknown>,
    properties?: Record<string, unknown>,
  ) => {
    const event = factory.make(eventType, { time });
    event.user = { ...event.user, ...user };
    if (properties) event.properties = { ...event.properties, ...properties };
    archived.push({ event, arrival: new Date((time + 60) * 1000) });
    return event;
  };
  const user = (n: number) => ({ user_id: `braze-${n}`, external_user_id: `ext-${n}` });

  for (const [days, campaign, sent, delivered, opened, clicked] of [
    [1, 'campaign-a', [1, 2, 3, 4, 5], [1, 2, 3, 4], [1, 2, 1], [1]],
    [2, 'campaign-b', [6, 7], [6], [], []],
    [40, 'campaign-a', [8, 9], [8, 9], [8], [8]],
  ] as const) {
    const at = now - days * DAY - 3_600;
    for (const n of sent) add('users.messages.email.Send', at, user(n), { campaign_id: campaign });
    for (const n of delivered)
      add('users.messages.email.Delivery', at + 10, user(n), { campaign_id: campaign });
    for (const n of opened) add('users.messages.email.Open', at + 20, user(n), { campaign_id: campaign });
    for (const n of clicked) add('users.messages.email.Click', at + 30, user(n), { campaign_id: campaign });
  }
  // An open from a Canvas message has no campaign_id: the funnel leaves it out.
  const canvasOpen = add('users.messages.email.Open', now - DAY, user(1));
  delete canvasOpen.properties.campaign_id;

  for (const [days, users] of [
    [0.1, [1, 2, 2, 3]],
    [1.1, [3, 4]],
    [3.1, [1]],
    [45, [1, 5]],
  ] as const) {
    for (const n of users) add('users.behaviors.app.SessionStart', Math.floor(now - days * DAY), user(n));
    add('users.behaviors.app.SessionEnd', Math.floor(now - days * DAY) + 5, user(users[0]));
  }

  // Events on the first and the last second of the days around each window's first day, whatever
  // the time of day of the run: every window's edge has events on both sides of it, also when the
  // queries run on the day after this load was made (a run across UTC midnight).
  for (const days of [6, 7, 8]) {
    for (const time of edgesOfDay(now, days)) add('users.behaviors.CustomEvent', time, user(30 + days));
  }
  for (const days of [29, 30, 31]) {
    for (const time of edgesOfDay(now, days)) add('users.behaviors.app.SessionStart', time, user(1));
  }

  const mix = factory.many(300);
  mix.forEach((event, index) => {
    const time = now - (index % 6) * DAY - index * 7;
    event.time = time;
    if (index % 10 === 0) event.user = { ...event.user, ...user(1) };
    archived.push({ event, arrival: new Date((time + 60) * 1000) });
  });
  return archived;
}

describe('the named queries, run locally over a simulated load', () => {
  let dataDir: string;
  let session: LocalArchiveQuery;
  let archived: Archived[];

  /**
   * Runs a named query and reads `current_date` in one DuckDB transaction. DuckDB fixes
   * `current_date` at the start of the transaction, so `today` is the day the query's windows were
   * computed from, even when the run crosses UTC midnight: the expectations below are computed from
   * it, never from this process's clock.
   */
  const run = async (name: string, parameters: string[] = []) => {
    const query = namedQuery(name);
    if (!query) throw new Error(`no named query ${name}`);
    await session.query('BEGIN TRANSACTION');
    try {
      const today = String((await session.query('SELECT CAST(current_date AS VARCHAR)')).rows[0]?.[0]);
      const result = await session.query(query.sql, parameters);
      const names = result.columns.map((column) => column.name);
      const rows = result.rows.map((row) =>
        Object.fromEntries(names.map((column, index) => [column, row[index]])),
      );
      return { today, rows };
    } finally {
      await session.query('COMMIT');
    }
  };

  // Windows as the queries define them: Braze time within the last N UTC days, arrival within N + 1.
  const inWindow = (entry: Archived, days: number, today: string) => {
    const first = Date.parse(`${daysBefore(today, days)}T00:00:00Z`) / 1000;
    const firstArrival = first - DAY;
    return entry.event.time >= first && entry.arrival.getTime() / 1000 >= firstArrival;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'currents-query-'));
    const now = Math.floor(Date.now() / 1000);
    archived = simulatedLoad(now);
    writeArchiveObjects(dataDir, BUCKET, archived);
    session = await LocalArchiveQuery.open({ dataDir });
  });

  afterAll(() => {
    session?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has a test here for every named query of the stack', () => {
    expect(NAMED_QUERIES.map((query) => query.name).sort()).toEqual([
      'daily-active-users',
      'email-funnel-by-campaign',
      'events-per-type-per-day',
      'newest-events-of-user',
    ]);
  });

  it('events-per-type-per-day: the count of every type on every UTC day of the window', async () => {
    const { today, rows } = await run('events-per-type-per-day');

    const expected = new Map<string, number>();
    for (const entry of archived.filter((item) => inWindow(item, 7, today))) {
      const key = `${entry.event.event_type} ${utcDay(entry.event.time)}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(new Map(rows.map((row) => [`${row.event_type} ${row.day}`, row.events]))).toEqual(expected);
    expect(rows.length).toBe(expected.size);
    const days = rows.map((row) => String(row.day));
    expect(days).toEqual([...days].sort());
    // The window's first day is in, the day before it (which has events too) is not.
    expect(days[0]).toBe(daysBefore(today, 7));
  });

  it('email-funnel-by-campaign: unique users sent, delivered, opened, clicked per campaign', async () => {
    const stages = { Send: 'sent', Delivery: 'delivered', Open: 'opened', Click: 'clicked' } as const;
    const funnels = new Map<string, Record<string, Set<unknown>>>();
    const { today, rows } = await run('email-funnel-by-campaign');

    for (const entry of archived.filter((item) => inWindow(item, 7, today))) {
      const stage =
        stages[entry.event.event_type.replace('users.messages.email.', '') as keyof typeof stages];
      const campaign = entry.event.properties.campaign_id;
      if (
        !entry.event.event_type.startsWith('users.messages.email.') ||
        !stage ||
        typeof campaign !== 'string'
      ) {
        continue;
      }
      const funnel = funnels.get(campaign) ?? {
        sent: new Set(),
        delivered: new Set(),
        opened: new Set(),
        clicked: new Set(),
      };
      funnel[stage]?.add(entry.event.user.user_id);
      funnels.set(campaign, funnel);
    }
    const expected = [...funnels.entries()]
      .map(([campaign_id, funnel]) => ({
        campaign_id,
        sent: funnel.sent?.size,
        delivered: funnel.delivered?.size,
        opened: funnel.opened?.size,
        clicked: funnel.clicked?.size,
      }))
      .sort((a, b) => (b.sent ?? 0) - (a.sent ?? 0) || (a.campaign_id < b.campaign_id ? -1 : 1));
    expect(rows).toEqual(expected);
    expect(rows[0]).toEqual({ campaign_id: 'campaign-a', sent: 5, delivered: 4, opened: 2, clicked: 1 });
    expect(rows).toContainEqual({ campaign_id: 'campaign-b', sent: 2, delivered: 1, opened: 0, clicked: 0 });
  });

  it('daily-active-users: unique users with a session start per UTC day', async () => {
    const { today, rows } = await run('daily-active-users');

    const expected = new Map<string, Set<unknown>>();
    for (const entry of archived.filter(
      (item) => item.event.event_type === 'users.behaviors.app.SessionStart' && inWindow(item, 30, today),
    )) {
      const day = utcDay(entry.event.time);
      expected.set(day, (expected.get(day) ?? new Set()).add(entry.event.user.user_id));
    }
    expect(rows.map((row) => [row.day, row.active_users])).toEqual(
      [...expected.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, users]) => [day, users.size]),
    );
    expect(rows.map((row) => row.active_users)).toContain(3);
    expect(rows[0]?.day).toBe(daysBefore(today, 30));
  });

  it('newest-events-of-user: that user’s 50 newest events, by external_user_id or Braze user_id', async () => {
    // Archived (dt, the arrival day) on the window's first day or later, newest Braze time first.
    const newestOfUser1 = (today: string) =>
      archived
        .filter(
          (entry) =>
            entry.event.user.external_user_id === 'ext-1' &&
            utcDay(entry.arrival.getTime() / 1000) >= daysBefore(today, 30),
        )
        .sort((a, b) => b.event.time - a.event.time || (a.event.id < b.event.id ? -1 : 1))
        .slice(0, 50);

    const byExternal = await run('newest-events-of-user', ['ext-1']);
    const byBrazeId = await run('newest-events-of-user', ['braze-1']);
    const byNobody = await run('newest-events-of-user', ['nobody']);

    const expected = newestOfUser1(byExternal.today);
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(50);
    expect(byExternal.rows.map((row) => row.id)).toEqual(expected.map((entry) => entry.event.id));
    expect(byBrazeId.rows.map((row) => row.id)).toEqual(
      newestOfUser1(byBrazeId.today).map((entry) => entry.event.id),
    );
    expect(byExternal.rows[0]?.properties).toBe(JSON.stringify(expected[0]?.event.properties));
    // The oldest kept arrived on the window's first day: the day before it (which has events of
    // this user too) is left out by the query, not by the limit.
    expect(utcDay((expected.at(-1)?.arrival.getTime() ?? 0) / 1000)).toBe(daysBefore(byExternal.today, 30));
    expect(byNobody.rows).toEqual([]);
  });
});
