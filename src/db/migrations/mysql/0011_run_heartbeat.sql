-- Runs carry a heartbeat: a run whose process died (kill -9, out of memory, power) stops touching heartbeat_at and is
-- closed as `abandoned` by the first process that looks. Runs from before this migration never beat: their last sign
-- of life is their end, or their start (one still `running` is such a zombie, and is abandoned at the first look).
ALTER TABLE {etl}.runs ADD COLUMN heartbeat_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
UPDATE {etl}.runs SET heartbeat_at = coalesce(finished_at, started_at);
-- The status CHECK of 0001: MariaDB keeps it in the column's definition, which MODIFY replaces; MySQL makes it a
-- table constraint named by the server (runs_chk_1), found by its table.
ALTER TABLE {etl}.runs MODIFY status varchar(16) NOT NULL;
SET @drop_status_check = coalesce((
  SELECT concat('ALTER TABLE {etl}.runs DROP CONSTRAINT `', constraint_name, '`')
  FROM information_schema.table_constraints
  WHERE constraint_schema = '{etl}' AND table_name = 'runs' AND constraint_type = 'CHECK'
), 'DO 0');
PREPARE drop_status_check FROM @drop_status_check;
EXECUTE drop_status_check;
DEALLOCATE PREPARE drop_status_check;
ALTER TABLE {etl}.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'));
-- Every run start looks for stale runs.
CREATE INDEX runs_running_heartbeat_idx ON {etl}.runs (status, heartbeat_at);
