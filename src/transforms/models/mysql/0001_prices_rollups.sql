-- Hourly and daily OHLC price rollups: tables refreshed for the affected window (see rollups/mysql/).
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
