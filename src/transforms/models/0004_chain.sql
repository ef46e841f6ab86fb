-- On-chain warehouse: daily activity per chain (a rollup refreshed by the evm-blocks job, see
-- rollups/chain_daily.sql) and ERC-20 transfers decoded from the canonical chain's Transfer logs.

-- uint256 hex (a log's data word) → numeric, 32 bits at a time: PostgreSQL casts no wider hex to a number.
CREATE OR REPLACE FUNCTION {warehouse}.hex_to_numeric(hex text) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(sum(
    ('x' || lpad(substr(d.digits, greatest(1, length(d.digits) - 8 * i - 7), least(8, length(d.digits) - 8 * i)), 8, '0'))
      ::bit(32)::bigint::numeric * (4294967296::numeric ^ i)
  ), 0)::numeric(78,0)
  FROM (SELECT ltrim(substr(hex, 3), '0') AS digits) d,
       generate_series(0, greatest(0, (length(d.digits) - 1) / 8)) AS i
$$;

CREATE TABLE IF NOT EXISTS {warehouse}.chain_daily (
  chain_id             bigint NOT NULL,
  day                  date NOT NULL,
  blocks               integer NOT NULL,
  transactions         bigint NOT NULL,
  gas_used             numeric NOT NULL,
  avg_base_fee_per_gas numeric(78,0),
  distinct_senders     bigint NOT NULL,
  first_block          bigint NOT NULL,
  last_block           bigint NOT NULL,
  PRIMARY KEY (chain_id, day)
);
CREATE INDEX IF NOT EXISTS chain_daily_day_idx ON {warehouse}.chain_daily (day);

-- ERC-20 Transfer(address indexed from, address indexed to, uint256 value): three topics and one data word.
-- ERC-721 shares the signature but indexes its token id as a fourth topic, so it is left out.
CREATE OR REPLACE VIEW {warehouse}.erc20_transfers AS
SELECT l.chain_id, l.block_number, l.block_time, l.transaction_hash, l.log_index,
  l.address AS token_address,
  '0x' || substr(l.topic1, 27) AS from_address,
  '0x' || substr(l.topic2, 27) AS to_address,
  {warehouse}.hex_to_numeric(l.data) AS amount
FROM {staging}.evm_logs l
WHERE l.topic0 = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'
  AND l.topic1 IS NOT NULL AND l.topic2 IS NOT NULL AND l.topic3 IS NULL
  AND length(l.data) = 66;
