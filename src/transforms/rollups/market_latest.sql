-- The latest snapshot (by snapshot_at, then last_updated) of every coin and currency, from the rows loaded after $1
-- (coingecko_markets_loaded_idx): each coin's newest of those replaces its row only if it is not older than what
-- the row holds, so a re-loaded older snapshot never replaces a newer one, and no older snapshot is read again.
INSERT INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT DISTINCT ON (coin_id, vs_currency)
  coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at
FROM {staging}.coingecko_markets
WHERE loaded_at > $1
ORDER BY coin_id, vs_currency, snapshot_at DESC, last_updated DESC
ON CONFLICT (coin_id, vs_currency) DO UPDATE SET
  symbol = EXCLUDED.symbol, name = EXCLUDED.name, current_price = EXCLUDED.current_price,
  market_cap = EXCLUDED.market_cap, market_cap_rank = EXCLUDED.market_cap_rank, total_volume = EXCLUDED.total_volume,
  high_24h = EXCLUDED.high_24h, low_24h = EXCLUDED.low_24h, price_change_percentage_24h = EXCLUDED.price_change_percentage_24h,
  circulating_supply = EXCLUDED.circulating_supply, total_supply = EXCLUDED.total_supply, max_supply = EXCLUDED.max_supply,
  last_updated = EXCLUDED.last_updated, snapshot_at = EXCLUDED.snapshot_at
WHERE (EXCLUDED.snapshot_at, EXCLUDED.last_updated)
   >= ({warehouse}.market_latest.snapshot_at, {warehouse}.market_latest.last_updated)
