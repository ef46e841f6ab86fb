-- Data-quality results: one row per check and subject per run of the `quality` job (a run shares one checked_at).
CREATE TABLE {etl}.quality_results (
  id         bigserial PRIMARY KEY,
  checked_at timestamptz NOT NULL DEFAULT now(),
  -- freshness | gaps_hourly | gaps_daily | duplicate_keys | price_jumps
  check_name text NOT NULL,
  -- What was checked: a job/stream, a table, or a coin/currency series.
  subject    text NOT NULL,
  status     text NOT NULL CHECK (status IN ('passed', 'failed', 'skipped')),
  -- The measure (age in minutes, missing points, duplicate keys, jumps) and the limit it was held to.
  value      numeric,
  threshold  numeric,
  details    jsonb
);
-- One result per check and subject per run; also serves "the latest result of each check".
CREATE UNIQUE INDEX quality_results_check_idx ON {etl}.quality_results (check_name, subject, checked_at DESC);
CREATE INDEX quality_results_checked_idx ON {etl}.quality_results (checked_at);
