import type { CoinSpec } from './coins.ts';
import { csv, fail, flag, minuteOf, ok, type RouteContext, type RouteResult } from './context.ts';
import { usdRate, type VsCurrency, vsCurrencyParam } from './currencies.ts';
import { applyMoves } from './faults.ts';
import { specPriceBounds, specSnapshot } from './prices.ts';
import { unit } from './random.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MAX_PER_PAGE = 250;
/** Fixed instant ath dates are spread before, so they do not move with the clock. */
const ATH_ANCHOR_MS = Date.UTC(2025, 0, 1);
const CHANGE_WINDOWS: Record<string, number> = {
  '1h': HOUR_MS,
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '14d': 14 * DAY_MS,
  '30d': 30 * DAY_MS,
  '200d': 200 * DAY_MS,
  '1y': 365 * DAY_MS,
};

interface Ranked {
  spec: CoinSpec;
  rank: number;
  marketCap: number;
  volume: number;
}

type Order = (a: Ranked, b: Ranked) => number;
const ORDERS: Record<string, Order> = {
  market_cap_desc: (a, b) => a.rank - b.rank,
  market_cap_asc: (a, b) => b.rank - a.rank,
  volume_desc: (a, b) => b.volume - a.volume,
  volume_asc: (a, b) => a.volume - b.volume,
  id_asc: (a, b) => (a.spec.id < b.spec.id ? -1 : 1),
  id_desc: (a, b) => (a.spec.id < b.spec.id ? 1 : -1),
};

/** Money amounts: whole units when large (as the sample), 8 significant digits when small. */
function amount(value: number): number {
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(8));
}

function percent(value: number): number {
  return Math.round(value * 1e5) / 1e5;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function positiveInt(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined || raw === '') return fallback;
  return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : null;
}

interface ItemOptions {
  vs: VsCurrency;
  at: number;
  sparkline: boolean;
  changeWindows: string[];
}

function priceIn(spec: CoinSpec, ts: number, vs: VsCurrency, ctx: RouteContext): number {
  return specSnapshot(spec, ts, ctx.seed).price * usdRate(vs, ts, ctx.seed);
}

function marketItem(coin: Ranked, opts: ItemOptions, ctx: RouteContext): Record<string, unknown> {
  const { spec } = coin;
  const { at, vs } = opts;
  const rate = usdRate(vs, at, ctx.seed);
  const now = specSnapshot(spec, at, ctx.seed);
  const dayAgo = specSnapshot(spec, at - DAY_MS, ctx.seed);
  const rateDayAgo = usdRate(vs, at - DAY_MS, ctx.seed);
  const price = now.price * rate;
  const priceDayAgo = dayAgo.price * rateDayAgo;
  const cap = now.marketCap * rate;
  const capDayAgo = dayAgo.marketCap * rateDayAgo;
  let high = Math.max(price, priceDayAgo);
  let low = Math.min(price, priceDayAgo);
  for (let ts = at - DAY_MS + 300_000; ts < at; ts += 300_000) {
    const p = priceIn(spec, ts, vs, ctx);
    high = Math.max(high, p);
    low = Math.min(low, p);
  }
  const fdvSupply = spec.maxSupply ?? (spec.fdvFromTotal ? spec.totalSupply : null);
  const bounds = specPriceBounds(spec);
  const ath = bounds.high * rate;
  const atl = bounds.low * rate;
  const athDate = spec.listedAt + unit('ath', spec.id) * Math.max(0, ATH_ANCHOR_MS - spec.listedAt);
  const atlDate = spec.listedAt + Math.floor(unit('atl', spec.id) * 30) * DAY_MS;
  const roiTimes = spec.icoPrice === null ? null : now.price / spec.icoPrice - 1;
  const item: Record<string, unknown> = {
    id: spec.id,
    symbol: spec.symbol,
    name: spec.name,
    image: `https://assets.coingecko.com/coins/images/${spec.imageId}/large/${spec.id}.png?1696501400`,
    current_price: amount(price),
    market_cap: amount(cap),
    market_cap_rank: coin.rank,
    fully_diluted_valuation: fdvSupply === null ? null : amount(price * fdvSupply),
    total_volume: amount(now.volume * rate),
    high_24h: amount(high),
    low_24h: amount(low),
    price_change_24h: amount(price - priceDayAgo),
    price_change_percentage_24h: percent((price / priceDayAgo - 1) * 100),
    market_cap_change_24h: amount(cap - capDayAgo),
    market_cap_change_percentage_24h: percent((cap / capDayAgo - 1) * 100),
    circulating_supply: spec.circulatingSupply,
    total_supply: spec.totalSupply,
    max_supply: spec.maxSupply,
    ath: amount(ath),
    ath_change_percentage: percent((price / ath - 1) * 100),
    ath_date: iso(Math.min(Math.floor(athDate), at)),
    atl: amount(atl),
    atl_change_percentage: percent((price / atl - 1) * 100),
    atl_date: iso(Math.min(atlDate, at)),
    roi: roiTimes === null ? null : { times: roiTimes, currency: 'usd', percentage: roiTimes * 100 },
    last_updated: iso(at),
  };
  if (opts.sparkline) {
    const hours = Array.from({ length: 168 }, (_, i) => at - (167 - i) * HOUR_MS);
    item.sparkline_in_7d = { price: hours.map((ts) => priceIn(spec, ts, vs, ctx)) };
  }
  for (const window of opts.changeWindows) {
    const span = CHANGE_WINDOWS[window];
    if (span === undefined) continue;
    const before = priceIn(spec, at - span, vs, ctx);
    item[`price_change_percentage_${window}_in_currency`] = (price / before - 1) * 100;
  }
  return item;
}

/**
 * GET /coins/markets?vs_currency[&ids&order&per_page&page&sparkline&price_change_percentage]. Values are taken
 * at the current minute, so calls within one minute (e.g. the pages of one crawl) agree.
 */
export function handleMarkets(query: Record<string, string>, ctx: RouteContext): RouteResult {
  const vs = vsCurrencyParam(query);
  if (typeof vs !== 'string') return vs;
  const perPage = positiveInt(query.per_page, 100);
  if (perPage === null || perPage > MAX_PER_PAGE) return fail(400, `per_page must be between 1 and ${MAX_PER_PAGE}`);
  const page = positiveInt(query.page, 1);
  if (page === null) return fail(400, 'page must be a positive integer');
  const order = ORDERS[query.order || 'market_cap_desc'];
  if (!order) return fail(400, 'invalid order');

  const at = minuteOf(ctx.nowMs);
  const ranked: Ranked[] = applyMoves(
    ctx.catalog.coins
      .map((spec) => ({ spec, rank: 0, ...specSnapshot(spec, at, ctx.seed) }))
      .sort((a, b) => b.marketCap - a.marketCap),
    ctx.moves,
  );
  ranked.forEach((coin, i) => {
    coin.rank = i + 1;
  });
  const ids = new Set(csv(query.ids));
  const chosen = ids.size > 0 ? ranked.filter((coin) => ids.has(coin.spec.id)) : ranked;
  const pageCoins = chosen.sort(order).slice((page - 1) * perPage, page * perPage);
  const opts: ItemOptions = {
    vs,
    at,
    sparkline: flag(query, 'sparkline'),
    changeWindows: csv(query.price_change_percentage),
  };
  return ok(pageCoins.map((coin) => marketItem(coin, opts, ctx)));
}
