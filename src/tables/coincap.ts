import { defineTable } from './defineTable.ts';

// CoinCap sends numbers as decimal strings: they stay exact (numeric); its UNIX-ms times are UTC instants.
const decimal = { type: 'numeric', nullable: true } as const;
const optionalInt = { type: 'integer', nullable: true } as const;

/** Assets (a dimension: the latest answer wins). */
export const coincapAssets = defineTable({
  name: 'coincap_assets',
  columns: {
    id: { type: 'text' },
    rank: optionalInt,
    symbol: { type: 'text' },
    name: { type: 'text' },
    supply: decimal,
    max_supply: decimal,
    market_cap_usd: decimal,
    volume_usd_24h: decimal,
    price_usd: decimal,
    change_percent_24h: decimal,
    vwap_24h: decimal,
    explorer: { type: 'text', nullable: true },
    updated_at: { type: 'timestamptz' },
  },
  key: ['id'],
});

/** Exchanges, one row per CoinCap update. */
export const coincapExchanges = defineTable({
  name: 'coincap_exchanges',
  columns: {
    exchange_id: { type: 'text' },
    updated_at: { type: 'timestamptz' },
    name: { type: 'text' },
    rank: optionalInt,
    percent_total_volume: decimal,
    volume_usd: decimal,
    trading_pairs: optionalInt,
    socket: { type: 'boolean', nullable: true },
    exchange_url: { type: 'text', nullable: true },
  },
  key: ['exchange_id', 'updated_at'],
});

/** Markets (exchange × pair), one row per CoinCap update. */
export const coincapMarkets = defineTable({
  name: 'coincap_markets',
  columns: {
    exchange_id: { type: 'text' },
    base_id: { type: 'text' },
    quote_id: { type: 'text' },
    updated_at: { type: 'timestamptz' },
    rank: optionalInt,
    base_symbol: { type: 'text' },
    quote_symbol: { type: 'text' },
    price_quote: decimal,
    price_usd: decimal,
    volume_usd_24h: decimal,
    percent_exchange_volume: decimal,
    trades_count_24h: { type: 'bigint', nullable: true },
  },
  key: ['exchange_id', 'base_id', 'quote_id', 'updated_at'],
  partitionedBy: ['updated_at'],
});

/** Price history; granularity is CoinCap's interval, d1 (daily) or h1 (hourly). */
export const coincapAssetHistory = defineTable({
  name: 'coincap_asset_history',
  columns: {
    asset_id: { type: 'text' },
    granularity: { type: 'text' },
    ts: { type: 'timestamptz' },
    price_usd: { type: 'numeric' },
    circulating_supply: decimal,
  },
  key: ['asset_id', 'granularity', 'ts'],
  partitionedBy: ['ts'],
});
