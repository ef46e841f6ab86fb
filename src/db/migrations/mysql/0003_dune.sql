-- Dune staging: CoW Protocol trades (natural key) and the repo queries pushed to Dune (MySQL/MariaDB).
-- uint256 amounts (atoms) are canonical decimal text, exact to the last of their up to 78 digits (DECIMAL stops at
-- 65), held canonical by a CHECK so text order by (length, text) is numeric order: see docs/mysql.md. Token units and
-- USD values are decimal(65,30), as the CoinGecko tables: exact, 35 digits before the point and 30 after; a value
-- beyond fails its load instead of being rounded. Hashes and addresses are lowercase 0x-hex, compared bytewise.
CREATE TABLE {staging}.dune_cow_trades (
  tx_hash                  varchar(66) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  order_uid                varchar(114) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  evt_index                integer NOT NULL,
  block_date               date NOT NULL,
  block_time               datetime(6) NOT NULL,
  block_number             bigint NOT NULL,
  trader                   varchar(42) CHARACTER SET ascii COLLATE ascii_bin,
  receiver                 varchar(42) CHARACTER SET ascii COLLATE ascii_bin,
  sell_token_address       varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sell_token               varchar(200),
  buy_token_address        varchar(42) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  buy_token                varchar(200),
  units_sold               decimal(65,30) NOT NULL,
  atoms_sold               varchar(78) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                           CHECK (atoms_sold REGEXP '^(0|[1-9][0-9]*)$'),
  units_bought             decimal(65,30) NOT NULL,
  atoms_bought             varchar(78) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                           CHECK (atoms_bought REGEXP '^(0|[1-9][0-9]*)$'),
  usd_value                decimal(65,30),
  fee                      decimal(65,30),
  fee_atoms                varchar(78) CHARACTER SET ascii COLLATE ascii_bin
                           CHECK (fee_atoms REGEXP '^(0|[1-9][0-9]*)$'),
  fee_usd                  decimal(65,30),
  limit_sell_amount        varchar(78) CHARACTER SET ascii COLLATE ascii_bin
                           CHECK (limit_sell_amount REGEXP '^(0|[1-9][0-9]*)$'),
  limit_buy_amount         varchar(78) CHARACTER SET ascii COLLATE ascii_bin
                           CHECK (limit_buy_amount REGEXP '^(0|[1-9][0-9]*)$'),
  valid_to                 datetime(6),
  flags                    integer,
  order_type               varchar(64),
  partial_fill             boolean,
  surplus_usd              decimal(65,30),
  app_data                 text,
  project_contract_address varchar(42) CHARACTER SET ascii COLLATE ascii_bin,
  loaded_at                datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tx_hash, order_uid, evt_index),
  INDEX dune_cow_trades_time_idx (block_time),
  INDEX dune_cow_trades_loaded_idx (loaded_at)
);

-- Which Dune query holds each SQL file of src/sources/dune/queries/, and the hash of the SQL pushed there.
CREATE TABLE {etl}.dune_queries (
  name      varchar(200) NOT NULL PRIMARY KEY,
  query_id  bigint NOT NULL,
  title     varchar(500) NOT NULL,
  sql_hash  varchar(128) NOT NULL,
  pushed_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
