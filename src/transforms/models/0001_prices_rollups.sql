-- Hourly and daily OHLC price rollups: tables refreshed for the affected window (see rollups/).
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
