-- Recomputes the hourly OHLC of every (coin, currency, hour) touched by rows loaded after $1.
-- MySQL has no ordered array_agg: first and last values come from window functions over each hour.
INSERT INTO {warehouse}.prices_hourly
  (coin_id, vs_currency, hour, open, high, low, close, average, volume, market_cap, points)
SELECT coin_id, vs_currency, hour, open, max(price), min(price), close, avg(price), volume, market_cap, count(*)
FROM (
  SELECT p.coin_id, p.vs_currency, a.hour, p.price,
    first_value(p.price) OVER (PARTITION BY p.coin_id, p.vs_currency, a.hour ORDER BY p.ts) AS open,
    first_value(p.price) OVER (PARTITION BY p.coin_id, p.vs_currency, a.hour ORDER BY p.ts DESC) AS close,
    first_value(p.total_volume) OVER (PARTITION BY p.coin_id, p.vs_currency, a.hour ORDER BY p.ts DESC) AS volume,
    first_value(p.market_cap) OVER (PARTITION BY p.coin_id, p.vs_currency, a.hour ORDER BY p.ts DESC) AS market_cap
  FROM (
    SELECT DISTINCT coin_id, vs_currency, cast(date_format(ts, '%Y-%m-%d %H:00:00') AS datetime) AS hour
    FROM {staging}.coingecko_prices WHERE loaded_at > $1
  ) a
  JOIN {staging}.coingecko_prices p
    ON p.coin_id = a.coin_id AND p.vs_currency = a.vs_currency
   AND p.ts >= a.hour AND p.ts < a.hour + INTERVAL 1 HOUR
) points
GROUP BY coin_id, vs_currency, hour, open, close, volume, market_cap
ON DUPLICATE KEY UPDATE
  open = VALUES(open), high = VALUES(high), low = VALUES(low), close = VALUES(close),
  average = VALUES(average), volume = VALUES(volume), market_cap = VALUES(market_cap), points = VALUES(points)
