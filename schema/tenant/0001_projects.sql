-- A tenant's own tables: projects, the example tenant data. Applied by
-- scripts/migrate (and saas-jobs, to a new schema) as saas_owner to every tenant schema, one transaction per
-- schema, with the search_path set (transaction-locally) to that schema
-- alone: names here are unqualified and land in the tenant's schema.

-- Refuse to run anywhere but a tenant schema (e.g. by hand into public).
DO $$
BEGIN
	IF current_schema() IS NULL OR current_schema() NOT LIKE 'tenant\_%' THEN
		RAISE EXCEPTION 'tenant migration run outside a tenant schema (search_path: %)',
		    current_setting('search_path');
	END IF;
END
$$;

-- scripts/migrate creates this table before it applies the first file; the
-- definition here is the same, so the file also stands on its own.
CREATE TABLE IF NOT EXISTS schema_migrations (
	filename   text PRIMARY KEY,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- version is bumped by every update and serves as the ETag.
CREATE TABLE projects (
	id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name        text NOT NULL,
	description text NOT NULL DEFAULT '',
	created_by  uuid NOT NULL,		-- public.users (id); no cross-schema key
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	deleted_at  timestamptz,		-- soft delete
	version     integer NOT NULL DEFAULT 1,
	CONSTRAINT projects_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
	CONSTRAINT projects_description_check CHECK (char_length(description) <= 10000),
	CONSTRAINT projects_version_check CHECK (version >= 1)
);

-- A deleted project's name may be used again.
CREATE UNIQUE INDEX projects_name_key ON projects (lower(name))
    WHERE deleted_at IS NULL;
CREATE INDEX projects_created_at_idx ON projects (created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

-- The tenant's role (named as the schema) has DML on the tables here by the
-- schema's default privileges (public.tenant_schema_create); the migration
-- log it may read, not write.
DO $$
BEGIN
	EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM %I',
	    current_schema());
END
$$;
