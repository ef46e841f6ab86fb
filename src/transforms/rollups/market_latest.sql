-- The latest snapshot (by snapshot_at, then last_updated) of every coin and currency with rows loaded after $1, chosen
-- among all its snapshots: a re-load of an older snapshot never replaces a newer one.
INSERT INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT DISTINCT ON (m.coin_id, m.vs_currency)
  m.coin_id, m.vs_currency, m.symbol, m.name, m.current_price, m.market_cap, m.market_cap_rank, m.total_volume,
  m.high_24h, m.low_24h, m.price_change_percentage_24h, m.circulating_supply, m.total_supply, m.max_supply,
  m.last_updated, m.snapshot_at
FROM {staging}.coingecko_markets m
WHERE (m.coin_id, m.vs_currency) IN (SELECT coin_id, vs_currency FROM {staging}.coingecko_markets WHERE loaded_at > $1)
ORDER BY m.coin_id, m.vs_currency, m.snapshot_at DESC, m.last_updated DESC
ON CONFLICT (coin_id, vs_currency) DO UPDATE SET
  symbol = EXCLUDED.symbol, name = EXCLUDED.name, current_price = EXCLUDED.current_price,
  market_cap = EXCLUDED.market_cap, market_cap_rank = EXCLUDED.market_cap_rank, total_volume = EXCLUDED.total_volume,
  high_24h = EXCLUDED.high_24h, low_24h = EXCLUDED.low_24h, price_change_percentage_24h = EXCLUDED.price_change_percentage_24h,
  circulating_supply = EXCLUDED.circulating_supply, total_supply = EXCLUDED.total_supply, max_supply = EXCLUDED.max_supply,
  last_updated = EXCLUDED.last_updated, snapshot_at = EXCLUDED.snapshot_at
