import { coincapPrice } from './assets.ts';
import { type CoinCapContext, fail, ok, type RouteResult } from './wire.ts';

const MINUTE = 60_000;
/** The intervals CoinCap accepts, with their spacing. */
export const INTERVALS: Record<string, number> = {
  m1: MINUTE,
  m5: 5 * MINUTE,
  m15: 15 * MINUTE,
  m30: 30 * MINUTE,
  h1: 60 * MINUTE,
  h2: 120 * MINUTE,
  h6: 360 * MINUTE,
  h12: 720 * MINUTE,
  d1: 1440 * MINUTE,
};
/** Without start/end the emulator answers this many points back from now (the real default is unconfirmed). */
const DEFAULT_POINTS = 100;
/** The emulator refuses longer requests, so clients must page through history in windows. */
const MAX_POINTS = 2000;

/**
 * GET /assets/{id}/history?interval[&start&end]: points on the interval's grid (multiples of its spacing since
 * the epoch, so d1 points are 00:00 UTC) within [start, end], never before the coin's listing or after now.
 */
export function handleHistory(id: string, query: Record<string, string>, ctx: CoinCapContext): RouteResult {
  const spec = ctx.catalog.byId.get(id);
  if (!spec) return fail(404, `${id} not found`);
  const interval = query.interval;
  if (!interval) return fail(400, 'missing interval');
  const step = INTERVALS[interval];
  if (!step) return fail(400, `invalid interval ${interval}: use one of ${Object.keys(INTERVALS).join(', ')}`);
  if ((query.start === undefined) !== (query.end === undefined))
    return fail(400, 'start and end must be used together');
  const start = query.start === undefined ? ctx.nowMs - DEFAULT_POINTS * step : Number(query.start);
  const end = query.end === undefined ? ctx.nowMs : Number(query.end);
  if (!Number.isInteger(start) || !Number.isInteger(end)) return fail(400, 'start and end must be UNIX milliseconds');
  if (end <= start) return fail(400, 'end must be after start');
  if ((end - start) / step > MAX_POINTS) return fail(400, `range too large for interval ${interval}`);
  const points: Record<string, unknown>[] = [];
  const last = Math.min(end, ctx.nowMs);
  for (let ts = Math.ceil(Math.max(start, spec.listedAt) / step) * step; ts <= last; ts += step) {
    points.push({
      priceUsd: coincapPrice(spec, ts, ctx.seed).toFixed(16),
      time: ts,
      circulatingSupply: spec.circulatingSupply.toFixed(16),
      date: new Date(ts).toISOString(),
    });
  }
  return ok(points, ctx);
}
