import { applyMoves } from '../coingecko/faults.ts';
import { unit } from '../coingecko/random.ts';
import { coincapPrice, rankedAssets } from './assets.ts';
import { type CoinCapContext, decimal, fail, isResult, ok, paging, type RouteResult } from './wire.ts';

interface ExchangeSpec {
  exchangeId: string;
  name: string;
  exchangeUrl: string;
  socket: boolean;
  /** How many of the top assets it lists. */
  bases: number;
}

const EXCHANGES: ExchangeSpec[] = [
  { exchangeId: 'binance', name: 'Binance', exchangeUrl: 'https://www.binance.com/', socket: true, bases: 40 },
  { exchangeId: 'coinbase', name: 'Coinbase', exchangeUrl: 'https://www.coinbase.com/', socket: true, bases: 25 },
  { exchangeId: 'kraken', name: 'Kraken', exchangeUrl: 'https://www.kraken.com/', socket: true, bases: 20 },
  { exchangeId: 'okx', name: 'OKX', exchangeUrl: 'https://www.okx.com/', socket: false, bases: 30 },
  { exchangeId: 'bybit', name: 'Bybit', exchangeUrl: 'https://www.bybit.com/', socket: false, bases: 22 },
  { exchangeId: 'bitstamp', name: 'Bitstamp', exchangeUrl: 'https://www.bitstamp.net/', socket: false, bases: 10 },
  { exchangeId: 'gemini', name: 'Gemini', exchangeUrl: 'https://www.gemini.com/', socket: false, bases: 8 },
  { exchangeId: 'kucoin', name: 'KuCoin', exchangeUrl: 'https://www.kucoin.com/', socket: false, bases: 35 },
];
/** Quote assets of every pair: (id, symbol). */
const QUOTES = [
  ['tether', 'USDT'],
  ['bitcoin', 'BTC'],
] as const;

export interface Market {
  exchange: ExchangeSpec;
  rank: number;
  baseId: string;
  baseSymbol: string;
  quoteId: string;
  quoteSymbol: string;
  priceQuote: number;
  priceUsd: number;
  volumeUsd: number;
  trades: number;
}

/** Every market of every exchange at the current minute, exchanges in order and markets by volume within each. */
export function allMarkets(ctx: CoinCapContext): Market[] {
  const at = Math.floor(ctx.nowMs / 60_000) * 60_000;
  const assets = rankedAssets(ctx);
  const byId = new Map(assets.map((a) => [a.spec.id, a.spec]));
  const markets: Market[] = [];
  for (const exchange of EXCHANGES) {
    const own: Market[] = [];
    for (const base of assets.slice(0, exchange.bases)) {
      for (const [quoteId, quoteSymbol] of QUOTES) {
        const quote = byId.get(quoteId);
        if (!quote || quoteId === base.spec.id) continue;
        // Not every exchange lists every BTC pair.
        if (quoteId === 'bitcoin' && unit('pair', exchange.exchangeId, base.spec.id) < 0.5) continue;
        const priceUsd = coincapPrice(base.spec, at, ctx.seed);
        const volumeUsd = base.marketCap * 0.002 * (0.2 + unit('volume', exchange.exchangeId, base.spec.id, at));
        own.push({
          exchange,
          rank: 0,
          baseId: base.spec.id,
          baseSymbol: base.spec.symbol.toUpperCase(),
          quoteId,
          quoteSymbol,
          priceQuote: priceUsd / coincapPrice(quote, at, ctx.seed),
          priceUsd,
          volumeUsd,
          trades: Math.round(volumeUsd / (200 + 800 * unit('trade', exchange.exchangeId, base.spec.id))),
        });
      }
    }
    own
      .sort((a, b) => b.volumeUsd - a.volumeUsd)
      .forEach((m, i) => {
        m.rank = i + 1;
      });
    markets.push(...own);
  }
  return markets;
}

