#!/usr/bin/env bats
# The admin scripts against the stack's database, as the owner role:
# scripts/jobs (list, show, retry), scripts/tenant-backup and
# scripts/tenant-restore. The outbox rows these tests make are never due
# (dead, succeeded, or due in an hour), so the runner that ready_owner
# starts leaves them alone.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

setup() {
	jobs_cmd=$REPO/scripts/jobs
	backup=$REPO/scripts/tenant-backup
	restore=$REPO/scripts/tenant-restore
	pg_restore=$(dirname "$PG_DUMP")/pg_restore
	ntenant=$(find "$REPO/schema/tenant" -name '[0-9]*.sql' | wc -l)
}

# A tenant row without a schema (nothing provisions it: it has no job);
# its id in T_ID, its slug in T_SLUG, its schema's name in T_SCHEMA.
bare_tenant() {
	T_SLUG=$(new_slug r)
	T_ID=$(psql_owner "INSERT INTO public.tenants (slug, name, status)
	    VALUES ('$T_SLUG', 'Bare', '${1:-provisioning}') RETURNING id")
	T_SCHEMA=tenant_${T_SLUG//-/_}
}

# A job of this test's tenant: add_job KIND STATUS [COLUMN=VALUE SQL...]; its id in JOB.
add_job() {
	JOB=$(psql_owner "INSERT INTO public.jobs (kind, tenant_id, status, run_after, payload, attempts,
	    last_error, finished_at)
	    VALUES ('$1', '$T_ID', '$2', now() + interval '1 hour',
	      '{\"to\": \"x@example.com\", \"subject\": \"s\", \"text\": \"token one-time-$T_SLUG\"}',
	      ${3:-1}, ${4:-NULL}, CASE WHEN '$2' IN ('dead', 'succeeded') THEN now() END)
	    RETURNING id")
}

job_field() {
	psql_owner "SELECT $2 FROM public.jobs WHERE id = '$1'"
}

# Some projects in OWNER_SCHEMA: project-1 .. project-N.
add_projects() {
	psql_owner "INSERT INTO \"$OWNER_SCHEMA\".projects (name, created_by)
	    SELECT 'project-' || i, '$OWNER_ID' FROM generate_series(1, $1) i" >/dev/null
}

project_names() {
	psql_owner "SELECT string_agg(name, ',' ORDER BY name) FROM \"$1\".projects"
}

# What the tenant's own role, and saas_app, may do with its tables.
privileges() {
	psql_owner "SELECT has_table_privilege('$1', '$1.projects', 'SELECT, INSERT, UPDATE, DELETE'),
	    has_table_privilege('$1', '$1.schema_migrations', 'SELECT'),
	    has_table_privilege('$1', '$1.schema_migrations', 'INSERT'),
	    has_schema_privilege('$1', '$1', 'USAGE'),
	    has_table_privilege('saas_app', '$1.projects', 'SELECT'),
	    has_schema_privilege('saas_app', '$1', 'USAGE')"
}

# The responders' way in: saas_app, SET LOCAL ROLE to the tenant's role.
app_count() {
	psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" -c "SET LOCAL ROLE $1" \
	    -c "SELECT count(*) FROM $1.projects" -c "COMMIT"
}

# --- scripts/jobs -------------------------------------------------------------

@test "jobs list: newest first; by status, kind and tenant; limited" {
	bare_tenant ready
	add_job send_email dead 8 "'the mail could not be delivered'"
	dead=$JOB
	add_job provision_tenant failed 2
	failed=$JOB
	run "$jobs_cmd" list --tenant "$T_SLUG"
	assert_success
	assert_line --index 0 --regexp '^ +id +kind +tenant +status +step +attempts +run_after +last_error'
	assert_line --index 2 --regexp "^$failed provision_tenant +$T_SLUG +failed +0/5 +2/8 +[0-9-]{10}T[0-9:]{8}Z +- *$"
	assert_line --index 3 --regexp "^$dead send_email +$T_SLUG +dead +0/2 +8/8 .* the mail could not be delivered$"
	assert_equal "${#lines[@]}" 4
	run "$jobs_cmd" list --tenant "$T_SLUG" --status dead
	assert_equal "${#lines[@]}" 3
	assert_line --index 2 --partial "$dead"
	run "$jobs_cmd" list --tenant "$T_SLUG" --kind provision_tenant
	assert_equal "${#lines[@]}" 3
	assert_line --index 2 --partial "$failed"
	run "$jobs_cmd" list --tenant "$T_SLUG" --limit 1
	assert_equal "${#lines[@]}" 3
	assert_line --index 2 --partial "$failed"
	run "$jobs_cmd" list --tenant "$T_SLUG" --status running
	assert_success
	assert_output "no jobs"
}

@test "jobs show: every field, the tenant's slug and the next step; a send_email's text redacted" {
	bare_tenant ready
	add_job send_email dead 8 "'the mail could not
be delivered'"
	run "$jobs_cmd" show "$JOB"
	assert_success
	assert_line "id:              $JOB"
	assert_line "kind:            send_email"
	assert_line "tenant_id:       $T_ID"
	assert_line "tenant_slug:     $T_SLUG"
	assert_line "status:          dead"
	assert_line "next_step:       send (1 of 2)"
	assert_line "max_attempts:    8"
	assert_line "last_error:      the mail could not"
	assert_line "                 be delivered"
	assert_line --regexp '^payload: +\{.*"text": "\[redacted\]"'
	assert_line --regexp '^payload: +\{.*"to": "x@example.com"'
	refute_output --partial "one-time-$T_SLUG"
	for f in locked_by locked_until lease_token idempotency_key created_at finished_at; do
		assert_line --regexp "^$f: "
	done
	# Only a send_email's text is hidden.
	add_job provision_tenant succeeded
	psql_owner "UPDATE public.jobs SET step = 5 WHERE id = '$JOB'" >/dev/null
	run "$jobs_cmd" show "$JOB"
	assert_line "next_step:       none (all 5 done)"
	assert_output --partial "one-time-$T_SLUG"
}

@test "jobs retry: a dead job back to pending, due now, attempts 0, lease cleared, error kept, audited" {
	bare_tenant ready
	add_job send_email dead 8 "'the mail could not be delivered'"
	psql_owner "UPDATE public.jobs SET locked_by = 'host:1', locked_until = now(),
	    locked_backend = 1, lease_token = gen_random_uuid(), step = 1 WHERE id = '$JOB'" >/dev/null
	run "$jobs_cmd" retry "$JOB"
	assert_success
	assert_output "job $JOB: dead -> pending"
	assert_equal "$(job_field "$JOB" "concat_ws(' ', status, step, attempts, run_after <= now(),
	    locked_by, locked_until, locked_backend, lease_token, finished_at, last_error)")" \
		"pending 1 0 t the mail could not be delivered"
	assert_equal "$(psql_owner "SELECT concat_ws(' ', outcome, tenant_id, target_type, details)
	    FROM public.audit_logs WHERE action = 'job.retry' AND target_id = '$JOB'")" \
		"success $T_ID job {\"by\": \"scripts/jobs\"}"
	psql_owner "DELETE FROM public.jobs WHERE id = '$JOB'" >/dev/null
}

@test "jobs retry: a failed job back to pending, due now, its attempts kept" {
	bare_tenant ready
	add_job provision_tenant failed 3 "'the database refused the step'"
	run "$jobs_cmd" retry "${JOB^^}"
	assert_success
	assert_output "job $JOB: failed -> pending"
	assert_equal "$(job_field "$JOB" "concat_ws(' ', status, attempts, run_after <= now(), last_error)")" \
		"pending 3 t the database refused the step"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE action = 'job.retry' AND target_id = '$JOB'")" 1
	psql_owner "DELETE FROM public.jobs WHERE id = '$JOB'" >/dev/null
}

@test "jobs retry refuses a running or succeeded job, an unknown id and a malformed one" {
	bare_tenant ready
	for st in running succeeded pending; do
		add_job send_email "$st"
		run "$jobs_cmd" retry "$JOB"
		assert_failure 1
		assert_output "jobs: job $JOB is $st; only a dead or failed job can be retried"
		assert_equal "$(job_field "$JOB" status)" "$st"
		assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
		    WHERE action = 'job.retry' AND target_id = '$JOB'")" 0
		psql_owner "DELETE FROM public.jobs WHERE id = '$JOB'" >/dev/null
	done
	run "$jobs_cmd" retry 00000000-0000-0000-0000-000000000000
	assert_failure 1
	assert_output "jobs: no job 00000000-0000-0000-0000-000000000000"
	run "$jobs_cmd" retry "1'; DROP TABLE public.jobs; --"
	assert_failure 1
	assert_output --partial "not a job id"
	run "$jobs_cmd" show 42
	assert_failure 1
	assert_output --partial "not a job id"
}

@test "jobs: bad usage exits 2; --config gives the database; the URL is never printed" {
	for args in "" "frobnicate" "list --status lost" "list --limit 0" "list --tenant" "show" "retry a b"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run "$jobs_cmd" $args
		assert_failure 2
		assert_output --partial "usage: jobs"
	done
	run "$jobs_cmd" --help
	assert_success
	assert_line --index 0 --partial "usage: jobs"
	printf 'DATABASE_OWNER_URL = "%s"\n' "$DATABASE_OWNER_URL" >"$BATS_TEST_TMPDIR/saas.conf"
	bare_tenant ready
	add_job send_email dead
	run env -u DATABASE_OWNER_URL "$jobs_cmd" --config "$BATS_TEST_TMPDIR/saas.conf" list --tenant "$T_SLUG"
	assert_success
	assert_line --index 2 --partial "$JOB"
	DATABASE_OWNER_URL=postgresql://saas_owner:hunter2-secret@127.0.0.1:1/saas run "$jobs_cmd" show "$JOB"
	assert_failure 1
	assert_output --partial "cannot read the job"
	refute_output --partial hunter2-secret
}

# --- scripts/tenant-backup ------------------------------------------------------

@test "tenant-backup: the tenant's schema into BACKUP_DIR as SLUG-TIMESTAMP.dump, for its owner only" {
	ready_owner
	add_projects 3
	run "$backup" "$OWNER_SLUG"
	assert_success
	assert_output --regexp "^$BACKUP_DIR/$OWNER_SLUG-[0-9]{8}T[0-9]{6}Z\.dump$"
	dump=$output
	assert_equal "$(stat -c %a "$dump")" 600
	run "$pg_restore" --list "$dump"
	assert_output --partial "SCHEMA - $OWNER_SCHEMA"
	assert_output --partial "TABLE DATA $OWNER_SCHEMA projects"
	assert_equal "$(grep -c ' SCHEMA - ' <<<"$output")" 1
	# Into a file of one's choosing; nothing left under a temporary name.
	run "$backup" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/mine.dump"
	assert_success
	assert_output "$BATS_TEST_TMPDIR/mine.dump"
	"$pg_restore" --list "$BATS_TEST_TMPDIR/mine.dump" >/dev/null
	run ls "$BATS_TEST_TMPDIR" "$BACKUP_DIR"
	refute_output --partial partial
	# BACKUP_DIR unset: the current directory.
	cd "$BATS_TEST_TMPDIR"
	BACKUP_DIR='' run "$backup" "$OWNER_SLUG"
	assert_success
	assert_output --regexp "^\./$OWNER_SLUG-.*\.dump$"
	[[ -s $output ]]
}

@test "tenant-backup refuses an unknown slug, a tenant without a schema, an existing file, bad usage" {
	run "$backup" no-such-tenant
	assert_failure 1
	assert_output "tenant-backup: no tenant no-such-tenant"
	bare_tenant deleted
	run "$backup" "$T_SLUG"
	assert_failure 1
	assert_output "tenant-backup: tenant $T_SLUG (deleted) has no schema $T_SCHEMA"
	ready_owner
	touch "$BATS_TEST_TMPDIR/taken.dump"
	run "$backup" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/taken.dump"
	assert_failure 1
	assert_output --partial "exists"
	[[ ! -s $BATS_TEST_TMPDIR/taken.dump ]]
	PG_DUMP=false run "$backup" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/failed.dump"
	assert_failure 1
	assert_output --partial "no backup was made"
	run ls "$BATS_TEST_TMPDIR"
	refute_output --partial failed.dump
	run "$backup"
	assert_failure 2
	run "$backup" a b c
	assert_failure 2
}

# --- scripts/tenant-restore ------------------------------------------------------

@test "tenant-restore into the same tenant: refused without --force, the dropped rows back with it" {
	ready_owner
	add_projects 3
	dump=$("$backup" "$OWNER_SLUG")
	before=$(project_names "$OWNER_SCHEMA")
	psql_owner "DELETE FROM \"$OWNER_SCHEMA\".projects WHERE name <> 'project-1'" >/dev/null
	run "$restore" "$OWNER_SLUG" "$dump"
	assert_failure 1
	assert_output --partial "is ready and has its schema $OWNER_SCHEMA; --force replaces it"
	assert_equal "$(project_names "$OWNER_SCHEMA")" project-1

	run "$restore" "$OWNER_SLUG" "$dump" --force
	assert_success
	assert_line --index 0 "restored $OWNER_SLUG ($OWNER_SCHEMA) from $dump, dumped as $OWNER_SCHEMA: 2 tables, schema version $ntenant, ready"
	assert_equal "$(project_names "$OWNER_SCHEMA")" "$before"
	assert_equal "$(privileges "$OWNER_SCHEMA")" "t|t|f|t|f|f"
	assert_equal "$(app_count "$OWNER_SCHEMA")" 3
	assert_equal "$(psql_owner "SELECT status || ' ' || schema_version FROM public.tenants
	    WHERE id = '$OWNER_TENANT'")" "ready $ntenant"
	assert_equal "$(psql_owner "SELECT concat_ws(' ', outcome, target_type, target_id,
	    details->>'by', details->>'dumped_schema', details->>'file')
	    FROM public.audit_logs WHERE action = 'tenant.restore' AND tenant_id = '$OWNER_TENANT'")" \
		"success tenant $OWNER_TENANT scripts/tenant-restore $OWNER_SCHEMA ${dump##*/}"
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
}

@test "tenant-restore into another tenant while the first lives: its data, its own role's rights, none for saas_app" {
	ready_owner
	add_projects 2
	a_schema=$OWNER_SCHEMA a_names=$(project_names "$OWNER_SCHEMA")
	a_count=$(psql_owner "SELECT count(*) FROM \"$a_schema\".projects")
	a_ids=$(psql_owner "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"$a_schema\".projects")
	dump=$("$backup" "$OWNER_SLUG")
	ready_owner
	run "$restore" "$OWNER_SLUG" "$dump" --force
	assert_success
	assert_line --index 0 --partial "restored $OWNER_SLUG ($OWNER_SCHEMA) from $dump, dumped as $a_schema:"
	assert_equal "$(project_names "$OWNER_SCHEMA")" "$a_names"
	assert_equal "$(psql_owner "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"$OWNER_SCHEMA\".projects")" "$a_ids"
	# Each schema its own role's, with the rights tenant_schema_create and
	# the migrations give; saas_app only through SET ROLE.
	assert_equal "$(privileges "$OWNER_SCHEMA")" "t|t|f|t|f|f"
	assert_equal "$(privileges "$a_schema")" "t|t|f|t|f|f"
	assert_equal "$(psql_owner "SELECT has_table_privilege('$a_schema', '$OWNER_SCHEMA.projects', 'SELECT'),
	    has_table_privilege('$OWNER_SCHEMA', '$a_schema.projects', 'SELECT'),
	    pg_has_role('saas_app', '$OWNER_SCHEMA', 'MEMBER'), pg_has_role('saas_app', '$OWNER_SCHEMA', 'USAGE'),
	    pg_has_role('$OWNER_SCHEMA', 'saas_tenant', 'USAGE')")" "f|f|t|f|t"
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_default_acl
	    WHERE defaclnamespace = '$OWNER_SCHEMA'::regnamespace")" 2
	assert_equal "$(app_count "$OWNER_SCHEMA")" "$a_count"
	run psql "$DATABASE_URL" -XAtq -c "SELECT count(*) FROM $OWNER_SCHEMA.projects"
	assert_output --partial "permission denied"
	# The first tenant is as it was, and nothing was left under another name.
	assert_equal "$(project_names "$a_schema")" "$a_names"
	assert_equal "$(app_count "$a_schema")" "$a_count"
	assert_equal "$(psql_owner "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\_\_restore%')
	    + (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'tenant\_\_restore%')")" 0
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	assert_equal "$(json .slug)" "$OWNER_SLUG"
}

@test "tenant-restore into a new tenant row: no --force needed; ready, at the dump's schema version" {
	ready_owner
	add_projects 1
	dump=$("$backup" "$OWNER_SLUG")
	bare_tenant provisioning
	run "$restore" "$T_SLUG" "$dump"
	assert_success
	assert_equal "$(psql_owner "SELECT status || ' ' || schema_version FROM public.tenants
	    WHERE id = '$T_ID'")" "ready $ntenant"
	assert_equal "$(project_names "$T_SCHEMA")" "$(project_names "$OWNER_SCHEMA")"
	assert_equal "$(privileges "$T_SCHEMA")" "t|t|f|t|f|f"
}

@test "tenant-restore brings a deleted tenant back from the delete_tenant job's backup" {
	ready_owner
	add_projects 2
	names=$(project_names "$OWNER_SCHEMA")
	as "$OWNER" DELETE /api/v1/tenants/current
	assert_equal "$status_code" 202
	job=$(json .job_id)
	run_jobs
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" deleted
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 410
	run "$restore" "$OWNER_SLUG" "$BACKUP_DIR/$OWNER_SLUG-$job.dump"
	assert_success
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" ready
	assert_equal "$(project_names "$OWNER_SCHEMA")" "$names"
	assert_equal "$(privileges "$OWNER_SCHEMA")" "t|t|f|t|f|f"
	# The owner's membership and session were kept: the same token works.
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
}

@test "tenant-restore applies the tenant migrations the dump lacks" {
	bare_tenant ready
	psql_owner "SELECT public.tenant_schema_create('$T_SCHEMA')" >/dev/null
	psql_owner "CREATE TABLE $T_SCHEMA.schema_migrations (filename text PRIMARY KEY,
	    checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null
	dump=$("$backup" "$T_SLUG")
	run "$restore" "$T_SLUG" "$dump" --force
	assert_success
	assert_line --index 0 --partial "1 tables, schema version 0, ready"
	assert_line "applied $T_SCHEMA 0001_projects.sql"
	assert_equal "$(psql_owner "SELECT schema_version FROM public.tenants WHERE id = '$T_ID'")" "$ntenant"
	assert_equal "$(privileges "$T_SCHEMA")" "t|t|f|t|f|f"
}

@test "tenant-restore refuses a bad file, an unknown slug, a tenant being provisioned, a schema with tables" {
	ready_owner
	add_projects 2
	dump=$("$backup" "$OWNER_SLUG")
	echo "not a dump" >"$BATS_TEST_TMPDIR/bad.dump"
	run "$restore" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/bad.dump" --force
	assert_failure 1
	assert_output --partial "is not a dump of pg_dump's custom format"
	run "$restore" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/missing.dump" --force
	assert_failure 1
	assert_output --partial "cannot read"
	run "$restore" no-such-tenant "$dump"
	assert_failure 1
	assert_output "tenant-restore: no tenant no-such-tenant"
	# A dump cut short: the restore fails half way and changes nothing.
	head -c "$(($(stat -c %s "$dump") - 100))" "$dump" >"$BATS_TEST_TMPDIR/cut.dump"
	psql_owner "DELETE FROM \"$OWNER_SCHEMA\".projects WHERE name = 'project-1'" >/dev/null
	before=$(project_names "$OWNER_SCHEMA")
	run "$restore" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/cut.dump" --force
	assert_failure 1
	assert_output --partial "the restore failed; nothing was changed"
	assert_equal "$(project_names "$OWNER_SCHEMA")" "$before"
	assert_equal "$(privileges "$OWNER_SCHEMA")" "t|t|f|t|f|f"
	# A dump of two schemas is not a tenant's.
	bare_tenant ready
	psql_owner "SELECT public.tenant_schema_create('$T_SCHEMA')" >/dev/null
	"$PG_DUMP" --format=custom --schema="$OWNER_SCHEMA" --schema="$T_SCHEMA" \
	    --file="$BATS_TEST_TMPDIR/two.dump" --dbname="$DATABASE_OWNER_URL"
	run "$restore" "$OWNER_SLUG" "$BATS_TEST_TMPDIR/two.dump" --force
	assert_failure 1
	assert_output --partial "holds more than one schema"
	# A dump whose tables grant rights to saas_app outright.
	psql_owner "CREATE TABLE $T_SCHEMA.schema_migrations (filename text PRIMARY KEY,
	    checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
	    GRANT SELECT ON $T_SCHEMA.schema_migrations TO saas_app" >/dev/null
	leaky=$("$backup" "$T_SLUG")
	run "$restore" "$T_SLUG" "$leaky" --force
	assert_failure 1
	assert_output --partial "the dump grants rights on its tables to other roles"
	assert_output --partial "the restore failed; nothing was changed"
	# A tenant that saas-jobs is still provisioning.
	new_user tenant
	run "$restore" "$SLUG" "$dump" --force
	assert_failure 1
	assert_output --partial "has unfinished work: provision_tenant job $JOB_ID"
	# A tenant that is not live but whose schema holds tables.
	psql_owner "UPDATE public.tenants SET status = 'failed' WHERE id = '$OWNER_TENANT'" >/dev/null
	run "$restore" "$OWNER_SLUG" "$dump"
	assert_failure 1
	assert_output --partial "holds 2 tables; --force replaces it"
	run "$restore" "$OWNER_SLUG"
	assert_failure 2
	run "$restore" "$OWNER_SLUG" "$dump" --forse
	assert_failure 2
}
