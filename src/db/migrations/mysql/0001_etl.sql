-- The pipeline's own bookkeeping (MySQL/MariaDB: each schema is a database): run log, checkpoints, rejects.
-- Binary collation: natural keys (ids, hashes) compare exactly, as in PostgreSQL.
ALTER DATABASE {etl} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE DATABASE IF NOT EXISTS {staging} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE DATABASE IF NOT EXISTS {warehouse} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE {etl}.runs (
  id             bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job            varchar(200) NOT NULL,
  stream         varchar(200),
  status         varchar(16) NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  `trigger`      varchar(16) NOT NULL DEFAULT 'manual',
  started_at     datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at    datetime(6),
  rows_extracted bigint NOT NULL DEFAULT 0,
  rows_loaded    bigint NOT NULL DEFAULT 0,
  rows_rejected  bigint NOT NULL DEFAULT 0,
  error          text,
  INDEX runs_job_started_idx (job, started_at)
);

CREATE TABLE {etl}.watermarks (
  stream     varchar(200) NOT NULL PRIMARY KEY,
  `cursor`   json NOT NULL,
  run_id     bigint,
  updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);

CREATE TABLE {etl}.rejects (
  id         bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stream     varchar(200) NOT NULL,
  run_id     bigint,
  reason     text NOT NULL,
  payload    json,
  created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  INDEX rejects_stream_idx (stream, created_at)
);

-- Facts about the data as a whole, e.g. `sandbox` = true when the emulators filled it (synthetic data).
CREATE TABLE {etl}.meta (
  `key`      varchar(200) NOT NULL PRIMARY KEY,
  value      json NOT NULL,
  updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
);
