-- CoW Protocol WETH–USDC trades priced against the market (MySQL/MariaDB; models/0003_cow_trades.sql says what each
-- column means). MariaDB has no LATERAL join: the market price is the CoinGecko 'ethereum' point at the latest time at
-- or before the trade (never after: no look-ahead), found by a correlated max() and joined on the prices' key.
CREATE OR REPLACE VIEW {warehouse}.cow_trades_priced AS
WITH pair AS (
  SELECT t.*,
    CASE WHEN t.buy_token_address = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' THEN 'buy' ELSE 'sell' END AS side
  FROM {staging}.dune_cow_trades t
  WHERE (t.buy_token_address = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'
         AND t.sell_token_address = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48')
     OR (t.buy_token_address = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
         AND t.sell_token_address = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2')
), amounts AS (
  SELECT p.*,
    CASE p.side WHEN 'buy' THEN p.units_bought ELSE p.units_sold END AS weth_amount,
    CASE p.side WHEN 'buy' THEN p.units_sold ELSE p.units_bought END AS usdc_amount,
    (SELECT max(c.ts) FROM {staging}.coingecko_prices c
     WHERE c.coin_id = 'ethereum' AND c.vs_currency = 'usd' AND c.ts <= p.block_time) AS market_price_at
  FROM pair p
), priced AS (
  SELECT a.*, a.usdc_amount / nullif(a.weth_amount, 0) AS execution_price, m.price AS market_price
  FROM amounts a
  LEFT JOIN {staging}.coingecko_prices m
    ON m.coin_id = 'ethereum' AND m.vs_currency = 'usd' AND m.ts = a.market_price_at
)
SELECT block_time, block_date, tx_hash, order_uid, evt_index, trader, side, weth_amount, usdc_amount,
  execution_price, market_price, market_price_at,
  (execution_price - market_price) / nullif(market_price, 0) * 10000 AS deviation_bps,
  CASE side WHEN 'buy' THEN market_price - execution_price ELSE execution_price - market_price END
    / nullif(market_price, 0) * 10000 AS improvement_bps,
  weth_amount * market_price AS usd_value
FROM priced;

-- Per UTC day of CoW WETH–USDC trading (as models/0003_cow_trades.sql). MariaDB computes PERCENTILE_CONT as a window
-- function only: each trade carries its day's percentiles, and the day takes them once (max of equal values).
CREATE OR REPLACE VIEW {warehouse}.cow_daily AS
SELECT d.*,
  (SELECT avg(c.price) FROM {staging}.coingecko_prices c
   WHERE c.coin_id = 'ethereum' AND c.vs_currency = 'usd'
     AND c.ts >= d.day AND c.ts < d.day + INTERVAL 1 DAY
  ) AS market_avg_price
FROM (
  SELECT block_date AS day,
    count(*) AS trades,
    sum(weth_amount) AS weth_volume,
    sum(usdc_amount) AS usdc_volume,
    sum(usd_value) AS usd_volume,
    sum(usdc_amount) / nullif(sum(weth_amount), 0) AS vwap,
    max(median_deviation_bps) AS median_deviation_bps,
    max(p90_deviation_bps) AS p90_deviation_bps,
    max(p90_abs_deviation_bps) AS p90_abs_deviation_bps,
    count(market_price) AS priced_trades
  FROM (
    SELECT t.*,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY cast(deviation_bps AS double)) OVER (PARTITION BY block_date)
        AS median_deviation_bps,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY cast(deviation_bps AS double)) OVER (PARTITION BY block_date)
        AS p90_deviation_bps,
      percentile_cont(0.9) WITHIN GROUP (ORDER BY cast(abs(deviation_bps) AS double)) OVER (PARTITION BY block_date)
        AS p90_abs_deviation_bps
    FROM {warehouse}.cow_trades_priced t
  ) trades
  GROUP BY block_date
) d;
