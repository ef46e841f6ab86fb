-- Adds the Transfer events loaded after $1 to erc20_transfers, and deletes the rows whose event staging no longer
-- holds (orphaned by a reorg or replaced by a backfill): at the heights loaded again, and over each chain's last 256
-- blocks, where a reorg may leave heights with no event at all. One statement: both see the same snapshot.
WITH fresh AS (
  SELECT * FROM {staging}.evm_event_erc20_transfer WHERE loaded_at > $1
), recent AS (
  SELECT chain_id, max(block_number) - 256 AS lo FROM {warehouse}.erc20_transfers GROUP BY chain_id
), tokens AS (
  SELECT DISTINCT ON (chain_id, address) chain_id, address, symbol, decimals FROM {staging}.evm_tokens
  ORDER BY chain_id, address
), gone AS (
  DELETE FROM {warehouse}.erc20_transfers w
  WHERE (EXISTS (SELECT 1 FROM fresh f WHERE f.chain_id = w.chain_id AND f.block_number = w.block_number)
      OR EXISTS (SELECT 1 FROM recent r WHERE r.chain_id = w.chain_id AND w.block_number > r.lo))
    AND NOT EXISTS (
      SELECT 1 FROM {staging}.evm_event_erc20_transfer e
      WHERE e.chain_id = w.chain_id AND e.block_hash = w.block_hash AND e.log_index = w.log_index)
)
INSERT INTO {warehouse}.erc20_transfers (chain_id, block_number, block_hash, log_index, block_time, transaction_hash,
  token_address, token_symbol, token_decimals, from_address, to_address, amount, amount_units)
SELECT f.chain_id, f.block_number, f.block_hash, f.log_index, f.block_time, f.tx_hash, f.emitter, t.symbol, t.decimals,
  -- Times 10^-decimals, not divided by 10^decimals: numeric division keeps ~20 significant digits, so 2^256 − 1
  -- atoms of an 18-decimal token lost their fraction; the product is exact.
  f."from", f."to", f."value", f."value" * ('1e-' || t.decimals)::numeric
FROM fresh f
LEFT JOIN tokens t ON t.chain_id = f.chain_id AND t.address = f.emitter
WHERE f."from" IS NOT NULL AND f."to" IS NOT NULL AND f."value" IS NOT NULL
ON CONFLICT (chain_id, block_hash, log_index) DO NOTHING
