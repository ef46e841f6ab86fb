-- Recomputes the daily activity of every (chain, day) touched by blocks loaded after $1 (as rollups/chain_daily.sql;
-- sessions run in UTC, so date() is the UTC day). The average base fee is computed in DECIMAL(65,0), exact while the
-- day's total fits in 65 digits; beyond it the statement fails (strict mode) rather than store a clamped value.
INSERT INTO {warehouse}.chain_daily
  (chain_id, day, blocks, transactions, gas_used, avg_base_fee_per_gas, distinct_senders, first_block, last_block)
SELECT b.chain_id, b.day, b.blocks, b.transactions, b.gas_used, b.avg_base_fee_per_gas,
  coalesce(s.distinct_senders, 0), b.first_block, b.last_block
FROM (
  SELECT d.chain_id, d.day, count(*) AS blocks, sum(x.transaction_count) AS transactions, sum(x.gas_used) AS gas_used,
    cast(round(avg(cast(x.base_fee_per_gas AS decimal(65,0)))) AS char) AS avg_base_fee_per_gas,
    min(x.number) AS first_block, max(x.number) AS last_block
  FROM (SELECT DISTINCT chain_id, date(block_time) AS day FROM {staging}.evm_blocks WHERE loaded_at > $1) d
  JOIN {staging}.evm_blocks x
    ON x.chain_id = d.chain_id AND x.block_time >= d.day AND x.block_time < d.day + INTERVAL 1 DAY
  GROUP BY d.chain_id, d.day
) b
LEFT JOIN (
  SELECT d.chain_id, d.day, count(DISTINCT t.from_address) AS distinct_senders
  FROM (SELECT DISTINCT chain_id, date(block_time) AS day FROM {staging}.evm_blocks WHERE loaded_at > $1) d
  JOIN {staging}.evm_transactions t
    ON t.chain_id = d.chain_id AND t.block_time >= d.day AND t.block_time < d.day + INTERVAL 1 DAY
  GROUP BY d.chain_id, d.day
) s ON s.chain_id = b.chain_id AND s.day = b.day
ON DUPLICATE KEY UPDATE
  blocks = VALUES(blocks), transactions = VALUES(transactions), gas_used = VALUES(gas_used),
  avg_base_fee_per_gas = VALUES(avg_base_fee_per_gas), distinct_senders = VALUES(distinct_senders),
  first_block = VALUES(first_block), last_block = VALUES(last_block)
