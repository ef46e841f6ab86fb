-- The latest market snapshot of each coin (the table market_latest), ranked by market cap, with its share of the total.
CREATE OR REPLACE VIEW {warehouse}.market_overview AS
SELECT
  row_number() OVER (PARTITION BY vs_currency ORDER BY market_cap IS NULL, market_cap DESC, coin_id) AS `rank`,
  coin_id, symbol, name, vs_currency, current_price, market_cap, market_cap_rank, total_volume,
  high_24h, low_24h, price_change_percentage_24h, circulating_supply, total_supply, max_supply,
  round(100 * market_cap / nullif(sum(market_cap) OVER (PARTITION BY vs_currency), 0), 4) AS dominance_pct,
  last_updated, snapshot_at
FROM {warehouse}.market_latest;
