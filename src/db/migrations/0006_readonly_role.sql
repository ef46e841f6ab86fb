-- crypto_etl_readonly: the role the API and dashboard read as (SELECT only), see docs/api.md.
-- Roles belong to the whole server, not one database: several databases (and two migrating processes) may
-- create it at once, so an existing role is fine.
DO $$
BEGIN
  CREATE ROLE crypto_etl_readonly NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- The server connects as the migrating user and switches to the role (`SET ROLE`), which needs membership.
-- A superuser is a member of every role; a CREATEROLE owner on PostgreSQL < 16 is not until granted.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'crypto_etl_readonly', 'MEMBER') THEN
    EXECUTE format('GRANT crypto_etl_readonly TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA {etl}, {staging}, {warehouse} TO crypto_etl_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA {etl}, {staging}, {warehouse} TO crypto_etl_readonly;
-- Tables and views created later by this user (later migrations, warehouse models) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA {etl}, {staging}, {warehouse} GRANT SELECT ON TABLES TO crypto_etl_readonly;
