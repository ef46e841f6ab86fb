-- Recomputes the hourly OHLC of every (coin, currency, hour) touched by rows loaded after $1.
WITH affected AS (
  SELECT DISTINCT coin_id, vs_currency, date_trunc('hour', ts) AS hour
  FROM {staging}.coingecko_prices WHERE loaded_at > $1
)
INSERT INTO {warehouse}.prices_hourly AS h
SELECT p.coin_id, p.vs_currency, a.hour,
  (array_agg(p.price ORDER BY p.ts))[1], max(p.price), min(p.price), (array_agg(p.price ORDER BY p.ts DESC))[1],
  avg(p.price), (array_agg(p.total_volume ORDER BY p.ts DESC))[1], (array_agg(p.market_cap ORDER BY p.ts DESC))[1],
  count(*)
FROM affected a
JOIN {staging}.coingecko_prices p
  ON p.coin_id = a.coin_id AND p.vs_currency = a.vs_currency
 AND p.ts >= a.hour AND p.ts < a.hour + interval '1 hour'
GROUP BY p.coin_id, p.vs_currency, a.hour
ON CONFLICT (coin_id, vs_currency, hour) DO UPDATE SET
  open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
  average = EXCLUDED.average, volume = EXCLUDED.volume, market_cap = EXCLUDED.market_cap, points = EXCLUDED.points
