import { z } from 'zod';

/**
 * Page-level shape: every answer is `{data, timestamp}`. A body that breaks it fails the run (nothing from it is
 * written). The retired v2 host still answers 200 with `data: {message}`, which this refuses.
 */
export const listEnvelope = z.object({ data: z.array(z.object({}).loose()), timestamp: z.number() });
export type ListEnvelope = z.infer<typeof listEnvelope>;

/** CoinCap sends numbers as strings with up to 16 decimals; they stay strings so numeric columns keep them exact. */
const decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a decimal number as a string')
  .nullable()
  .optional()
  .transform((v) => v ?? null);
const intString = z
  .string()
  .regex(/^\d+$/, 'expected an integer as a string')
  .nullable()
  .optional()
  .transform((v) => (v ? Number(v) : null));
/** UNIX milliseconds → a UTC instant. */
const unixMs = z
  .number()
  .int()
  .positive()
  .transform((ms) => new Date(ms));

/** Record-level shapes: a record that breaks one of these goes to `etl.rejects`, its batch-mates load. */
export const assetRecord = z
  .object({
    id: z.string().min(1),
    rank: intString,
    symbol: z.string(),
    name: z.string(),
    supply: decimal,
    maxSupply: decimal,
    marketCapUsd: decimal,
    volumeUsd24Hr: decimal,
    priceUsd: decimal,
    changePercent24Hr: decimal,
    vwap24Hr: decimal,
    explorer: z
      .string()
      .nullable()
      .optional()
      .transform((v) => v ?? null),
    /** The envelope's `timestamp`, added by the stream: when CoinCap computed the figures. */
    updated: unixMs,
  })
  .transform((a) => ({
    id: a.id,
    rank: a.rank,
    symbol: a.symbol,
    name: a.name,
    supply: a.supply,
    max_supply: a.maxSupply,
    market_cap_usd: a.marketCapUsd,
    volume_usd_24h: a.volumeUsd24Hr,
    price_usd: a.priceUsd,
    change_percent_24h: a.changePercent24Hr,
    vwap_24h: a.vwap24Hr,
    explorer: a.explorer,
    updated_at: a.updated,
  }));

export const exchangeRecord = z
  .object({
    exchangeId: z.string().min(1),
    name: z.string(),
    rank: intString,
    percentTotalVolume: decimal,
    volumeUsd: decimal,
    tradingPairs: intString,
    socket: z
      .boolean()
      .nullable()
      .optional()
      .transform((v) => v ?? null),
    exchangeUrl: z
      .string()
      .nullable()
      .optional()
      .transform((v) => v ?? null),
    updated: unixMs,
  })
  .transform((e) => ({
    exchange_id: e.exchangeId,
    updated_at: e.updated,
    name: e.name,
    rank: e.rank,
    percent_total_volume: e.percentTotalVolume,
    volume_usd: e.volumeUsd,
    trading_pairs: e.tradingPairs,
    socket: e.socket,
    exchange_url: e.exchangeUrl,
  }));

export const marketRecord = z
  .object({
    exchangeId: z.string().min(1),
    rank: intString,
    baseSymbol: z.string(),
    baseId: z.string().min(1),
    quoteSymbol: z.string(),
    quoteId: z.string().min(1),
    priceQuote: decimal,
    priceUsd: decimal,
    volumeUsd24Hr: decimal,
    percentExchangeVolume: decimal,
    tradesCount24Hr: intString,
    updated: unixMs,
  })
  .transform((m) => ({
    exchange_id: m.exchangeId,
    base_id: m.baseId,
    quote_id: m.quoteId,
    updated_at: m.updated,
    rank: m.rank,
    base_symbol: m.baseSymbol,
    quote_symbol: m.quoteSymbol,
    price_quote: m.priceQuote,
    price_usd: m.priceUsd,
    volume_usd_24h: m.volumeUsd24Hr,
    percent_exchange_volume: m.percentExchangeVolume,
    trades_count_24h: m.tradesCount24Hr,
  }));

export const historyRecord = z
  .object({
    asset_id: z.string().min(1),
    granularity: z.enum(['d1', 'h1']),
    time: unixMs,
    priceUsd: z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a decimal number as a string'),
    circulatingSupply: decimal,
  })
  .transform((p) => ({
    asset_id: p.asset_id,
    granularity: p.granularity,
    ts: p.time,
    price_usd: p.priceUsd,
    circulating_supply: p.circulatingSupply,
  }));
