-- Files loaded by `crypto-etl backfill`: one row per (table, content checksum), written in the load's own
-- transaction, so a rerun skips what is already in and a crashed load leaves no trace.
CREATE TABLE {etl}.loaded_files (
  table_name    text NOT NULL,
  checksum      text NOT NULL,
  uri           text NOT NULL,
  bytes         bigint NOT NULL,
  rows_read     bigint NOT NULL,
  rows_loaded   bigint NOT NULL,
  rows_rejected bigint NOT NULL,
  run_id        bigint,
  loaded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, checksum)
);
