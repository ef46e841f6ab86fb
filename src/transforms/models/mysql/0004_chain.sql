-- On-chain warehouse (MySQL/MariaDB; models/0004_chain.sql says what each holds): daily activity per chain (a rollup
-- refreshed by the evm-blocks job, rollups/mysql/chain_daily.sql) and ERC-20 transfers (filled from evm-events'
-- decoded Transfer events, rollups/mysql/erc20_transfers.sql). uint256 columns are canonical decimal text as in
-- staging (docs/mysql.md); amount_units is exact decimal text too: the amount with the token's decimal point put in.

CREATE TABLE IF NOT EXISTS {warehouse}.chain_daily (
  chain_id             bigint NOT NULL,
  day                  date NOT NULL,
  blocks               integer NOT NULL,
  transactions         bigint NOT NULL,
  gas_used             decimal(65,0) NOT NULL,
  avg_base_fee_per_gas varchar(78) CHARACTER SET ascii COLLATE ascii_bin
                       CHECK (avg_base_fee_per_gas REGEXP '^(0|[1-9][0-9]*)$'),
  distinct_senders     bigint NOT NULL,
  first_block          bigint NOT NULL,
  last_block           bigint NOT NULL,
  PRIMARY KEY (chain_id, day),
  INDEX chain_daily_day_idx (day)
);

CREATE TABLE IF NOT EXISTS {warehouse}.erc20_transfers (
  chain_id         bigint NOT NULL,
  block_number     bigint NOT NULL,
  block_hash       varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_index        integer NOT NULL,
  block_time       datetime(6),
  transaction_hash varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_address    varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_symbol     varchar(200),
  token_decimals   smallint,
  from_address     varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_address       varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount           varchar(78) CHARACTER SET ascii COLLATE ascii_bin NOT NULL CHECK (amount REGEXP '^(0|[1-9][0-9]*)$'),
  amount_units     varchar(400) CHARACTER SET ascii COLLATE ascii_bin,
  PRIMARY KEY (chain_id, block_hash, log_index),
  INDEX erc20_transfers_time_idx (block_time),
  INDEX erc20_transfers_block_idx (chain_id, block_number),
  INDEX erc20_transfers_token_idx (token_address, block_time),
  INDEX erc20_transfers_from_idx (from_address),
  INDEX erc20_transfers_to_idx (to_address),
  INDEX erc20_transfers_tx_idx (transaction_hash)
);
