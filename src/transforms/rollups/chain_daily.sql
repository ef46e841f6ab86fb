-- Recomputes the daily activity of every (chain, day) touched by blocks loaded after $1. A reorg replaces
-- the blocks it orphaned at the same heights, so their day is touched again and recomputed from the
-- canonical chain.
WITH affected AS (
  SELECT DISTINCT chain_id, (block_time AT TIME ZONE 'UTC')::date AS day
  FROM {staging}.evm_blocks WHERE loaded_at > $1
), days AS (
  SELECT chain_id, day, day::timestamp AT TIME ZONE 'UTC' AS starts, (day + 1)::timestamp AT TIME ZONE 'UTC' AS ends
  FROM affected
), blocks AS (
  SELECT d.chain_id, d.day, count(*) AS blocks, sum(b.transaction_count) AS transactions, sum(b.gas_used) AS gas_used,
    round(avg(b.base_fee_per_gas)) AS avg_base_fee_per_gas, min(b.number) AS first_block, max(b.number) AS last_block
  FROM days d
  JOIN {staging}.evm_blocks b ON b.chain_id = d.chain_id AND b.block_time >= d.starts AND b.block_time < d.ends
  GROUP BY d.chain_id, d.day
), senders AS (
  SELECT d.chain_id, d.day, count(DISTINCT t.from_address) AS distinct_senders
  FROM days d
  JOIN {staging}.evm_transactions t ON t.chain_id = d.chain_id AND t.block_time >= d.starts AND t.block_time < d.ends
  GROUP BY d.chain_id, d.day
)
INSERT INTO {warehouse}.chain_daily AS c
  (chain_id, day, blocks, transactions, gas_used, avg_base_fee_per_gas, distinct_senders, first_block, last_block)
SELECT b.chain_id, b.day, b.blocks, b.transactions, b.gas_used, b.avg_base_fee_per_gas,
  coalesce(s.distinct_senders, 0), b.first_block, b.last_block
FROM blocks b
LEFT JOIN senders s ON s.chain_id = b.chain_id AND s.day = b.day
ON CONFLICT (chain_id, day) DO UPDATE SET
  blocks = EXCLUDED.blocks, transactions = EXCLUDED.transactions, gas_used = EXCLUDED.gas_used,
  avg_base_fee_per_gas = EXCLUDED.avg_base_fee_per_gas, distinct_senders = EXCLUDED.distinct_senders,
  first_block = EXCLUDED.first_block, last_block = EXCLUDED.last_block
