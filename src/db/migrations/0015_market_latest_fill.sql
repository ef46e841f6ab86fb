-- market_latest (0014) is kept from the market rows loaded since its last refresh: coingecko_markets gets an index on
-- loaded_at for that, and the table is filled once from the snapshots already stored, so /api/market is not empty
-- between the upgrade and the next markets run.
CREATE INDEX IF NOT EXISTS coingecko_markets_loaded_idx ON {staging}.coingecko_markets (loaded_at);

INSERT INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT DISTINCT ON (coin_id, vs_currency)
  coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at
FROM {staging}.coingecko_markets
ORDER BY coin_id, vs_currency, snapshot_at DESC, last_updated DESC
ON CONFLICT (coin_id, vs_currency) DO NOTHING;
