-- Files loaded by `crypto-etl backfill`: one row per (table, content checksum), written in the load's own
-- transaction, so a rerun skips what is already in and a crashed load leaves no trace.
CREATE TABLE {etl}.loaded_files (
  table_name    varchar(200) NOT NULL,
  checksum      varchar(200) NOT NULL,
  uri           varchar(2048) NOT NULL,
  bytes         bigint NOT NULL,
  rows_read     bigint NOT NULL,
  rows_loaded   bigint NOT NULL,
  rows_rejected bigint NOT NULL,
  run_id        bigint,
  loaded_at     datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (table_name, checksum)
);
