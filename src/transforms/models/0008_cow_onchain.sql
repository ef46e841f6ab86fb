-- CoW Protocol trades straight from the chain (GPv2Settlement Trade events loaded by evm-events, set `cow`), in
-- token units (decimals from the token list, staging.evm_tokens), the WETH–USDC ones priced against CoinGecko as in
-- cow_trades_priced; and their reconciliation with Dune's trades, per trade and per day.

-- Trades whose two tokens are on the token list (the others have no decimals to scale by).
CREATE OR REPLACE VIEW {warehouse}.cow_trades_onchain AS
WITH tokens AS (
  SELECT DISTINCT ON (chain_id, address) chain_id, address, symbol, decimals FROM {staging}.evm_tokens
  ORDER BY chain_id, address
), trades AS (
  SELECT t.chain_id, t.block_number, t.block_time, (t.block_time AT TIME ZONE 'UTC')::date AS block_date, t.tx_hash,
    t.order_uid, t.log_index AS evt_index, t.owner AS trader,
    t.sell_token AS sell_token_address, s.symbol AS sell_token, t.buy_token AS buy_token_address, b.symbol AS buy_token,
    t.sell_amount AS atoms_sold, t.buy_amount AS atoms_bought, t.fee_amount AS fee_atoms,
    t.sell_amount / (10::numeric ^ s.decimals) AS units_sold,
    t.buy_amount / (10::numeric ^ b.decimals) AS units_bought,
    t.fee_amount / (10::numeric ^ s.decimals) AS fee,
    CASE WHEN b.symbol = 'WETH' AND s.symbol = 'USDC' THEN 'buy'
         WHEN s.symbol = 'WETH' AND b.symbol = 'USDC' THEN 'sell' END AS side
  FROM {staging}.evm_event_cow_trade t
  JOIN tokens s ON s.chain_id = t.chain_id AND s.address = t.sell_token
  JOIN tokens b ON b.chain_id = t.chain_id AND b.address = t.buy_token
), amounts AS (
  SELECT t.*,
    CASE t.side WHEN 'buy' THEN t.units_bought WHEN 'sell' THEN t.units_sold END AS weth_amount,
    CASE t.side WHEN 'buy' THEN t.units_sold WHEN 'sell' THEN t.units_bought END AS usdc_amount
  FROM trades t
), priced AS (
  SELECT a.*, a.usdc_amount / nullif(a.weth_amount, 0) AS execution_price, m.price AS market_price,
    m.ts AS market_price_at
  FROM amounts a
  LEFT JOIN LATERAL (
    SELECT c.price, c.ts FROM {staging}.coingecko_prices c
    WHERE a.side IS NOT NULL AND c.coin_id = 'ethereum' AND c.vs_currency = 'usd' AND c.ts <= a.block_time
    ORDER BY c.ts DESC LIMIT 1
  ) m ON true
)
SELECT chain_id, block_time, block_date, block_number, tx_hash, order_uid, evt_index, trader,
  sell_token_address, sell_token, buy_token_address, buy_token, atoms_sold, atoms_bought, fee_atoms,
  units_sold, units_bought, fee, side, weth_amount, usdc_amount, execution_price, market_price, market_price_at,
  (execution_price - market_price) / nullif(market_price, 0) * 10000 AS deviation_bps,
  CASE side WHEN 'buy' THEN market_price - execution_price ELSE execution_price - market_price END
    / nullif(market_price, 0) * 10000 AS improvement_bps,
  weth_amount * market_price AS usd_value
FROM priced;

