-- Range partitions for the staging tables that grow without end (docs/partitions.md). Block tables are partitioned
-- by (chain_id, block number): one range per chain, 1,000,000 blocks unless etl.chain_partitions says otherwise.
-- Time series by the month of their time key (UTC). Partitions live in {staging}_partitions, so the catalogue of
-- {staging} (the API's relations, the lake's tables) still shows one table each; every read goes through the parent.
-- A DEFAULT partition per table catches a row no range holds yet (a raw INSERT, a streamed file load); the runner
-- creates each checkpoint's ranges before writing (src/db/partitions.ts), so it stays empty in normal operation.
--
-- Converting an existing table rewrites it under an ACCESS EXCLUSIVE lock (copy into the partitions, rebuild the
-- indexes): docs/partitions.md has the lock time measured per million rows, and the online path that makes this
-- migration a no-op for a table already partitioned by hand.
CREATE SCHEMA IF NOT EXISTS {staging}_partitions;

-- Blocks per partition of each chain's block tables, and the retention horizon in blocks (NULL: kept).
-- Change blocks_per_partition before a chain's first load; later ranges are clipped to the partitions that exist.
CREATE TABLE {etl}.chain_partitions (
  chain_id             bigint PRIMARY KEY,
  blocks_per_partition bigint NOT NULL DEFAULT 1000000 CHECK (blocks_per_partition > 0),
  keep_blocks          bigint CHECK (keep_blocks > 0)
);

-- Partitioned tables the retention job trims by dropping whole partitions, and how many days they keep
-- (NULL: RETENTION_DAYS). A table absent here is kept whole (price history, trades, chains without a horizon).
CREATE TABLE {etl}.partition_retention (
  table_name text PRIMARY KEY,
  keep_days  integer CHECK (keep_days > 0)
);
INSERT INTO {etl}.partition_retention (table_name) VALUES ('coingecko_markets');

-- A partition's name: the table's name and a suffix, shortened with a hash where it would pass 63 bytes.
CREATE FUNCTION pg_temp.part_name(tbl text, suffix text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN length(tbl) + length(suffix) + 1 <= 63 THEN tbl || '_' || suffix
    ELSE left(tbl, 62 - length(suffix) - 9) || '_' || left(md5(tbl), 8) || '_' || suffix END
$$;

-- Replaces a plain table by a partitioned one with the same columns, constraints and indexes; the primary key gains
-- the partition columns it lacks. Existing rows are copied into one partition per range they fall in.
CREATE FUNCTION pg_temp.partition_table(sch text, tbl text, keys text[], by_month boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  old regclass := to_regclass(format('%I.%I', sch, tbl));
  parts text := sch || '_partitions';
  pk text[];
  defs text[];
  def text;
  k text;
  r record;
  n integer := 0;
BEGIN
  IF old IS NULL OR (SELECT relkind FROM pg_class WHERE oid = old) <> 'r' THEN
    RETURN;
  END IF;
  SELECT array_agg(a.attname::text ORDER BY c.ord) INTO pk
  FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS c(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = c.attnum
  WHERE i.indrelid = old AND i.indisprimary;
  FOREACH k IN ARRAY keys LOOP
    IF NOT k = ANY (pk) THEN pk := pk || k; END IF;
  END LOOP;
  -- The other indexes are created again under their own names, on the new table.
  SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid), '{}') INTO defs
  FROM pg_index i WHERE i.indrelid = old AND NOT i.indisprimary;
  FOR r IN SELECT i.indexrelid::regclass AS idx FROM pg_index i WHERE i.indrelid = old LOOP
    n := n + 1;
    EXECUTE format('ALTER INDEX %s RENAME TO %I', r.idx, '_p0012_old_' || n);
  END LOOP;
  EXECUTE format('ALTER TABLE %s RENAME TO _p0012_old', old);
  EXECUTE format(
    'CREATE TABLE %I.%I (LIKE %I._p0012_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%s)',
    sch, tbl, sch, (SELECT string_agg(quote_ident(x), ', ') FROM unnest(keys) AS x));
  EXECUTE format('ALTER TABLE %I.%I ADD PRIMARY KEY (%s)', sch, tbl,
    (SELECT string_agg(quote_ident(x), ', ') FROM unnest(pk) AS x));
  FOREACH def IN ARRAY defs LOOP
    EXECUTE def;
  END LOOP;
  EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', parts, pg_temp.part_name(tbl, 'default'), sch, tbl);
  IF by_month THEN
    FOR r IN EXECUTE format('SELECT DISTINCT date_trunc(''month'', %I, ''UTC'') AS lo FROM %I._p0012_old', keys[1], sch) LOOP
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)', parts,
        pg_temp.part_name(tbl, 'm' || to_char(r.lo AT TIME ZONE 'UTC', 'YYYYMM')), sch, tbl,
        r.lo, (r.lo AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
    END LOOP;
  ELSE
    FOR r IN EXECUTE format('SELECT DISTINCT %I AS chain, %I / 1000000 * 1000000 AS lo FROM %I._p0012_old', keys[1], keys[2], sch) LOOP
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%s, %s) TO (%s, %s)', parts,
        pg_temp.part_name(tbl, 'c' || r.chain || '_b' || r.lo), sch, tbl, r.chain, r.lo, r.chain, r.lo + 1000000);
    END LOOP;
  END IF;
  EXECUTE format('INSERT INTO %I.%I SELECT * FROM %I._p0012_old', sch, tbl, sch);
  -- Views over the old table go with it; they are created again below.
  EXECUTE format('DROP TABLE %I._p0012_old CASCADE', sch);
END
$$;

-- The views of the product's schemas, to create again those that depended on a converted table (applyModels would
-- at the next start; commands that only migrate would find them missing until then).
CREATE TEMP TABLE _p0012_views ON COMMIT DROP AS
SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, pg_get_viewdef(c.oid) AS def
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND n.nspname IN ('{etl}', '{staging}', '{warehouse}');

SELECT pg_temp.partition_table('{staging}', t.tbl, t.keys, t.by_month)
FROM (VALUES
  ('evm_blocks', ARRAY['chain_id', 'number'], false),
  ('evm_transactions', ARRAY['chain_id', 'block_number'], false),
  ('evm_receipts', ARRAY['chain_id', 'block_number'], false),
  ('evm_logs', ARRAY['chain_id', 'block_number'], false),
  ('coingecko_prices', ARRAY['ts'], true),
  ('coingecko_markets', ARRAY['last_updated'], true),
  ('coincap_asset_history', ARRAY['ts'], true),
  ('coincap_markets', ARRAY['updated_at'], true),
  ('dune_cow_trades', ARRAY['block_time'], true)
) AS t(tbl, keys, by_month);

-- Every decoded event table (evm_event_<set>_<event>, created from ABIs, some at run time).
SELECT pg_temp.partition_table('{staging}', tablename, ARRAY['chain_id', 'block_number'], false)
FROM pg_tables WHERE schemaname = '{staging}' AND tablename LIKE 'evm\_event\_%' ORDER BY tablename;

DO $$
DECLARE
  v record;
  progress boolean := true;
BEGIN
  -- A view may read another: create what can be created until a pass makes no progress.
  WHILE progress LOOP
    progress := false;
    FOR v IN SELECT * FROM _p0012_views WHERE to_regclass(name) IS NULL ORDER BY oid LOOP
      BEGIN
        EXECUTE format('CREATE VIEW %s AS %s', v.name, v.def);
        progress := true;
      EXCEPTION WHEN undefined_table OR undefined_column THEN
        NULL;
      END;
    END LOOP;
  END LOOP;
END
$$;
