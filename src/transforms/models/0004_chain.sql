-- On-chain warehouse: daily activity per chain (a rollup refreshed by the evm-blocks job, see
-- rollups/chain_daily.sql) and ERC-20 transfers (a table filled from evm-events' decoded Transfer events, see
-- rollups/erc20_transfers.sql).

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

-- ERC-20 transfers of the token list (evm-events set `erc20`), with the token's symbol and decimals and the amount in
-- token units. It used to be a view decoding staging.evm_logs at read time: a database that still has it drops it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_views WHERE schemaname = '{warehouse}' AND viewname = 'erc20_transfers') THEN
    DROP VIEW {warehouse}.erc20_transfers;
  END IF;
END $$;

CREATE TABLE IF NOT EXISTS {warehouse}.erc20_transfers (
  chain_id         bigint NOT NULL,
  block_number     bigint NOT NULL,
  block_hash       text COLLATE "C" NOT NULL,
  log_index        integer NOT NULL,
  block_time       timestamptz,
  transaction_hash text NOT NULL,
  token_address    text NOT NULL,
  token_symbol     text,
  token_decimals   smallint,
  from_address     text NOT NULL,
  to_address       text NOT NULL,
  amount           numeric(78,0) NOT NULL,
  amount_units     numeric,
  PRIMARY KEY (chain_id, block_hash, log_index)
);
CREATE INDEX IF NOT EXISTS erc20_transfers_time_idx ON {warehouse}.erc20_transfers (block_time);
CREATE INDEX IF NOT EXISTS erc20_transfers_block_idx ON {warehouse}.erc20_transfers (chain_id, block_number);
CREATE INDEX IF NOT EXISTS erc20_transfers_token_idx ON {warehouse}.erc20_transfers (token_address, block_time);
CREATE INDEX IF NOT EXISTS erc20_transfers_from_idx ON {warehouse}.erc20_transfers (from_address);
CREATE INDEX IF NOT EXISTS erc20_transfers_to_idx ON {warehouse}.erc20_transfers (to_address);
CREATE INDEX IF NOT EXISTS erc20_transfers_tx_idx ON {warehouse}.erc20_transfers (transaction_hash);
-- The refresh reads what loaded since the last one.
CREATE INDEX IF NOT EXISTS evm_event_erc20_transfer_loaded_idx ON {staging}.evm_event_erc20_transfer (loaded_at);
