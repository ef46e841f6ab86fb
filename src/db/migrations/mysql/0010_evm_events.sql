-- evm-events (docs/evm-events.md) on MySQL/MariaDB: the token list and the tables of the shipped contract sets, one
-- per event, keyed by (chain id, block hash, log index); orphaned blocks' rows are deleted. Column types follow
-- db/columnTypes.ts: an address, bytes or string argument is text, a uint256 canonical decimal text (exact, see
-- docs/mysql.md), the base columns' hashes and addresses ASCII compared bytewise.
CREATE TABLE {staging}.evm_tokens (
  chain_id  bigint NOT NULL,
  address   varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  symbol    varchar(200) NOT NULL,
  decimals  smallint NOT NULL,
  loaded_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (chain_id, address)
);

CREATE TABLE {staging}.evm_event_erc20_transfer (
  chain_id     bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash   varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_index    integer NOT NULL,
  tx_hash      varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tx_index     integer NOT NULL,
  emitter      varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  block_time   datetime(6),
  "from"       longtext COMMENT 'text',
  "to"         longtext COMMENT 'text',
  "value"      varchar(78) CHARACTER SET ascii COLLATE ascii_bin COMMENT 'uint256' CHECK ("value" REGEXP '^(0|[1-9][0-9]*)$'),
  loaded_at    datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (chain_id, block_hash, log_index),
  INDEX evm_event_erc20_transfer_blk_idx (chain_id, block_number),
  INDEX evm_event_erc20_transfer_tx_idx (tx_hash),
  -- warehouse.erc20_transfers refreshes from what loaded since its last refresh.
  INDEX evm_event_erc20_transfer_loaded_idx (loaded_at)
);

CREATE TABLE {staging}.evm_event_cow_trade (
  chain_id      bigint NOT NULL,
  block_number  bigint NOT NULL,
  block_hash    varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  log_index     integer NOT NULL,
  tx_hash       varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tx_index      integer NOT NULL,
  emitter       varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  block_time    datetime(6),
  "owner"       longtext COMMENT 'text',
  "sell_token"  longtext COMMENT 'text',
  "buy_token"   longtext COMMENT 'text',
  "sell_amount" varchar(78) CHARACTER SET ascii COLLATE ascii_bin COMMENT 'uint256' CHECK ("sell_amount" REGEXP '^(0|[1-9][0-9]*)$'),
  "buy_amount"  varchar(78) CHARACTER SET ascii COLLATE ascii_bin COMMENT 'uint256' CHECK ("buy_amount" REGEXP '^(0|[1-9][0-9]*)$'),
  "fee_amount"  varchar(78) CHARACTER SET ascii COLLATE ascii_bin COMMENT 'uint256' CHECK ("fee_amount" REGEXP '^(0|[1-9][0-9]*)$'),
  "order_uid"   longtext COMMENT 'text',
  loaded_at     datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (chain_id, block_hash, log_index),
  INDEX evm_event_cow_trade_blk_idx (chain_id, block_number),
  INDEX evm_event_cow_trade_tx_idx (tx_hash)
);
