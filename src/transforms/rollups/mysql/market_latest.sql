-- The latest snapshot (by snapshot_at, then last_updated) of every coin and currency with rows loaded after $1, chosen
-- among all its snapshots: a re-load of an older snapshot never replaces a newer one.
INSERT INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at
FROM (
  SELECT m.*, row_number() OVER (PARTITION BY m.coin_id, m.vs_currency ORDER BY m.snapshot_at DESC, m.last_updated DESC) AS n
  FROM {staging}.coingecko_markets m
  JOIN (SELECT DISTINCT coin_id, vs_currency FROM {staging}.coingecko_markets WHERE loaded_at > $1) a
    ON a.coin_id = m.coin_id AND a.vs_currency = m.vs_currency
) latest
WHERE n = 1
ON DUPLICATE KEY UPDATE
  symbol = VALUES(symbol), name = VALUES(name), current_price = VALUES(current_price), market_cap = VALUES(market_cap),
  market_cap_rank = VALUES(market_cap_rank), total_volume = VALUES(total_volume), high_24h = VALUES(high_24h),
  low_24h = VALUES(low_24h), price_change_percentage_24h = VALUES(price_change_percentage_24h),
  circulating_supply = VALUES(circulating_supply), total_supply = VALUES(total_supply), max_supply = VALUES(max_supply),
  last_updated = VALUES(last_updated), snapshot_at = VALUES(snapshot_at)
