-- Dune staging: CoW Protocol trades (natural key) and the repo queries pushed to Dune.
CREATE TABLE {staging}.dune_cow_trades (
  tx_hash                  text NOT NULL,
  order_uid                text NOT NULL,
  evt_index                integer NOT NULL,
  block_date               date NOT NULL,
  block_time               timestamptz NOT NULL,
  block_number             bigint NOT NULL,
  trader                   text,
  receiver                 text,
  sell_token_address       text NOT NULL,
  sell_token               text,
  buy_token_address        text NOT NULL,
  buy_token                text,
  units_sold               numeric NOT NULL,
  atoms_sold               numeric(78,0) NOT NULL,
  units_bought             numeric NOT NULL,
  atoms_bought             numeric(78,0) NOT NULL,
  usd_value                numeric,
  fee                      numeric,
  fee_atoms                numeric(78,0),
  fee_usd                  numeric,
  limit_sell_amount        numeric(78,0),
  limit_buy_amount         numeric(78,0),
  valid_to                 timestamptz,
  flags                    integer,
  order_type               text,
  partial_fill             boolean,
  surplus_usd              numeric,
  app_data                 text,
  project_contract_address text,
  loaded_at                timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tx_hash, order_uid, evt_index)
);
CREATE INDEX dune_cow_trades_time_idx ON {staging}.dune_cow_trades (block_time);
CREATE INDEX dune_cow_trades_loaded_idx ON {staging}.dune_cow_trades (loaded_at);

-- Which Dune query holds each SQL file of src/sources/dune/queries/, and the hash of the SQL pushed there.
CREATE TABLE {etl}.dune_queries (
  name      text PRIMARY KEY,
  query_id  bigint NOT NULL,
  title     text NOT NULL,
  sql_hash  text NOT NULL,
  pushed_at timestamptz NOT NULL DEFAULT now()
);
