-- CoinCap staging: assets (a dimension), exchanges and markets (one row per CoinCap update), price history.
-- Numbers arrive as decimal strings, kept exact within decimal(65,30) (35 digits before the point, 30 after, as
-- the CoinGecko tables); UNIX-ms times are stored as UTC datetimes.
CREATE TABLE {staging}.coincap_assets (
  id                 varchar(200) NOT NULL PRIMARY KEY,
  "rank"             integer,
  symbol             varchar(200) NOT NULL,
  name               varchar(500) NOT NULL,
  supply             decimal(65,30),
  max_supply         decimal(65,30),
  market_cap_usd     decimal(65,30),
  volume_usd_24h     decimal(65,30),
  price_usd          decimal(65,30),
  change_percent_24h decimal(65,30),
  vwap_24h           decimal(65,30),
  explorer           varchar(2048),
  updated_at         datetime(6) NOT NULL,
  loaded_at          datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);

CREATE TABLE {staging}.coincap_exchanges (
  exchange_id          varchar(200) NOT NULL,
  updated_at           datetime(6) NOT NULL,
  name                 varchar(500) NOT NULL,
  "rank"               integer,
  percent_total_volume decimal(65,30),
  volume_usd           decimal(65,30),
  trading_pairs        integer,
  socket               boolean,
  exchange_url         varchar(2048),
  loaded_at            datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (exchange_id, updated_at)
);

CREATE TABLE {staging}.coincap_markets (
  exchange_id             varchar(200) NOT NULL,
  base_id                 varchar(200) NOT NULL,
  quote_id                varchar(200) NOT NULL,
  updated_at              datetime(6) NOT NULL,
  "rank"                  integer,
  base_symbol             varchar(200) NOT NULL,
  quote_symbol            varchar(200) NOT NULL,
  price_quote             decimal(65,30),
  price_usd               decimal(65,30),
  volume_usd_24h          decimal(65,30),
  percent_exchange_volume decimal(65,30),
  trades_count_24h        bigint,
  loaded_at               datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (exchange_id, base_id, quote_id, updated_at),
  INDEX coincap_markets_updated_idx (updated_at)
);

-- granularity: CoinCap's interval, d1 (daily) or h1 (hourly).
CREATE TABLE {staging}.coincap_asset_history (
  asset_id           varchar(200) NOT NULL,
  granularity        varchar(2) NOT NULL CHECK (granularity IN ('d1', 'h1')),
  ts                 datetime(6) NOT NULL,
  price_usd          decimal(65,30) NOT NULL,
  circulating_supply decimal(65,30),
  loaded_at          datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (asset_id, granularity, ts),
  INDEX coincap_asset_history_ts_idx (ts)
);
