-- The two database roles of saas-fcgi. Run once per cluster by a superuser,
-- against the "postgres" database, before anything else:
--
--     psql -X -v ON_ERROR_STOP=1 -d postgres -f schema/roles.sql
--
-- Safe to run again: roles are created only when missing, and their
-- attributes are set to what they should be on every run.
--
-- saas_owner  owns the database, the lobby schema "public" and every tenant
--             schema; runs scripts/migrate and saas-jobs (which creates and
--             drops tenant schemas, and each tenant's role with its schema:
--             hence CREATEROLE).
-- saas_app    the web responders: DML on the tables it is granted, nothing
--             else. No DDL, no CREATE on the database or any schema, and an
--             empty search_path, so an unqualified table name fails unless
--             the transaction has set its tenant's path.
-- saas_tenant what every tenant's own role inherits: the few lobby rights a
--             tenant transaction needs (writing its audit entries).
--
-- Each tenant schema tenant_x is reachable only by a role of the same name
-- (public.tenant_schema_create in the lobby makes both). saas_app is a
-- member of every tenant role but NOINHERIT: it holds none of their rights
-- until a tenant transaction runs SET LOCAL ROLE tenant_x, and then only
-- that one tenant's. A statement naming another tenant's schema outright is
-- refused by PostgreSQL, whatever the query text says. Role names are
-- cluster-wide: keep one saas database per cluster.
--
-- The privileges of saas_app on tables are granted by the migrations
-- (schema/public, schema/tenant), next to the tables they are about.
-- Passwords are not set here; for password authentication set them with
-- psql's \password saas_owner and \password saas_app.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'saas_owner') THEN
		CREATE ROLE saas_owner LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'saas_app') THEN
		CREATE ROLE saas_app LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'saas_tenant') THEN
		CREATE ROLE saas_tenant NOLOGIN;
	END IF;
END
$$;

ALTER ROLE saas_owner WITH LOGIN NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE saas_app WITH LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS;
ALTER ROLE saas_tenant WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- Lobby tables are always named public.x; tenant tables are found through
-- set_config('search_path', quote_ident(schema), true) in each transaction.
ALTER ROLE saas_app SET search_path = '';

-- The database itself is made by the caller, outside any transaction, e.g.:
--
--     CREATE DATABASE saas OWNER saas_owner;
--
-- or, idempotently, from psql:
--
--     SELECT 'CREATE DATABASE saas OWNER saas_owner'
--     WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'saas') \gexec
--
-- Then, as saas_owner: scripts/migrate (schema/public/0001_lobby.sql takes
-- CONNECT and TEMPORARY on the database away from PUBLIC and gives CONNECT
-- to saas_app).
