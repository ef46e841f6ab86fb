-- A run started by a queued job carries the BullMQ job id and attempt it belongs to. A job that BullMQ recovers after
-- its worker lost it (Redis unreachable as the run ended, so the end could not be recorded there) finds the steps
-- this attempt already finished, and does not run them twice. Inline runs leave both columns NULL.
ALTER TABLE {etl}.runs ADD COLUMN queue_job text;
ALTER TABLE {etl}.runs ADD COLUMN queue_attempt integer;
CREATE INDEX runs_queue_attempt_idx ON {etl}.runs (queue_job, queue_attempt) WHERE queue_job IS NOT NULL;
