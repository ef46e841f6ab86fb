-- CoW Protocol WETH–USDC trades priced against the market: each trade's execution price (USDC per WETH) next to the
-- CoinGecko 'ethereum' price nearest before it (at or before the trade, never after: no look-ahead), the deviation
-- in basis points and the USD value. deviation_bps > 0: the trade paid/received more USDC per WETH than the market;
-- improvement_bps > 0: the trader did better than the market (bought cheaper or sold dearer).
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
    CASE p.side WHEN 'buy' THEN p.units_sold ELSE p.units_bought END AS usdc_amount
  FROM pair p
), priced AS (
  SELECT a.*, a.usdc_amount / nullif(a.weth_amount, 0) AS execution_price, m.price AS market_price,
    m.ts AS market_price_at
  FROM amounts a
  LEFT JOIN LATERAL (
    SELECT c.price, c.ts FROM {staging}.coingecko_prices c
    WHERE c.coin_id = 'ethereum' AND c.vs_currency = 'usd' AND c.ts <= a.block_time
    ORDER BY c.ts DESC LIMIT 1
  ) m ON true
)
SELECT block_time, block_date, tx_hash, order_uid, evt_index, trader, side, weth_amount, usdc_amount,
  execution_price, market_price, market_price_at,
  (execution_price - market_price) / nullif(market_price, 0) * 10000 AS deviation_bps,
  CASE side WHEN 'buy' THEN market_price - execution_price ELSE execution_price - market_price END
    / nullif(market_price, 0) * 10000 AS improvement_bps,
  weth_amount * market_price AS usd_value
FROM priced;

-- Per UTC day of CoW WETH–USDC trading: trades, volumes, VWAP (USDC per WETH), the market's average CoinGecko price
-- that day, and the median and 90th percentile of the trades' deviation from the market (basis points).
CREATE OR REPLACE VIEW {warehouse}.cow_daily AS
SELECT d.*,
  (SELECT avg(c.price) FROM {staging}.coingecko_prices c
   WHERE c.coin_id = 'ethereum' AND c.vs_currency = 'usd'
     AND c.ts >= d.day::timestamp AT TIME ZONE 'UTC' AND c.ts < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
  ) AS market_avg_price
FROM (
  SELECT block_date AS day,
    count(*) AS trades,
    sum(weth_amount) AS weth_volume,
    sum(usdc_amount) AS usdc_volume,
    sum(usd_value) AS usd_volume,
    sum(usdc_amount) / nullif(sum(weth_amount), 0) AS vwap,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY deviation_bps::double precision) AS median_deviation_bps,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY deviation_bps::double precision) AS p90_deviation_bps,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY abs(deviation_bps)::double precision) AS p90_abs_deviation_bps,
    count(market_price) AS priced_trades
  FROM {warehouse}.cow_trades_priced
  GROUP BY block_date
) d;
