import type { Db } from '../../db/types.ts';
import type { QualityResult } from './types.ts';

/** How far back each series is checked: CoinGecko's hourly points reach back 90 days, daily ones further. */
const WINDOWS = {
  gaps_hourly: { table: 'prices_hourly', column: 'hour', stepMs: 3_600_000, days: 7 },
  gaps_daily: { table: 'prices_daily', column: 'day', stepMs: 86_400_000, days: 90 },
} as const;

/**
 * Missing points inside each coin's hourly and daily price series (between its first and last point of the
 * window; a series that stops early is a freshness problem, not a gap). Each gap is listed, at most ten.
 */
export async function checkGaps(db: Db, now = new Date()): Promise<QualityResult[]> {
  const results: QualityResult[] = [];
  for (const [check, w] of Object.entries(WINDOWS) as [
    keyof typeof WINDOWS,
    (typeof WINDOWS)[keyof typeof WINDOWS],
  ][]) {
    const since = new Date(now.getTime() - w.days * 86_400_000);
    const rows = await db.query<{
      coin_id: string;
      vs_currency: string;
      at: Date | string;
      prev: Date | string | null;
    }>(
      `SELECT coin_id, vs_currency, ${w.column} AS at,
         lag(${w.column}) OVER (PARTITION BY coin_id, vs_currency ORDER BY ${w.column}) AS prev
       FROM ${db.schemas.warehouse}.${w.table} WHERE ${w.column} >= $1
       ORDER BY coin_id, vs_currency, ${w.column}`,
      [since],
    );
    const series = new Map<string, { points: number; missing: number; gaps: { after: string; before: string }[] }>();
    for (const row of rows) {
      const subject = `${row.coin_id}/${row.vs_currency}`;
      const entry = series.get(subject) ?? { points: 0, missing: 0, gaps: [] };
      series.set(subject, entry);
      entry.points++;
      if (row.prev === null) continue;
      const prev = toDate(row.prev);
      const at = toDate(row.at);
      const missing = Math.round((at.getTime() - prev.getTime()) / w.stepMs) - 1;
      if (missing <= 0) continue;
      entry.missing += missing;
      if (entry.gaps.length < 10) entry.gaps.push({ after: prev.toISOString(), before: at.toISOString() });
    }
    for (const [subject, s] of series) {
      results.push({
        check,
        subject,
        status: s.missing === 0 ? 'passed' : 'failed',
        value: s.missing,
        threshold: 0,
        details: { windowDays: w.days, points: s.points, gaps: s.gaps },
      });
    }
  }
  return results;
}

/** `date` columns come back as Date (pg, at local midnight) or text; both mean a UTC day here. */
function toDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}
