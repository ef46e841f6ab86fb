import type { Db } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/**
 * Price points loaded since `since`, each compared with the point before it in its series: a move beyond
 * `pct` percent fails the series. Only new points are judged, so a jump is reported once, when it arrives.
 * `since` is on the database's clock (it dates `loaded_at`); each result's `details.loadedThrough` is where the
 * next check starts.
 */
export async function checkPriceJumps(db: Db, options: { pct: number; since: Date }): Promise<QualityResult[]> {
  const table = `${db.schemas.staging}.coingecko_prices`;
  const rows = await db.query<{
    coin_id: string;
    vs_currency: string;
    ts: Date | string;
    price: string | number;
    prev_ts: Date | string | null;
    prev_price: string | number | null;
    is_jump: boolean;
    loaded_at: Date | string;
  }>(
    `WITH fresh AS (
       SELECT coin_id, vs_currency, min(ts) AS first_ts FROM ${table} WHERE loaded_at > $1 GROUP BY coin_id, vs_currency
     ), bounds AS (
       -- The point just before the first new one is its predecessor; anything older is not needed.
       SELECT f.coin_id, f.vs_currency, coalesce((SELECT max(q.ts) FROM ${table} q
         WHERE q.coin_id = f.coin_id AND q.vs_currency = f.vs_currency AND q.ts < f.first_ts), f.first_ts) AS from_ts
       FROM fresh f
     ), series AS (
       SELECT p.coin_id, p.vs_currency, p.ts, p.price, p.loaded_at,
         lag(p.ts) OVER w AS prev_ts, lag(p.price) OVER w AS prev_price
       FROM ${table} p JOIN bounds b ON b.coin_id = p.coin_id AND b.vs_currency = p.vs_currency AND p.ts >= b.from_ts
       WINDOW w AS (PARTITION BY p.coin_id, p.vs_currency ORDER BY p.ts)
     )
     SELECT coin_id, vs_currency, ts, price, prev_ts, prev_price, loaded_at,
       coalesce(prev_price > 0 AND abs(price / prev_price - 1) * 100 > $2, false) AS is_jump
     FROM series WHERE loaded_at > $1
     ORDER BY coin_id, vs_currency, ts`,
    [options.since, options.pct],
  );
  const series = new Map<string, { points: number; jumps: Record<string, unknown>[] }>();
  let loadedThrough = options.since;
  for (const row of rows) {
    const subject = `${row.coin_id}/${row.vs_currency}`;
    const entry = series.get(subject) ?? { points: 0, jumps: [] };
    series.set(subject, entry);
    entry.points++;
    // NOTE: the driver cuts loaded_at's microseconds; the next millisecond is past every point judged here.
    const loadedAt = new Date(new Date(row.loaded_at).getTime() + 1);
    if (loadedAt > loadedThrough) loadedThrough = loadedAt;
    if (!row.is_jump) continue;
    entry.jumps.push({
      ts: new Date(row.ts).toISOString(),
      price: Number(row.price),
      previousTs: row.prev_ts ? new Date(row.prev_ts).toISOString() : null,
      previousPrice: Number(row.prev_price),
      changePct: Math.round((Number(row.price) / Number(row.prev_price) - 1) * 10_000) / 100,
    });
  }
  return [...series].map(([subject, s]) => ({
    check: 'price_jumps',
    subject,
    status: s.jumps.length === 0 ? 'passed' : 'failed',
    value: s.jumps.length,
    threshold: options.pct,
    details: {
      newPoints: s.points,
      since: options.since.toISOString(),
      loadedThrough: loadedThrough.toISOString(),
      jumps: s.jumps.slice(0, 10),
    },
  }));
}
