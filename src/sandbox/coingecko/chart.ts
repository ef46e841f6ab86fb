import type { CoinSpec } from './coins.ts';
import { fail, ok, type RouteContext, type RouteResult } from './context.ts';
import { usdRate, type VsCurrency, vsCurrencyParam } from './currencies.ts';
import { specSnapshot } from './prices.ts';

/** Spacing of chart points, chosen from the requested span as the real API does. */
export type Granularity = '5m' | 'hourly' | 'daily';

type Point = [number, number];

/** Body of /coins/{id}/market_chart and /market_chart/range. */
export interface ChartBody {
  prices: Point[];
  market_caps: Point[];
  total_volumes: Point[];
}

const DAY_MS = 86_400_000;
const STEP_MS: Record<Granularity, number> = { '5m': 300_000, hourly: 3_600_000, daily: DAY_MS };

/** Range rule: within the last day → 5-minutely; up to 90 days → hourly; beyond → daily at 00:00 UTC. */
export function granularityForRange(fromMs: number, toMs: number, nowMs: number): Granularity {
  const span = toMs - fromMs;
  if (span <= DAY_MS && fromMs >= nowMs - DAY_MS) return '5m';
  return span <= 90 * DAY_MS ? 'hourly' : 'daily';
}

/** `days` rule: 1 → 5-minutely; 2…90 → hourly; more → daily. */
export function granularityForDays(days: number): Granularity {
  if (days <= 1) return '5m';
  return days <= 90 ? 'hourly' : 'daily';
}

/** Unix seconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC) → ms; `null` if none of those. */
export function parseInstant(value: string): number | null {
  if (/^\d+(\.\d+)?$/.test(value)) return Math.floor(Number(value) * 1000);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return nullIfNaN(Date.parse(`${value}T00:00:00Z`));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return nullIfNaN(Date.parse(`${value}:00Z`));
  return null;
}

function nullIfNaN(ms: number): number | null {
  return Number.isNaN(ms) ? null : ms;
}

interface SeriesRequest {
  spec: CoinSpec;
  fromMs: number;
  toMs: number;
  granularity: Granularity;
  vs: VsCurrency;
  /** Append a point at "now" after the grid, as /market_chart does. */
  withNow: boolean;
}

// Points sit on the grid (multiples of the step since the epoch, so daily ones are 00:00 UTC), inside
// [from, to], not before listing and not in the future.
function series(req: SeriesRequest, ctx: RouteContext): ChartBody {
  const body: ChartBody = { prices: [], market_caps: [], total_volumes: [] };
  const push = (ts: number) => {
    const snap = specSnapshot(req.spec, ts, ctx.seed);
    const rate = usdRate(req.vs, ts, ctx.seed);
    body.prices.push([ts, snap.price * rate]);
    body.market_caps.push([ts, snap.marketCap * rate]);
    body.total_volumes.push([ts, snap.volume * rate]);
  };
  const step = STEP_MS[req.granularity];
  const end = Math.min(req.toMs, ctx.nowMs);
  let last = Number.NaN;
  for (let ts = Math.ceil(Math.max(req.fromMs, req.spec.listedAt) / step) * step; ts <= end; ts += step) {
    push(ts);
    last = ts;
  }
  const nowInside = ctx.nowMs >= req.fromMs && ctx.nowMs <= req.toMs && ctx.nowMs >= req.spec.listedAt;
  if (req.withNow && nowInside && last !== ctx.nowMs) push(ctx.nowMs);
  return body;
}

/** GET /coins/{id}/market_chart/range?vs_currency&from&to[&interval=daily] */
export function handleMarketChartRange(id: string, query: Record<string, string>, ctx: RouteContext): RouteResult {
  const spec = ctx.catalog.byId.get(id);
  if (!spec) return fail(404, 'coin not found');
  const vs = vsCurrencyParam(query);
  if (typeof vs !== 'string') return vs;
  const bounds: number[] = [];
  for (const name of ['from', 'to'] as const) {
    const raw = query[name];
    if (!raw) return fail(400, `Missing parameter ${name}`);
    const ms = parseInstant(raw);
    if (ms === null) return fail(400, `invalid ${name}`);
    bounds.push(ms);
  }
  const [fromMs = 0, toMs = 0] = bounds;
  const granularity = query.interval === 'daily' ? 'daily' : granularityForRange(fromMs, toMs, ctx.nowMs);
  return ok(series({ spec, fromMs, toMs, granularity, vs, withNow: false }, ctx));
}

/** GET /coins/{id}/market_chart?vs_currency&days[&interval=daily]; `days` may be `max`. */
export function handleMarketChart(id: string, query: Record<string, string>, ctx: RouteContext): RouteResult {
  const spec = ctx.catalog.byId.get(id);
  if (!spec) return fail(404, 'coin not found');
  const vs = vsCurrencyParam(query);
  if (typeof vs !== 'string') return vs;
  const rawDays = query.days?.toLowerCase();
  if (!rawDays) return fail(400, 'Missing parameter days');
  if (rawDays !== 'max' && !/^\d+(\.\d+)?$/.test(rawDays)) return fail(400, 'invalid days');
  const fromMs = rawDays === 'max' ? spec.listedAt : ctx.nowMs - Number(rawDays) * DAY_MS;
  const days = (ctx.nowMs - fromMs) / DAY_MS;
  const granularity = query.interval === 'daily' ? 'daily' : granularityForDays(days);
  return ok(series({ spec, fromMs, toMs: ctx.nowMs, granularity, vs, withNow: true }, ctx));
}
