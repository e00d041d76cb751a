-- The lobby: tenants, users and everything shared by all tenants, in schema
-- "public". Applied by scripts/migrate as saas_owner, in one transaction.
-- Names are always qualified (public.x): saas_app has an empty search_path.
--
-- Constraint and index names are part of the contract: a violated one is
-- mapped to a specific 409 by the handlers (tenants_slug_key -> SLUG_TAKEN,
-- users_email_key -> EMAIL_ALREADY_EXISTS, tenant_invites_pending_key ->
-- INVITE_PENDING, jobs_idempotency_key -> the job already exists).
--
-- Columns named updated_at are set by the statements that update a row
-- (no trigger does it behind their back).

-- Only the owner creates objects; the application connects, nobody else.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO saas_app;

DO $$
BEGIN
	EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO saas_app', current_database());
END
$$;

-- scripts/migrate creates this table before it applies the first file; the
-- definition here is the same, so the file also stands on its own.
CREATE TABLE IF NOT EXISTS public.schema_migrations (
	filename   text PRIMARY KEY,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- Every tenant migration ever applied to some tenant, with its checksum:
-- scripts/migrate compares the files with it in the one query a run with
-- nothing to do costs, instead of reading thousands of tenant logs.
CREATE TABLE public.tenant_migrations (
	filename   text PRIMARY KEY,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- Times leave the database as RFC 3339 UTC text, as API.md writes them.
CREATE FUNCTION public.rfc3339(timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

CREATE TABLE public.tenants (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	slug             text NOT NULL,
	name             text NOT NULL,
	schema_name      text NOT NULL,
	status           text NOT NULL DEFAULT 'provisioning',
	plan             text NOT NULL DEFAULT 'free',
	custom_domain    text,
	schema_version   integer NOT NULL DEFAULT 0,
	suspended_reason text,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT tenants_slug_key UNIQUE (slug),
	CONSTRAINT tenants_schema_name_key UNIQUE (schema_name),
	-- API.md "Tenant resolution": 3..56 characters, no "--", not reserved.
	CONSTRAINT tenants_slug_check CHECK (
		slug ~ '^[a-z][a-z0-9-]{1,54}[a-z0-9]$'
		AND strpos(slug, '--') = 0
		AND slug NOT IN ('www', 'api', 'admin', 'app', 'public', 'static',
		    'assets', 'docs', 'mail')
		AND slug NOT LIKE 'pg%'),
	CONSTRAINT tenants_schema_name_check
	    CHECK (schema_name = 'tenant_' || replace(slug, '-', '_')),
	CONSTRAINT tenants_name_check CHECK (char_length(name) BETWEEN 1 AND 200),
	CONSTRAINT tenants_status_check CHECK (status IN ('provisioning', 'ready',
	    'suspended', 'deleting', 'deleted', 'failed')),
	CONSTRAINT tenants_plan_check CHECK (char_length(plan) BETWEEN 1 AND 50),
	CONSTRAINT tenants_custom_domain_check
	    CHECK (char_length(custom_domain) BETWEEN 1 AND 253),
	CONSTRAINT tenants_schema_version_check CHECK (schema_version >= 0),
	CONSTRAINT tenants_suspended_reason_check
	    CHECK (char_length(suspended_reason) <= 1000)
);

CREATE UNIQUE INDEX tenants_custom_domain_key
    ON public.tenants (lower(custom_domain));

-- An INSERT may leave schema_name out; it is derived from the slug. Given
-- explicitly, it must match (tenants_schema_name_check).
CREATE FUNCTION public.tenants_schema_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.schema_name IS NULL THEN
		NEW.schema_name := 'tenant_' || replace(NEW.slug, '-', '_');
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER tenants_schema_name BEFORE INSERT ON public.tenants
    FOR EACH ROW EXECUTE FUNCTION public.tenants_schema_name();

CREATE TABLE public.users (
	id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email              text NOT NULL,
	password_hash      text NOT NULL,
	full_name          text NOT NULL DEFAULT '',
	email_verified_at  timestamptz,
	is_superuser       boolean NOT NULL DEFAULT false,
	is_active          boolean NOT NULL DEFAULT true,
	-- Access tokens issued before this are refused. 'epoch' rather than
	-- '-infinity': extract(epoch ...)::bigint of an infinity is an error.
	tokens_valid_after timestamptz NOT NULL DEFAULT 'epoch',
	created_at         timestamptz NOT NULL DEFAULT now(),
	updated_at         timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_email_check
	    CHECK (char_length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
	CONSTRAINT users_password_hash_check CHECK (char_length(password_hash) >= 1),
	CONSTRAINT users_full_name_check CHECK (char_length(full_name) <= 200)
);

CREATE UNIQUE INDEX users_email_key ON public.users (lower(email));

CREATE TABLE public.user_tenant_membership (
	tenant_id  uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
	user_id    uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	role       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, user_id),
	CONSTRAINT user_tenant_membership_role_check
	    CHECK (role IN ('owner', 'admin', 'member'))
);

CREATE INDEX user_tenant_membership_user_id_idx
    ON public.user_tenant_membership (user_id);

-- One session is one refresh-token family; access tokens carry its id as
-- "sid". tenant_id is NULL for a lobby session.
CREATE TABLE public.sessions (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id         uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	tenant_id       uuid REFERENCES public.tenants (id) ON DELETE CASCADE,
	created_at      timestamptz NOT NULL DEFAULT now(),
	expires_at      timestamptz NOT NULL,	-- absolute: SESSION_MAX_AGE
	last_used_at    timestamptz NOT NULL DEFAULT now(),
	revoked_at      timestamptz,
	impersonator_id uuid REFERENCES public.users (id) ON DELETE CASCADE
);

-- What changes a user's sessions or password runs one at a time per user:
-- each such transaction first locks the user's row (and, where it acts
-- from a session, that session's row) and re-checks what it decided on
-- before, inside the transaction. A logout-all or password reset therefore
-- never misses a session that a concurrent login, switch or password change
-- was creating. The errors carry SQLSTATEs of their own (lib/db.c maps them).
CREATE FUNCTION public.lock_user(uid uuid, expected_hash text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	h text;
BEGIN
	SELECT password_hash INTO h FROM public.users WHERE id = uid AND is_active FOR UPDATE;
	IF NOT FOUND OR (expected_hash IS NOT NULL AND h IS DISTINCT FROM expected_hash) THEN
		RAISE EXCEPTION 'the account changed meanwhile' USING ERRCODE = 'SA001';
	END IF;
END
$$;

CREATE FUNCTION public.lock_session(sid uuid)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM public.sessions
	WHERE id = sid AND revoked_at IS NULL AND expires_at > now() FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the session ended meanwhile' USING ERRCODE = 'SA002';
	END IF;
END
$$;

CREATE INDEX sessions_user_id_idx ON public.sessions (user_id);
CREATE INDEX sessions_tenant_id_idx ON public.sessions (tenant_id);

CREATE TABLE public.refresh_tokens (
	id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_id uuid NOT NULL REFERENCES public.sessions (id) ON DELETE CASCADE,
	parent_id  uuid REFERENCES public.refresh_tokens (id) ON DELETE SET NULL,
	token_hash bytea NOT NULL,		-- SHA-256 of the token
	issued_at  timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,	-- idle: REFRESH_TOKEN_TTL
	used_at    timestamptz,
	revoked_at timestamptz,
	CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
	CONSTRAINT refresh_tokens_token_hash_check CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX refresh_tokens_session_id_idx ON public.refresh_tokens (session_id);
CREATE INDEX refresh_tokens_parent_id_idx ON public.refresh_tokens (parent_id);

CREATE TABLE public.email_tokens (
	id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id    uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	kind       text NOT NULL,
	token_hash bytea NOT NULL,		-- SHA-256 of the token
	expires_at timestamptz NOT NULL,
	used_at    timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT email_tokens_token_hash_key UNIQUE (token_hash),
	CONSTRAINT email_tokens_token_hash_check CHECK (octet_length(token_hash) = 32),
	CONSTRAINT email_tokens_kind_check
	    CHECK (kind IN ('verify_email', 'reset_password'))
);

CREATE INDEX email_tokens_user_id_idx ON public.email_tokens (user_id);

CREATE TABLE public.tenant_invites (
	id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
	email       text NOT NULL,
	role        text NOT NULL,
	token_hash  bytea NOT NULL,		-- SHA-256 of the token
	invited_by  uuid REFERENCES public.users (id) ON DELETE SET NULL,
	status      text NOT NULL DEFAULT 'pending',
	expires_at  timestamptz NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	accepted_at timestamptz,
	CONSTRAINT tenant_invites_token_hash_key UNIQUE (token_hash),
	CONSTRAINT tenant_invites_token_hash_check CHECK (octet_length(token_hash) = 32),
	CONSTRAINT tenant_invites_email_check
	    CHECK (char_length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
	CONSTRAINT tenant_invites_role_check CHECK (role IN ('owner', 'admin', 'member')),
	CONSTRAINT tenant_invites_status_check
	    CHECK (status IN ('pending', 'accepted', 'revoked', 'expired'))
);

CREATE UNIQUE INDEX tenant_invites_pending_key
    ON public.tenant_invites (tenant_id, lower(email)) WHERE status = 'pending';
CREATE INDEX tenant_invites_tenant_id_idx
    ON public.tenant_invites (tenant_id, created_at DESC, id DESC);

-- The outbox. saas-jobs claims due rows with FOR UPDATE SKIP LOCKED, holds
-- them with a lease (locked_by, locked_until, lease_token) and advances step.
-- locked_backend is the claiming runner's server process: once it is gone
-- (the runner died), the job may be taken over before the lease runs out.
CREATE TABLE public.jobs (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	kind            text NOT NULL,
	tenant_id       uuid REFERENCES public.tenants (id) ON DELETE SET NULL,
	payload         jsonb NOT NULL DEFAULT '{}',
	status          text NOT NULL DEFAULT 'pending',
	step            integer NOT NULL DEFAULT 0,
	attempts        integer NOT NULL DEFAULT 0,
	max_attempts    integer NOT NULL DEFAULT 8,
	run_after       timestamptz NOT NULL DEFAULT now(),
	locked_by       text,
	locked_until    timestamptz,
	locked_backend  integer,
	lease_token     uuid,
	last_error      text,
	idempotency_key text,
	created_by      uuid,			-- a user id; no key: jobs outlive users
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	finished_at     timestamptz,
	CONSTRAINT jobs_kind_check CHECK (char_length(kind) BETWEEN 1 AND 100),
	CONSTRAINT jobs_payload_check CHECK (jsonb_typeof(payload) = 'object'),
	CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'running',
	    'succeeded', 'failed', 'dead')),
	CONSTRAINT jobs_step_check CHECK (step >= 0),
	CONSTRAINT jobs_attempts_check CHECK (attempts >= 0),
	CONSTRAINT jobs_max_attempts_check CHECK (max_attempts >= 1)
);

CREATE UNIQUE INDEX jobs_idempotency_key
    ON public.jobs (kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_claim_idx
    ON public.jobs (status, run_after) WHERE status IN ('pending', 'failed');
CREATE INDEX jobs_lease_idx
    ON public.jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_tenant_id_idx ON public.jobs (tenant_id);
CREATE INDEX jobs_created_at_idx ON public.jobs (created_at DESC, id DESC);

-- When the runners last took a job of each tenant (the all-zero id: jobs of
-- no tenant), for their round robin between tenants.
CREATE TABLE public.job_turns (
	tenant_key uuid PRIMARY KEY,
	served_at  timestamptz NOT NULL
);

-- Wakes "saas-jobs --loop" (LISTEN jobs_ready) when a job is queued, or put
-- back to pending by a retry. The payload is the job's kind.
CREATE FUNCTION public.jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('jobs_ready', NEW.kind);
	RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify AFTER INSERT ON public.jobs
    FOR EACH ROW EXECUTE FUNCTION public.jobs_notify();
CREATE TRIGGER jobs_notify_retry AFTER UPDATE OF status ON public.jobs
    FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status <> 'pending')
    EXECUTE FUNCTION public.jobs_notify();

-- Schemas made ahead of need (TENANT_POOL_SIZE): migrated and waiting, each
-- with its role, named tenant__pool_<hex> (no slug maps to a double "_").
-- A new tenant's provisioning takes one by renaming it.
CREATE TABLE public.tenant_pool (
	schema_name text PRIMARY KEY,
	created_at  timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT tenant_pool_schema_name_check CHECK (schema_name ~ '^tenant__pool_[a-z0-9_]+$')
);

-- Append-only for saas_app. No foreign keys: the log outlives what it names.
CREATE TABLE public.audit_logs (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	at              timestamptz NOT NULL DEFAULT now(),
	action          text NOT NULL,
	outcome         text NOT NULL,
	actor_id        uuid,
	impersonator_id uuid,
	tenant_id       uuid,
	target_type     text,
	target_id       text,
	ip              text,
	user_agent      text,
	request_id      text,
	details         jsonb NOT NULL DEFAULT '{}',
	CONSTRAINT audit_logs_action_check CHECK (char_length(action) BETWEEN 1 AND 100),
	CONSTRAINT audit_logs_outcome_check CHECK (outcome IN ('success', 'failure')),
	CONSTRAINT audit_logs_details_check CHECK (jsonb_typeof(details) = 'object')
);

CREATE INDEX audit_logs_tenant_at_idx ON public.audit_logs (tenant_id, at DESC, id DESC);
CREATE INDEX audit_logs_at_idx ON public.audit_logs (at DESC, id DESC);

-- What the responders may do. Anything not granted here they cannot.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    public.tenants,
    public.users,
    public.user_tenant_membership,
    public.sessions,
    public.refresh_tokens,
    public.email_tokens,
    public.tenant_invites,
    public.jobs
    TO saas_app;
GRANT SELECT, INSERT ON public.audit_logs TO saas_app;
GRANT SELECT ON public.schema_migrations TO saas_app;

-- What a tenant transaction (SET LOCAL ROLE tenant_x) may do in the lobby:
-- write the audit entry of the change it makes, nothing else.
GRANT USAGE ON SCHEMA public TO saas_tenant;
GRANT INSERT ON public.audit_logs TO saas_tenant;

-- A tenant's schema and its role, made and unmade together (see
-- schema/roles.sql). Run by saas-jobs and scripts as saas_owner, inside
-- their own transactions; DDL and CREATE ROLE are transactional, so a
-- failure leaves neither. Tables that saas_owner's migrations create in the
-- schema are granted to the tenant's role by default privileges, so a
-- tenant migration grants nothing itself.
CREATE FUNCTION public.tenant_schema_check(s text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF s IS NULL OR s !~ '^tenant_[a-z0-9_]{1,56}$' THEN
		RAISE EXCEPTION 'not a tenant schema name: %', s USING ERRCODE = 'invalid_schema_name';
	END IF;
END
$$;

CREATE FUNCTION public.tenant_schema_create(s text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.tenant_schema_check(s);
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = s) THEN
		EXECUTE format('CREATE ROLE %I NOLOGIN INHERIT', s);
	END IF;
	EXECUTE format('GRANT saas_tenant TO %I', s);
	EXECUTE format('GRANT %I TO saas_app', s);
	EXECUTE format('CREATE SCHEMA %I', s);
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, s);
	EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
	    ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', s, s);
	EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
	    ' GRANT USAGE, SELECT ON SEQUENCES TO %I', s, s);
END
$$;

-- Renames a schema and its role (a pre-provisioned schema taken by a tenant).
CREATE FUNCTION public.tenant_schema_rename(old text, new text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.tenant_schema_check(old);
	PERFORM public.tenant_schema_check(new);
	EXECUTE format('ALTER SCHEMA %I RENAME TO %I', old, new);
	EXECUTE format('ALTER ROLE %I RENAME TO %I', old, new);
END
$$;

CREATE FUNCTION public.tenant_schema_drop(s text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM public.tenant_schema_check(s);
	EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = s) THEN
		EXECUTE format('DROP ROLE %I', s);
	END IF;
END
$$;

REVOKE ALL ON FUNCTION public.tenant_schema_check(text), public.tenant_schema_create(text),
    public.tenant_schema_rename(text, text), public.tenant_schema_drop(text) FROM PUBLIC;
