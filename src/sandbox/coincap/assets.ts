import type { CoinSpec } from '../coingecko/coins.ts';
import { applyMoves } from '../coingecko/faults.ts';
import { specSnapshot } from '../coingecko/prices.ts';
import { unit } from '../coingecko/random.ts';
import { type CoinCapContext, decimal, fail, isResult, ok, paging, type RouteResult } from './wire.ts';

const DAY_MS = 86_400_000;
/** CoinCap's prices differ from CoinGecko's by up to this fraction: two aggregators, two sets of exchanges. */
const SPREAD = 0.004;

/** The CoinCap USD price of a coin at an instant: the shared synthetic price, off by a small stable spread. */
export function coincapPrice(spec: CoinSpec, tsMs: number, seed: number): number {
  const offset = (unit('coincap', seed, spec.id, Math.floor(tsMs / 3_600_000)) - 0.5) * 2 * SPREAD;
  return specSnapshot(spec, tsMs, seed).price * (1 + offset);
}

interface Ranked {
  spec: CoinSpec;
  rank: number;
  marketCap: number;
}

/** Coins by market cap at the current minute: the order of /assets. */
export function rankedAssets(ctx: CoinCapContext): Ranked[] {
  const at = Math.floor(ctx.nowMs / 60_000) * 60_000;
  return ctx.catalog.coins
    .map((spec) => ({ spec, rank: 0, marketCap: specSnapshot(spec, at, ctx.seed).marketCap }))
    .sort((a, b) => b.marketCap - a.marketCap)
    .map((coin, i) => ({ ...coin, rank: i + 1 }));
}

/** One /assets item, fields in the order of the reference sample plus `explorer`. */
function assetItem(coin: Ranked, ctx: CoinCapContext): Record<string, unknown> {
  const { spec } = coin;
  const at = Math.floor(ctx.nowMs / 60_000) * 60_000;
  const now = specSnapshot(spec, at, ctx.seed);
  const price = coincapPrice(spec, at, ctx.seed);
  const dayAgo = coincapPrice(spec, at - DAY_MS, ctx.seed);
  return {
    id: spec.id,
    rank: String(coin.rank),
    symbol: spec.symbol.toUpperCase(),
    name: spec.name,
    supply: decimal(spec.circulatingSupply),
    maxSupply: decimal(spec.maxSupply),
    marketCapUsd: decimal(price * spec.circulatingSupply),
    volumeUsd24Hr: decimal(now.volume),
    priceUsd: decimal(price),
    changePercent24Hr: decimal((price / dayAgo - 1) * 100),
    vwap24Hr: decimal((price + dayAgo) / 2),
    explorer: `https://explorer.example/${spec.id}`,
  };
}

/** GET /assets[?search&ids&limit&offset] */
export function handleAssets(query: Record<string, string>, ctx: CoinCapContext): RouteResult {
  const page = paging(query);
  if (isResult(page)) return page;
  // Injected moves reorder the listing (ranks follow); /assets/{id} and /markets keep the market-cap order.
  let coins = applyMoves(rankedAssets(ctx), ctx.moves).map((coin, i) => ({ ...coin, rank: i + 1 }));
  const ids = query.ids?.split(',').map((id) => id.trim().toLowerCase());
  if (ids?.length) coins = coins.filter((c) => ids.includes(c.spec.id));
  const search = query.search?.toLowerCase();
  if (search) coins = coins.filter((c) => c.spec.id.includes(search) || c.spec.symbol.toLowerCase().includes(search));
  return ok(
    coins.slice(page.offset, page.offset + page.limit).map((coin) => assetItem(coin, ctx)),
    ctx,
  );
}

/** GET /assets/{id} */
export function handleAsset(id: string, ctx: CoinCapContext): RouteResult {
  const coin = rankedAssets(ctx).find((c) => c.spec.id === id);
  return coin ? ok(assetItem(coin, ctx), ctx) : fail(404, `${id} not found`);
}