function exchangeItem(exchange: ExchangeSpec, rank: number, markets: Market[], total: number, at: number) {
  const volume = markets.reduce((sum, m) => sum + m.volumeUsd, 0);
  return {
    exchangeId: exchange.exchangeId,
    name: exchange.name,
    rank: String(rank),
    percentTotalVolume: decimal((100 * volume) / total),
    volumeUsd: decimal(volume),
    tradingPairs: String(markets.length),
    socket: exchange.socket,
    exchangeUrl: exchange.exchangeUrl,
    updated: at,
  };
}

function exchangeItems(ctx: CoinCapContext) {
  const at = Math.floor(ctx.nowMs / 60_000) * 60_000;
  const markets = allMarkets(ctx);
  const total = markets.reduce((sum, m) => sum + m.volumeUsd, 0);
  const perExchange = EXCHANGES.map((exchange) => ({
    exchange,
    markets: markets.filter((m) => m.exchange === exchange),
  }));
  const volume = (ms: Market[]) => ms.reduce((sum, m) => sum + m.volumeUsd, 0);
  return perExchange
    .sort((a, b) => volume(b.markets) - volume(a.markets))
    .map((e, i) => exchangeItem(e.exchange, i + 1, e.markets, total, at));
}

/** GET /exchanges: every exchange, by volume. */
export function handleExchanges(ctx: CoinCapContext): RouteResult {
  return ok(exchangeItems(ctx), ctx);
}

/** GET /exchanges/{id} */
export function handleExchange(id: string, ctx: CoinCapContext): RouteResult {
  const item = exchangeItems(ctx).find((e) => e.exchangeId === id);
  return item ? ok(item, ctx) : fail(404, `${id} not found`);
}

const FILTERS = ['exchangeId', 'baseSymbol', 'baseId', 'quoteSymbol', 'quoteId'] as const;

/** GET /markets[?exchangeId&baseSymbol&baseId&quoteSymbol&quoteId&assetSymbol&assetId&limit&offset] */
export function handleMarkets(query: Record<string, string>, ctx: CoinCapContext): RouteResult {
  const page = paging(query);
  if (isResult(page)) return page;
  const at = Math.floor(ctx.nowMs / 60_000) * 60_000;
  const markets = allMarkets(ctx);
  const exchangeVolume = new Map<string, number>();
  for (const m of markets) {
    exchangeVolume.set(m.exchange.exchangeId, (exchangeVolume.get(m.exchange.exchangeId) ?? 0) + m.volumeUsd);
  }
  const chosen = applyMoves(markets, ctx.moves).filter((m) => {
    const fields: Record<string, string> = {
      exchangeId: m.exchange.exchangeId,
      baseSymbol: m.baseSymbol,
      baseId: m.baseId,
      quoteSymbol: m.quoteSymbol,
      quoteId: m.quoteId,
    };
    if (FILTERS.some((name) => query[name] !== undefined && query[name] !== fields[name])) return false;
    if (query.assetId && m.baseId !== query.assetId && m.quoteId !== query.assetId) return false;
    if (query.assetSymbol && m.baseSymbol !== query.assetSymbol && m.quoteSymbol !== query.assetSymbol) return false;
    return true;
  });
  return ok(
    chosen.slice(page.offset, page.offset + page.limit).map((m) => ({
      exchangeId: m.exchange.exchangeId,
      rank: String(m.rank),
      baseSymbol: m.baseSymbol,
      baseId: m.baseId,
      quoteSymbol: m.quoteSymbol,
      quoteId: m.quoteId,
      priceQuote: decimal(m.priceQuote),
      priceUsd: decimal(m.priceUsd),
      volumeUsd24Hr: decimal(m.volumeUsd),
      percentExchangeVolume: decimal((100 * m.volumeUsd) / (exchangeVolume.get(m.exchange.exchangeId) ?? 1)),
      tradesCount24Hr: String(m.trades),
      updated: at,
    })),
    ctx,
  );
}
