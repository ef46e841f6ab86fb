-- CoinGecko staging: the coin list, market snapshots and price history.
-- decimal(65,30) stands for PostgreSQL's numeric: exact, 35 digits before the point and 30 after.
CREATE TABLE {staging}.coingecko_coins (
  id        varchar(200) NOT NULL PRIMARY KEY,
  symbol    varchar(200) NOT NULL,
  name      varchar(500) NOT NULL,
  platforms json,
  loaded_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);

CREATE TABLE {staging}.coingecko_markets (
  coin_id                          varchar(200) NOT NULL,
  vs_currency                      varchar(16) NOT NULL,
  last_updated                     datetime(6) NOT NULL,
  symbol                           varchar(200) NOT NULL,
  name                             varchar(500) NOT NULL,
  current_price                    decimal(65,30),
  market_cap                       decimal(65,30),
  market_cap_rank                  integer,
  fully_diluted_valuation          decimal(65,30),
  total_volume                     decimal(65,30),
  high_24h                         decimal(65,30),
  low_24h                          decimal(65,30),
  price_change_24h                 decimal(65,30),
  price_change_percentage_24h      decimal(65,30),
  market_cap_change_24h            decimal(65,30),
  market_cap_change_percentage_24h decimal(65,30),
  circulating_supply               decimal(65,30),
  total_supply                     decimal(65,30),
  max_supply                       decimal(65,30),
  ath                              decimal(65,30),
  ath_date                         datetime(6),
  atl                              decimal(65,30),
  atl_date                         datetime(6),
  snapshot_at                      datetime(6) NOT NULL,
  loaded_at                        datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (coin_id, vs_currency, last_updated),
  INDEX coingecko_markets_snapshot_idx (snapshot_at)
);

CREATE TABLE {staging}.coingecko_prices (
  coin_id      varchar(200) NOT NULL,
  vs_currency  varchar(16) NOT NULL,
  ts           datetime(6) NOT NULL,
  price        decimal(65,30) NOT NULL,
  market_cap   decimal(65,30),
  total_volume decimal(65,30),
  loaded_at    datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (coin_id, vs_currency, ts),
  INDEX coingecko_prices_ts_idx (ts),
  INDEX coingecko_prices_loaded_idx (loaded_at)
);
