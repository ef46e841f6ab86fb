-- Data-quality results: one row per check and subject per run of the `quality` job (a run shares one checked_at).
CREATE TABLE {etl}.quality_results (
  id         bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  checked_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  -- freshness | gaps_hourly | gaps_daily | duplicate_keys | price_jumps
  check_name varchar(64) NOT NULL,
  -- What was checked: a job/stream, a table, or a coin/currency series.
  subject    varchar(400) NOT NULL,
  status     varchar(16) NOT NULL CHECK (status IN ('passed', 'failed', 'skipped')),
  -- The measure (age in minutes, missing points, duplicate keys, jumps) and the limit it was held to.
  -- double, not decimal(65,30): counts, minutes and percents, shown as they are (no 30 trailing zeros).
  value      double,
  threshold  double,
  details    json,
  -- One result per check and subject per run; also serves "the latest result of each check".
  UNIQUE INDEX quality_results_check_idx (check_name, subject, checked_at),
  INDEX quality_results_checked_idx (checked_at)
);
