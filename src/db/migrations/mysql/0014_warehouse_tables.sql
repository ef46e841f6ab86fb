-- The warehouse's tables, created here once (they were CREATE TABLE IF NOT EXISTS in the models, which run after
-- every migrate): the price rollups, the chain rollups, ERC-20 transfers and the latest market snapshot. IF NOT EXISTS
-- because a database migrated before this one already has all but market_latest from the models.
CREATE TABLE IF NOT EXISTS {warehouse}.prices_daily (
  coin_id     varchar(200) NOT NULL,
  vs_currency varchar(16) NOT NULL,
  day         date NOT NULL,
  open        decimal(65,30) NOT NULL,
  high        decimal(65,30) NOT NULL,
  low         decimal(65,30) NOT NULL,
  close       decimal(65,30) NOT NULL,
  average     decimal(65,30) NOT NULL,
  volume      decimal(65,30),
  market_cap  decimal(65,30),
  points      integer NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, day),
  INDEX prices_daily_day_idx (day)
);

CREATE TABLE IF NOT EXISTS {warehouse}.prices_hourly (
  coin_id     varchar(200) NOT NULL,
  vs_currency varchar(16) NOT NULL,
  hour        datetime NOT NULL,
  open        decimal(65,30) NOT NULL,
  high        decimal(65,30) NOT NULL,
  low         decimal(65,30) NOT NULL,
  close       decimal(65,30) NOT NULL,
  average     decimal(65,30) NOT NULL,
  volume      decimal(65,30),
  market_cap  decimal(65,30),
  points      integer NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, hour),
  INDEX prices_hourly_hour_idx (hour)
);

-- uint256 columns are canonical decimal text as in staging (docs/mysql.md); amount_units is exact decimal text too: the
-- amount with the token's decimal point put in.
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

-- The latest market snapshot of each coin and currency, kept current by the coingecko-markets job
-- (rollups/mysql/market_latest.sql); warehouse.market_overview ranks it.
CREATE TABLE IF NOT EXISTS {warehouse}.market_latest (
  coin_id                     varchar(200) NOT NULL,
  vs_currency                 varchar(16) NOT NULL,
  symbol                      varchar(200) NOT NULL,
  name                        varchar(500) NOT NULL,
  current_price               decimal(65,30),
  market_cap                  decimal(65,30),
  market_cap_rank             integer,
  total_volume                decimal(65,30),
  high_24h                    decimal(65,30),
  low_24h                     decimal(65,30),
  price_change_percentage_24h decimal(65,30),
  circulating_supply          decimal(65,30),
  total_supply                decimal(65,30),
  max_supply                  decimal(65,30),
  last_updated                datetime(6) NOT NULL,
  snapshot_at                 datetime(6) NOT NULL,
  PRIMARY KEY (coin_id, vs_currency)
);
