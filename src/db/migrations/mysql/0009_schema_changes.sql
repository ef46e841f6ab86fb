-- Upstream drift, one row per stream, field and kind (see the PostgreSQL migration of the same number).
CREATE TABLE {etl}.schema_changes (
  stream     varchar(200) NOT NULL,
  field      varchar(200) NOT NULL,
  kind       varchar(16) NOT NULL CHECK (kind IN ('missing', 'added', 'type_changed')),
  first_seen datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_seen  datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  run_id     bigint,
  sample     json,
  PRIMARY KEY (stream, field, kind),
  INDEX schema_changes_last_seen_idx (last_seen)
);
