-- market_latest (0014) is kept from the market rows loaded since its last refresh: coingecko_markets gets an index on
-- loaded_at for that, and the table is filled once from the snapshots already stored, so /api/market is not empty
-- between the upgrade and the next markets run.
ALTER TABLE {staging}.coingecko_markets ADD INDEX coingecko_markets_loaded_idx (loaded_at);

INSERT IGNORE INTO {warehouse}.market_latest
  (coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at)
SELECT coin_id, vs_currency, symbol, name, current_price, market_cap, market_cap_rank, total_volume, high_24h, low_24h,
  price_change_percentage_24h, circulating_supply, total_supply, max_supply, last_updated, snapshot_at
FROM (
  SELECT m.*, row_number() OVER (PARTITION BY coin_id, vs_currency ORDER BY snapshot_at DESC, last_updated DESC) AS n
  FROM {staging}.coingecko_markets m
) latest
WHERE n = 1;
