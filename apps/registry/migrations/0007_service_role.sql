-- Up Migration
-- Two roles (docs/operations.md, "Database roles"). The role that runs these migrations owns the schema; the
-- service connects as ebox_registry_service (or a login role that is a member of it), which reads and writes
-- rows and nothing else: no DROP, ALTER, TRUNCATE, CREATE. On CloudNativePG the role is declared by the stack
-- (a managed role) before the migration runs; elsewhere it is created here when the migration role may.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ebox_registry_service') THEN
    CREATE ROLE ebox_registry_service NOLOGIN;
  END IF;
EXCEPTION
  -- Another database of the same server created it at the same moment.
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role ebox_registry_service does not exist and % may not create it', current_user
      USING HINT = 'declare it first (CloudNativePG managed role, or CREATE ROLE by the DBA): docs/operations.md';
END $$;

-- Nobody but the owner creates objects in the schema (already so from PostgreSQL 15; older servers granted it).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ebox_registry_service;

-- Rows of every table; tables of later migrations get the same through the default privileges below.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ebox_registry_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ebox_registry_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ebox_registry_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ebox_registry_service;

-- The migration history is read (readiness checks it is current), never written.
REVOKE INSERT, UPDATE, DELETE ON pgmigrations FROM ebox_registry_service;
-- Audit records are appended and read: no UPDATE or DELETE, beside the triggers that refuse them.
REVOKE UPDATE, DELETE ON audit_records FROM ebox_registry_service;
DO $$
DECLARE
  part regclass;
BEGIN
  FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_records'::regclass LOOP
    EXECUTE format('REVOKE UPDATE, DELETE ON %s FROM ebox_registry_service', part);
  END LOOP;
END $$;
-- The chain head is locked and moved forward by audit_append, never inserted or deleted.
REVOKE INSERT, DELETE ON audit_chain_head FROM ebox_registry_service;

-- The worker makes sure this year's and next year's audit partitions exist (src/worker/scheduler.ts). Creating a
-- partition is DDL: the function runs as its owner (the migration role), with a fixed search path, and may only
-- create the partition of a year.
ALTER FUNCTION audit_ensure_year(integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION audit_ensure_year(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_year(integer) TO ebox_registry_service;
-- Detaching a year for archiving is an operator's task, under the migration role.
REVOKE EXECUTE ON FUNCTION audit_detach_year(integer, timestamptz) FROM PUBLIC;

-- Down Migration
GRANT EXECUTE ON FUNCTION audit_detach_year(integer, timestamptz) TO PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_year(integer) TO PUBLIC;
ALTER FUNCTION audit_ensure_year(integer) SECURITY INVOKER RESET search_path;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM ebox_registry_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM ebox_registry_service;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ebox_registry_service;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ebox_registry_service;
REVOKE USAGE ON SCHEMA public FROM ebox_registry_service;
