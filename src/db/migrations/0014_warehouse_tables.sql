-- The warehouse's tables, created here once (they were CREATE TABLE IF NOT EXISTS in the models, which run after
-- every migrate): the price rollups, the chain rollups, ERC-20 transfers and the latest market snapshot. IF NOT EXISTS
-- because a database migrated before this one already has all but market_latest from the models.
CREATE TABLE IF NOT EXISTS {warehouse}.prices_daily (
  coin_id     text NOT NULL,
  vs_currency text NOT NULL,
  day         date NOT NULL,
  open        numeric NOT NULL,
  high        numeric NOT NULL,
  low         numeric NOT NULL,
  close       numeric NOT NULL,
  average     numeric NOT NULL,
  volume      numeric,
  market_cap  numeric,
  points      integer NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, day)
);
CREATE INDEX IF NOT EXISTS prices_daily_day_idx ON {warehouse}.prices_daily (day);

CREATE TABLE IF NOT EXISTS {warehouse}.prices_hourly (
  coin_id     text NOT NULL,
  vs_currency text NOT NULL,
  hour        timestamptz NOT NULL,
  open        numeric NOT NULL,
  high        numeric NOT NULL,
  low         numeric NOT NULL,
  close       numeric NOT NULL,
  average     numeric NOT NULL,
  volume      numeric,
  market_cap  numeric,
  points      integer NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, hour)
);
CREATE INDEX IF NOT EXISTS prices_hourly_hour_idx ON {warehouse}.prices_hourly (hour);

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

-- erc20_transfers used to be a view decoding staging.evm_logs at read time: a database that still has it drops it.
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

-- The latest market snapshot of each coin and currency, kept current by the coingecko-markets job
-- (rollups/market_latest.sql); warehouse.market_overview ranks it.
CREATE TABLE IF NOT EXISTS {warehouse}.market_latest (
  coin_id                     text NOT NULL,
  vs_currency                 text NOT NULL,
  symbol                      text NOT NULL,
  name                        text NOT NULL,
  current_price               numeric,
  market_cap                  numeric,
  market_cap_rank             integer,
  total_volume                numeric,
  high_24h                    numeric,
  low_24h                     numeric,
  price_change_percentage_24h numeric,
  circulating_supply          numeric,
  total_supply                numeric,
  max_supply                  numeric,
  last_updated                timestamptz NOT NULL,
  snapshot_at                 timestamptz NOT NULL,
  PRIMARY KEY (coin_id, vs_currency)
);
