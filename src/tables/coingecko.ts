import { defineTable } from './defineTable.ts';

/** The CoinGecko coin list (`/coins/list?include_platform=true`). */
export const coingeckoCoins = defineTable({
  name: 'coingecko_coins',
  columns: {
    id: { type: 'text' },
    symbol: { type: 'text' },
    name: { type: 'text' },
    platforms: { type: 'json', nullable: true },
  },
  key: ['id'],
});

const decimal = { type: 'numeric', nullable: true } as const;

/** Market snapshots of every coin (`/coins/markets`); one row per coin, currency and CoinGecko update. */
export const coingeckoMarkets = defineTable({
  name: 'coingecko_markets',
  columns: {
    coin_id: { type: 'text' },
    vs_currency: { type: 'text' },
    last_updated: { type: 'timestamptz' },
    symbol: { type: 'text' },
    name: { type: 'text' },
    current_price: decimal,
    market_cap: decimal,
    market_cap_rank: { type: 'integer', nullable: true },
    fully_diluted_valuation: decimal,
    total_volume: decimal,
    high_24h: decimal,
    low_24h: decimal,
    price_change_24h: decimal,
    price_change_percentage_24h: decimal,
    market_cap_change_24h: decimal,
    market_cap_change_percentage_24h: decimal,
    circulating_supply: decimal,
    total_supply: decimal,
    max_supply: decimal,
    ath: decimal,
    ath_date: { type: 'timestamptz', nullable: true },
    atl: decimal,
    atl_date: { type: 'timestamptz', nullable: true },
    snapshot_at: { type: 'timestamptz' },
  },
  key: ['coin_id', 'vs_currency', 'last_updated'],
  partitionedBy: ['last_updated'],
});

/** Price history points (`/coins/{id}/market_chart/range`). */
export const coingeckoPrices = defineTable({
  name: 'coingecko_prices',
  columns: {
    coin_id: { type: 'text' },
    vs_currency: { type: 'text' },
    ts: { type: 'timestamptz' },
    price: { type: 'numeric' },
    market_cap: decimal,
    total_volume: decimal,
  },
  key: ['coin_id', 'vs_currency', 'ts'],
  partitionedBy: ['ts'],
});
