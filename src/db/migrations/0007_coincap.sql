-- CoinCap staging: assets (a dimension), exchanges and markets (one row per CoinCap update), price history.
-- Numbers arrive as decimal strings and stay exact (numeric); UNIX-ms times are stored as UTC timestamps.
CREATE TABLE {staging}.coincap_assets (
  id                 text PRIMARY KEY,
  rank               integer,
  symbol             text NOT NULL,
  name               text NOT NULL,
  supply             numeric,
  max_supply         numeric,
  market_cap_usd     numeric,
  volume_usd_24h     numeric,
  price_usd          numeric,
  change_percent_24h numeric,
  vwap_24h           numeric,
  explorer           text,
  updated_at         timestamptz NOT NULL,
  loaded_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {staging}.coincap_exchanges (
  exchange_id          text NOT NULL,
  updated_at           timestamptz NOT NULL,
  name                 text NOT NULL,
  rank                 integer,
  percent_total_volume numeric,
  volume_usd           numeric,
  trading_pairs        integer,
  socket               boolean,
  exchange_url         text,
  loaded_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange_id, updated_at)
);

CREATE TABLE {staging}.coincap_markets (
  exchange_id             text NOT NULL,
  base_id                 text NOT NULL,
  quote_id                text NOT NULL,
  updated_at              timestamptz NOT NULL,
  rank                    integer,
  base_symbol             text NOT NULL,
  quote_symbol            text NOT NULL,
  price_quote             numeric,
  price_usd               numeric,
  volume_usd_24h          numeric,
  percent_exchange_volume numeric,
  trades_count_24h        bigint,
  loaded_at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange_id, base_id, quote_id, updated_at)
);
CREATE INDEX coincap_markets_updated_idx ON {staging}.coincap_markets (updated_at);

-- granularity: CoinCap's interval, d1 (daily) or h1 (hourly).
CREATE TABLE {staging}.coincap_asset_history (
  asset_id           text NOT NULL,
  granularity        text NOT NULL CHECK (granularity IN ('d1', 'h1')),
  ts                 timestamptz NOT NULL,
  price_usd          numeric NOT NULL,
  circulating_supply numeric,
  loaded_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, granularity, ts)
);
CREATE INDEX coincap_asset_history_ts_idx ON {staging}.coincap_asset_history (ts);
