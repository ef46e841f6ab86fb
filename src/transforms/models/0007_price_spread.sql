-- engines: postgres, mysql (the same SQL on both)
-- CoinGecko and CoinCap USD prices side by side per coin and hour, with their spread (CoinCap minus CoinGecko).
-- CoinGecko: the hour's average from the hourly rollup; CoinCap: its hourly (h1) point. Coins match by id.
CREATE OR REPLACE VIEW {warehouse}.price_spread AS
SELECT
  g.coin_id,
  g.hour,
  g.average AS coingecko_price_usd,
  c.price_usd AS coincap_price_usd,
  c.price_usd - g.average AS spread_usd,
  round(100 * (c.price_usd - g.average) / nullif(g.average, 0), 4) AS spread_pct
FROM {warehouse}.prices_hourly g
JOIN {staging}.coincap_asset_history c
  ON c.asset_id = g.coin_id AND c.granularity = 'h1' AND c.ts = g.hour
WHERE g.vs_currency = 'usd';