-- Every trade of Dune's pair(s) over the span both sources cover (from the later first trade to the earlier last
-- one: a source that starts later or stops earlier is not missing the trades outside its span), matched by
-- (tx hash, order uid). found_in: 'both', 'dune' (missing on the chain) or 'chain' (missing from Dune). Volume is in
-- units of the pair's token with the lower address (USDC for WETH–USDC), from exact atoms on both sides.
CREATE OR REPLACE VIEW {warehouse}.cow_reconciliation AS
WITH pairs AS (
  SELECT DISTINCT least(sell_token_address, buy_token_address) AS token_a,
    greatest(sell_token_address, buy_token_address) AS token_b
  FROM {staging}.dune_cow_trades
), decimals AS (
  SELECT DISTINCT ON (address) address, symbol, decimals FROM {staging}.evm_tokens ORDER BY address, chain_id
), dune AS (
  SELECT d.tx_hash, d.order_uid, d.block_time, p.token_a,
    CASE WHEN d.sell_token_address = p.token_a THEN d.atoms_sold ELSE d.atoms_bought END AS atoms_a
  FROM {staging}.dune_cow_trades d
  JOIN pairs p ON p.token_a = least(d.sell_token_address, d.buy_token_address)
    AND p.token_b = greatest(d.sell_token_address, d.buy_token_address)
), chain AS (
  SELECT c.tx_hash, c.order_uid, c.block_time, p.token_a,
    CASE WHEN c.sell_token = p.token_a THEN c.sell_amount ELSE c.buy_amount END AS atoms_a
  FROM {staging}.evm_event_cow_trade c
  JOIN pairs p ON p.token_a = least(c.sell_token, c.buy_token) AND p.token_b = greatest(c.sell_token, c.buy_token)
), span AS (
  SELECT greatest(d.lo, c.lo) AS lo, least(d.hi, c.hi) AS hi
  FROM (SELECT min(block_time) AS lo, max(block_time) AS hi FROM dune) d,
       (SELECT min(block_time) AS lo, max(block_time) AS hi FROM chain) c
), matched AS (
  SELECT coalesce(d.tx_hash, c.tx_hash) AS tx_hash, coalesce(d.order_uid, c.order_uid) AS order_uid,
    coalesce(d.token_a, c.token_a) AS token_a, d.block_time AS dune_block_time, c.block_time AS chain_block_time,
    d.atoms_a AS dune_atoms, c.atoms_a AS chain_atoms
  FROM (SELECT dune.* FROM dune, span WHERE dune.block_time BETWEEN span.lo AND span.hi) d
  FULL JOIN (SELECT chain.* FROM chain, span WHERE chain.block_time BETWEEN span.lo AND span.hi) c
    ON c.tx_hash = d.tx_hash AND c.order_uid = d.order_uid
)
SELECT (coalesce(m.dune_block_time, m.chain_block_time) AT TIME ZONE 'UTC')::date AS day, m.tx_hash, m.order_uid,
  CASE WHEN m.chain_atoms IS NULL THEN 'dune' WHEN m.dune_atoms IS NULL THEN 'chain' ELSE 'both' END AS found_in,
  m.dune_block_time, m.chain_block_time, t.symbol AS volume_token,
  m.dune_atoms / (10::numeric ^ t.decimals) AS dune_volume, m.chain_atoms / (10::numeric ^ t.decimals) AS chain_volume
FROM matched m
LEFT JOIN decimals t ON t.address = m.token_a;

-- Per UTC day of the span both sources cover: trades and volume from Dune and from the chain, the trades found in
-- one only, and whether the day agrees (same trades, same volume).
CREATE OR REPLACE VIEW {warehouse}.cow_reconciliation_daily AS
SELECT day, min(volume_token) AS volume_token,
  count(*) FILTER (WHERE found_in <> 'chain') AS dune_trades,
  count(*) FILTER (WHERE found_in <> 'dune') AS chain_trades,
  coalesce(sum(dune_volume), 0) AS dune_volume,
  coalesce(sum(chain_volume), 0) AS chain_volume,
  count(*) FILTER (WHERE found_in = 'dune') AS missing_on_chain,
  count(*) FILTER (WHERE found_in = 'chain') AS missing_from_dune,
  count(*) FILTER (WHERE found_in <> 'both') = 0
    AND coalesce(sum(dune_volume), 0) = coalesce(sum(chain_volume), 0) AS agrees
FROM {warehouse}.cow_reconciliation
GROUP BY day;

-- The trades found in one source only: what the CoW page and the quality check name.
CREATE OR REPLACE VIEW {warehouse}.cow_unmatched_trades AS
SELECT day, tx_hash, order_uid, CASE found_in WHEN 'dune' THEN 'chain' ELSE 'dune' END AS missing_from,
  coalesce(dune_block_time, chain_block_time) AS block_time, volume_token, coalesce(dune_volume, chain_volume) AS volume
FROM {warehouse}.cow_reconciliation
WHERE found_in <> 'both';
