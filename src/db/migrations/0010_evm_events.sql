-- evm-events (docs/evm-events.md): one table per event of a contract set, its columns from the ABI
-- (src/sources/evm/events/abi.ts, which creates and widens the tables of sets declared later at run time; a test
-- holds these to what it generates). Keyed by (chain id, block hash, log index); orphaned blocks' rows are deleted.
-- The token list gives symbols and decimals to the warehouse's amounts.
CREATE TABLE {staging}.evm_tokens (
  chain_id  bigint NOT NULL,
  address   text NOT NULL,
  symbol    text NOT NULL,
  decimals  smallint NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, address)
);

CREATE TABLE IF NOT EXISTS {staging}.evm_event_erc20_transfer (
  chain_id     bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash   text COLLATE "C" NOT NULL,
  log_index    integer NOT NULL,
  tx_hash      text NOT NULL,
  tx_index     integer NOT NULL,
  emitter      text NOT NULL,
  block_time   timestamptz,
  "from" text,
  "to" text,
  "value" numeric(78,0),
  loaded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, block_hash, log_index)
);
CREATE INDEX IF NOT EXISTS evm_event_erc20_transfer_blk_idx ON {staging}.evm_event_erc20_transfer (chain_id, block_number);
CREATE INDEX IF NOT EXISTS evm_event_erc20_transfer_tx_idx ON {staging}.evm_event_erc20_transfer (tx_hash);

CREATE TABLE IF NOT EXISTS {staging}.evm_event_cow_trade (
  chain_id     bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash   text COLLATE "C" NOT NULL,
  log_index    integer NOT NULL,
  tx_hash      text NOT NULL,
  tx_index     integer NOT NULL,
  emitter      text NOT NULL,
  block_time   timestamptz,
  "owner" text,
  "sell_token" text,
  "buy_token" text,
  "sell_amount" numeric(78,0),
  "buy_amount" numeric(78,0),
  "fee_amount" numeric(78,0),
  "order_uid" text,
  loaded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, block_hash, log_index)
);
CREATE INDEX IF NOT EXISTS evm_event_cow_trade_blk_idx ON {staging}.evm_event_cow_trade (chain_id, block_number);
CREATE INDEX IF NOT EXISTS evm_event_cow_trade_tx_idx ON {staging}.evm_event_cow_trade (tx_hash);

