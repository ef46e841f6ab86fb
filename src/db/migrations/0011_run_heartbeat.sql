-- Runs carry a heartbeat: a run whose process died (kill -9, out of memory, power) stops touching heartbeat_at and is
-- closed as `abandoned` by the first process that looks. Runs from before this migration never beat: their last sign
-- of life is their end, or their start (one still `running` is such a zombie, and is abandoned at the first look).
ALTER TABLE {etl}.runs ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
UPDATE {etl}.runs SET heartbeat_at = coalesce(finished_at, started_at);
ALTER TABLE {etl}.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE {etl}.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'));
-- Every run start looks for stale runs: only the running ones are indexed.
CREATE INDEX runs_running_heartbeat_idx ON {etl}.runs (heartbeat_at) WHERE status = 'running';
