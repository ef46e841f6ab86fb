-- Upstream drift, one row per stream, field and kind: a field the stream declares that a batch lacked
-- ('missing'), a field it does not know ('added'), or one whose values stopped matching its type
-- ('type_changed'); first and last seen, the run that last saw it and a sample of what was received.
CREATE TABLE {etl}.schema_changes (
  stream     text NOT NULL,
  field      text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('missing', 'added', 'type_changed')),
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz NOT NULL DEFAULT now(),
  run_id     bigint,
  sample     jsonb,
  PRIMARY KEY (stream, field, kind)
);
CREATE INDEX schema_changes_last_seen_idx ON {etl}.schema_changes (last_seen DESC);
