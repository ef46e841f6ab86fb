-- CoinGecko staging: the coin list, market snapshots and price history.
CREATE TABLE {staging}.coingecko_coins (
  id        text PRIMARY KEY,
  symbol    text NOT NULL,
  name      text NOT NULL,
  platforms jsonb,
  loaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {staging}.coingecko_markets (
  coin_id                          text NOT NULL,
  vs_currency                      text NOT NULL,
  last_updated                     timestamptz NOT NULL,
  symbol                           text NOT NULL,
  name                             text NOT NULL,
  current_price                    numeric,
  market_cap                       numeric,
  market_cap_rank                  integer,
  fully_diluted_valuation          numeric,
  total_volume                     numeric,
  high_24h                         numeric,
  low_24h                          numeric,
  price_change_24h                 numeric,
  price_change_percentage_24h      numeric,
  market_cap_change_24h            numeric,
  market_cap_change_percentage_24h numeric,
  circulating_supply               numeric,
  total_supply                     numeric,
  max_supply                       numeric,
  ath                              numeric,
  ath_date                         timestamptz,
  atl                              numeric,
  atl_date                         timestamptz,
  snapshot_at                      timestamptz NOT NULL,
  loaded_at                        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (coin_id, vs_currency, last_updated)
);
CREATE INDEX coingecko_markets_snapshot_idx ON {staging}.coingecko_markets (snapshot_at);

CREATE TABLE {staging}.coingecko_prices (
  coin_id      text NOT NULL,
  vs_currency  text NOT NULL,
  ts           timestamptz NOT NULL,
  price        numeric NOT NULL,
  market_cap   numeric,
  total_volume numeric,
  loaded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (coin_id, vs_currency, ts)
);
CREATE INDEX coingecko_prices_ts_idx ON {staging}.coingecko_prices (ts);
CREATE INDEX coingecko_prices_loaded_idx ON {staging}.coingecko_prices (loaded_at);
