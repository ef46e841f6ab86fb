-- The pipeline's own bookkeeping: run log, checkpoints, quarantined records.
CREATE SCHEMA IF NOT EXISTS {staging};
CREATE SCHEMA IF NOT EXISTS {warehouse};

CREATE TABLE {etl}.runs (
  id            bigserial PRIMARY KEY,
  job           text NOT NULL,
  stream        text,
  status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  trigger       text NOT NULL DEFAULT 'manual',
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  rows_extracted bigint NOT NULL DEFAULT 0,
  rows_loaded   bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  error         text
);
CREATE INDEX runs_job_started_idx ON {etl}.runs (job, started_at DESC);

CREATE TABLE {etl}.watermarks (
  stream     text PRIMARY KEY,
  cursor     jsonb NOT NULL,
  run_id     bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {etl}.rejects (
  id         bigserial PRIMARY KEY,
  stream     text NOT NULL,
  run_id     bigint,
  reason     text NOT NULL,
  payload    jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejects_stream_idx ON {etl}.rejects (stream, created_at DESC);

-- Facts about the data as a whole, e.g. `sandbox` = true when the emulators filled it (synthetic data).
CREATE TABLE {etl}.meta (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
