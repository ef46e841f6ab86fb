-- Adds the Transfer events loaded after $1 to erc20_transfers, and deletes the rows whose event staging no longer
-- holds (as rollups/erc20_transfers.sql): at the heights loaded again, and over each chain's last 256 blocks. Two
-- statements in the refresh's one transaction (MySQL has no DELETE in a WITH); the grouped derived table of each
-- chain's top block is materialized, which lets the DELETE read its own table.
DELETE w FROM {warehouse}.erc20_transfers w
WHERE (EXISTS (SELECT 1 FROM {staging}.evm_event_erc20_transfer f
               WHERE f.loaded_at > $1 AND f.chain_id = w.chain_id AND f.block_number = w.block_number)
    OR w.block_number > (SELECT r.lo FROM (SELECT chain_id, max(block_number) - 256 AS lo
                                           FROM {warehouse}.erc20_transfers GROUP BY chain_id) r
                         WHERE r.chain_id = w.chain_id))
  AND NOT EXISTS (
    SELECT 1 FROM {staging}.evm_event_erc20_transfer e
    WHERE e.chain_id = w.chain_id AND e.block_hash = w.block_hash AND e.log_index = w.log_index);

-- amount_units: the exact amount with the token's decimal point put in (text: 78 digits do not fit DECIMAL).
INSERT INTO {warehouse}.erc20_transfers (chain_id, block_number, block_hash, log_index, block_time, transaction_hash,
  token_address, token_symbol, token_decimals, from_address, to_address, amount, amount_units)
SELECT f.chain_id, f.block_number, f.block_hash, f.log_index, f.block_time, f.tx_hash, f.emitter, t.symbol, t.decimals,
  f."from", f."to", f."value",
  CASE WHEN t.decimals IS NULL THEN NULL
       WHEN t.decimals = 0 THEN f."value"
       ELSE concat(
         left(lpad(f."value", greatest(char_length(f."value"), t.decimals + 1), '0'),
              greatest(char_length(f."value"), t.decimals + 1) - t.decimals),
         '.',
         right(lpad(f."value", greatest(char_length(f."value"), t.decimals + 1), '0'), t.decimals))
  END
FROM {staging}.evm_event_erc20_transfer f
LEFT JOIN {staging}.evm_tokens t ON t.chain_id = f.chain_id AND t.address = f.emitter
WHERE f.loaded_at > $1 AND f."from" IS NOT NULL AND f."to" IS NOT NULL AND f."value" IS NOT NULL
ON DUPLICATE KEY UPDATE log_index = {warehouse}.erc20_transfers.log_index
