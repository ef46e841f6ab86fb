-- Adds the Transfer events loaded after $1 to erc20_transfers, and deletes the rows whose event staging no longer
-- holds (orphaned by a reorg or replaced by a backfill): at the heights loaded again, and over each chain's last 256
-- blocks, where a reorg may leave heights with no event at all. One statement: every part sees the same snapshot.
-- The delete is a join on the heights (the table's block index), not a subquery per row of the table: the
-- `EXISTS … OR …` form this replaced read the whole table each refresh, and took minutes at 20,000 rows once the
-- heights no longer fit in memory or no row was fresh.
WITH RECURSIVE fresh AS MATERIALIZED (
  SELECT * FROM {staging}.evm_event_erc20_transfer WHERE loaded_at > $1
), chains (chain_id) AS (
  -- The table's chains, one index probe each (the last row is NULL).
  (SELECT chain_id FROM {warehouse}.erc20_transfers ORDER BY chain_id LIMIT 1)
  UNION ALL
  SELECT (SELECT x.chain_id FROM {warehouse}.erc20_transfers x WHERE x.chain_id > c.chain_id ORDER BY x.chain_id LIMIT 1)
  FROM chains c WHERE c.chain_id IS NOT NULL
), heights AS (
  SELECT chain_id, block_number FROM fresh
  UNION
  SELECT c.chain_id, r.block_number
  FROM chains c
  CROSS JOIN LATERAL (SELECT max(y.block_number) AS top FROM {warehouse}.erc20_transfers y WHERE y.chain_id = c.chain_id) t
  -- OFFSET 0 (here and below) keeps a subquery from being flattened into a join the planner may run as a scan of a
  -- whole table: each is a read of an index for one height, chain or row.
  CROSS JOIN LATERAL (
    SELECT x.block_number FROM {warehouse}.erc20_transfers x
    WHERE x.chain_id = c.chain_id AND x.block_number > t.top - 256 OFFSET 0
  ) r
), doomed AS (
  SELECT x.tableoid AS table_id, x.ctid AS row_id
  FROM heights h
  CROSS JOIN LATERAL (
    SELECT w.tableoid, w.ctid, w.chain_id, w.block_number, w.block_hash, w.log_index FROM {warehouse}.erc20_transfers w
    WHERE w.chain_id = h.chain_id AND w.block_number = h.block_number OFFSET 0
  ) x
  WHERE NOT EXISTS (
    SELECT 1 FROM {staging}.evm_event_erc20_transfer e
    WHERE e.chain_id = x.chain_id AND e.block_number = x.block_number AND e.block_hash = x.block_hash
      AND e.log_index = x.log_index
    OFFSET 0)
), gone AS (
  -- By ctid (a TID scan, never the whole table), and by table: a ctid names a row within one table only, so
  -- were this table ever partitioned, a ctid alone would also delete the row at that place in every partition.
  DELETE FROM {warehouse}.erc20_transfers
  WHERE ctid = ANY (ARRAY(SELECT row_id FROM doomed)) AND (tableoid, ctid) IN (SELECT table_id, row_id FROM doomed)
  RETURNING 1
), tokens AS (
  SELECT DISTINCT ON (chain_id, address) chain_id, address, symbol, decimals FROM {staging}.evm_tokens
  ORDER BY chain_id, address
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
  -- Counting `gone` makes the planner run the delete first (an InitPlan), though PostgreSQL does not promise an
  -- order between a statement's parts; nothing depends on it: every part sees the same snapshot, and a deleted key
  -- has no staging row in it, so it is never among the rows inserted.
  AND (SELECT count(*) FROM gone) >= 0
ON CONFLICT (chain_id, block_hash, log_index) DO NOTHING
