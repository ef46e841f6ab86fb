-- EVM staging: blocks, transactions, receipts and logs of one or more chains, exactly the canonical chain
-- (orphaned blocks are deleted with everything they held). uint256 values (wei, fees) are numeric(78,0),
-- uint64 ones (gas, nonces) bigint; hashes, addresses and bytes are lowercase 0x-hex text. Key hashes
-- compare bytewise (COLLATE "C"): a locale's collation only slows every index insert.
CREATE TABLE {staging}.evm_blocks (
  chain_id                 bigint NOT NULL,
  number                   bigint NOT NULL,
  hash                     text COLLATE "C" NOT NULL,
  parent_hash              text NOT NULL,
  block_time               timestamptz NOT NULL,
  miner                    text NOT NULL,
  gas_limit                bigint NOT NULL,
  gas_used                 bigint NOT NULL,
  base_fee_per_gas         numeric(78,0),
  difficulty               numeric(78,0),
  total_difficulty         numeric(78,0),
  size                     bigint,
  extra_data               text NOT NULL,
  nonce                    text,
  mix_hash                 text,
  sha3_uncles              text NOT NULL,
  state_root               text NOT NULL,
  transactions_root        text NOT NULL,
  receipts_root            text NOT NULL,
  logs_bloom               text NOT NULL,
  withdrawals_root         text,
  withdrawals              jsonb,
  blob_gas_used            bigint,
  excess_blob_gas          bigint,
  parent_beacon_block_root text,
  requests_hash            text,
  uncles                   jsonb NOT NULL,
  transaction_count        integer NOT NULL,
  loaded_at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, hash)
);
-- One block per height: a load that left an orphan beside its replacement fails instead of lying.
CREATE UNIQUE INDEX evm_blocks_number_idx ON {staging}.evm_blocks (chain_id, number);
CREATE INDEX evm_blocks_time_idx ON {staging}.evm_blocks (block_time);
CREATE INDEX evm_blocks_loaded_idx ON {staging}.evm_blocks (loaded_at);

CREATE TABLE {staging}.evm_transactions (
  chain_id                 bigint NOT NULL,
  hash                     text COLLATE "C" NOT NULL,
  block_number             bigint NOT NULL,
  block_hash               text NOT NULL,
  block_time               timestamptz NOT NULL,
  transaction_index        integer NOT NULL,
  from_address             text NOT NULL,
  to_address               text,
  value                    numeric(78,0) NOT NULL,
  gas                      bigint NOT NULL,
  gas_price                numeric(78,0),
  max_fee_per_gas          numeric(78,0),
  max_priority_fee_per_gas numeric(78,0),
  max_fee_per_blob_gas     numeric(78,0),
  nonce                    bigint NOT NULL,
  input                    text NOT NULL,
  type                     smallint,
  tx_chain_id              numeric(78,0),
  v                        numeric(78,0),
  r                        text,
  s                        text,
  y_parity                 smallint,
  access_list              jsonb,
  blob_versioned_hashes    jsonb,
  authorization_list       jsonb,
  loaded_at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, hash)
);
CREATE INDEX evm_transactions_block_idx ON {staging}.evm_transactions (chain_id, block_number);
CREATE INDEX evm_transactions_time_idx ON {staging}.evm_transactions (block_time);

CREATE TABLE {staging}.evm_receipts (
  chain_id            bigint NOT NULL,
  transaction_hash    text COLLATE "C" NOT NULL,
  block_number        bigint NOT NULL,
  block_hash          text NOT NULL,
  block_time          timestamptz NOT NULL,
  transaction_index   integer NOT NULL,
  from_address        text NOT NULL,
  to_address          text,
  contract_address    text,
  cumulative_gas_used bigint NOT NULL,
  gas_used            bigint NOT NULL,
  effective_gas_price numeric(78,0),
  status              smallint,
  root                text,
  type                smallint,
  blob_gas_used       bigint,
  blob_gas_price      numeric(78,0),
  log_count           integer NOT NULL,
  loaded_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, transaction_hash)
);
CREATE INDEX evm_receipts_block_idx ON {staging}.evm_receipts (chain_id, block_number);
CREATE INDEX evm_receipts_time_idx ON {staging}.evm_receipts (block_time);

CREATE TABLE {staging}.evm_logs (
  chain_id          bigint NOT NULL,
  transaction_hash  text COLLATE "C" NOT NULL,
  log_index         integer NOT NULL,
  block_number      bigint NOT NULL,
  block_hash        text NOT NULL,
  block_time        timestamptz NOT NULL,
  transaction_index integer NOT NULL,
  address           text NOT NULL,
  topic0            text,
  topic1            text,
  topic2            text,
  topic3            text,
  data              text NOT NULL,
  loaded_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, transaction_hash, log_index)
);
CREATE INDEX evm_logs_block_idx ON {staging}.evm_logs (chain_id, block_number);
CREATE INDEX evm_logs_time_idx ON {staging}.evm_logs (block_time);
