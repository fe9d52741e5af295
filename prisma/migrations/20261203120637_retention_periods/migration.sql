-- CreateTable
CREATE TABLE "retention_periods" (
    "kind" TEXT NOT NULL,
    "days" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "retention_periods_pkey" PRIMARY KEY ("kind")
);

-- A period is a whole number of days up to a hundred years; the audit log is kept a year at least,
-- whatever the admin page is sent, since its append-only trigger below trusts this row.
ALTER TABLE "retention_periods" ADD CONSTRAINT "retention_periods_days_sane" CHECK ("days" BETWEEN 1 AND 36500);
ALTER TABLE "retention_periods" ADD CONSTRAINT "retention_periods_audit_a_year" CHECK ("kind" <> 'audit' OR "days" >= 365);
INSERT INTO "retention_periods" ("kind", "days", "updated_at", "updated_by") VALUES ('audit', 1825, now(), 'system:migration');

-- Contract-end erasure (docs/decisions/0022): the role personal_data_eraser may delete every row,
-- the audit log's too. It cannot log in; at contract end the operator's own login role is made a
-- member of it, and the erasure command sets it. Roles belong to the server, not the database: a
-- database migrated at the same moment may create it first, and a migrating role that may not
-- create roles leaves it to the operator (docs/operations.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'personal_data_eraser') THEN
    CREATE ROLE personal_data_eraser NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN RAISE NOTICE 'personal_data_eraser was not created (the migrating role may not create roles): see docs/operations.md';
END $$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'personal_data_eraser') THEN
    GRANT USAGE ON SCHEMA public TO personal_data_eraser;
    GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO personal_data_eraser;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, DELETE ON TABLES TO personal_data_eraser;
  END IF;
END $$;

-- The audit log stays append-only for the app's role: no row may be changed, and a row may be
-- deleted only by the retention purge (which says so in its transaction) once it is older than
-- the audit period, or by the erasure role.
CREATE OR REPLACE FUNCTION "audit_logs_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'personal_data_eraser' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'DELETE' AND current_setting('app.retention_purge', true) = 'on'
     AND OLD."at" < now() - make_interval(days => (SELECT "days" FROM "retention_periods" WHERE "kind" = 'audit')) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;
