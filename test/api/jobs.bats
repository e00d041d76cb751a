#!/usr/bin/env bats
# saas-jobs, the outbox runner (jobs/): provisioning, mail, deletion and
# cleanup; crashes at every step, a lapsed lease, four runners at once,
# retries, dead jobs, fairness between tenants and the pool of schemas.
# Each test runs the real runner (run_jobs: saas-jobs --once), sometimes
# with JOB_FAULT, which makes it stop itself (SIGSTOP) at a step so the
# test can kill it there.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

setup() {
	TMP=$(mktemp -d)
	export TMP
}

teardown() {
	local pid
	for pid in ${RUNNERS:-}; do
		kill -CONT "$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}

# A runner in the background with extra settings (NAME=VALUE), then
# options of its own (--max-seconds N); its pid in RUNNER.
runner_start() {
	(
		close_fds
		local settings=() args=(--max-seconds 60)
		while (($# > 0)); do
			case $1 in
			--*) args=("$@"); break ;;
			*) settings+=("$1"); shift ;;
			esac
		done
		exec env "${settings[@]}" "$SAAS_JOBS_BIN" --once "${args[@]}" >>"$TMP/runner.log" 2>&1
	) &
	RUNNER=$!
	RUNNERS+=" $RUNNER"
}

# Whether pid is stopped (state T in /proc/PID/stat).
is_stopped() {
	[[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == T ]]
}

# Whether no server process of the database still serves pid's connection.
backend_gone() {
	[[ $(psql_owner "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'saas-jobs' AND pid IN
	    (SELECT locked_backend FROM public.jobs WHERE id = '$1')") == 0 ]]
}

tenant_is_ready() {
	[[ $(psql_owner "SELECT status FROM public.tenants WHERE id = '$1'") == ready ]]
}

job_field() {
	psql_owner "SELECT $2 FROM public.jobs WHERE id = '$1'"
}

# How many times a step of a job committed, over every runner's log.
step_done() {
	cat "$TMP/runner.log" "$STACK_DIR/log/saas-jobs.log" 2>/dev/null |
		grep -c "job $1 (.*) step $2 done" || true
}

# A mail command that keeps each delivery in a file of its own, so a
# message sent twice shows twice (MAIL_DIR would overwrite it).
mail_catcher() {
	mkdir -p "$TMP/sent"
	# Each message into a file of its own, never overwritten: the shell's
	# noclobber makes the file as mktemp would (O_EXCL), under the pid and
	# the first free number, and cat is the one process it starts.
	cat >"$TMP/deliver" <<-EOF
		#!/bin/sh
		set -C
		n=0
		until { true >"$TMP/sent/m.\$\$.\$n"; } 2>/dev/null; do
			n=\$((n + 1))
			[ \$n -lt 1000 ] || exit 1
		done
		exec cat >>"$TMP/sent/m.\$\$.\$n"
	EOF
	chmod +x "$TMP/deliver"
}

deliveries_of() {
	grep -l "^Message-ID: <$1" "$TMP"/sent/m.* 2>/dev/null | wc -l
}

@test "provision_tenant: schema, role, migrations, a first project, ready, audited, welcomed" {
	new_user tenant
	schema=tenant_${SLUG//-/_}
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" provisioning
	run_jobs
	assert_equal "$(psql_owner "SELECT status || ' ' || schema_version FROM public.tenants
	    WHERE id = '$TENANT_ID'")" "ready $(ls "$REPO"/schema/tenant/*.sql | wc -l)"
	assert_equal "$(psql_owner "SELECT count(*) FROM $schema.schema_migrations")" \
		"$(ls "$REPO"/schema/tenant/*.sql | wc -l)"
	# The schema's own role, and nobody else's, may use it.
	assert_equal "$(psql_owner "SELECT has_schema_privilege('$schema', '$schema', 'USAGE'),
	    has_schema_privilege('saas_app', '$schema', 'USAGE'),
	    pg_has_role('saas_app', '$schema', 'MEMBER'), pg_has_role('saas_app', '$schema', 'USAGE')")" \
		"t|f|t|f"
	assert_equal "$(psql_owner "SELECT name || ' ' || (created_by = '$USER_ID')
	    FROM $schema.projects")" "Getting started true"
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || attempts
	    || ' ' || (lease_token IS NULL)")" "succeeded 5 1 true"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE action = 'tenant.ready' AND tenant_id = '$TENANT_ID'")" 1
	run grep -l "Subject: Your workspace Tenant $SLUG is ready" "$MAIL_DIR"/"$JOB_ID".4.eml
	assert_success
	# The tenant answers on tenant routes now.
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
}

@test "send_email: delivered with a Message-ID of job and step, then its text leaves the outbox" {
	register "$(new_email)"
	job=$(psql_owner "SELECT id FROM public.jobs WHERE kind = 'send_email'
	    AND payload->>'to' = '$EMAIL'")
	run_jobs
	assert_equal "$(job_field "$job" "status || ' ' || (payload ? 'text')")" "succeeded false"
	run grep -c "^Message-ID: <$job.0@saas-fcgi>" "$MAIL_DIR/$job.0.eml"
	assert_output 1
	run grep -c '^Token: ' "$MAIL_DIR/$job.0.eml"
	assert_output 1
}

@test "provision_tenant: killed after each step commits, a second runner finishes; no step twice" {
	mail_catcher
	for k in 0 1 2 3 4; do
		new_user tenant
		runner_start JOB_FAULT="stop-after:$k@provision_tenant" MAIL_DIR= MAIL_COMMAND="$TMP/deliver"
		wait_for 20 is_stopped "$RUNNER"
		kill -KILL "$RUNNER"
		wait "$RUNNER" 2>/dev/null || true
		# Its server process goes with it; the job is free at once, not after the lease.
		wait_for 10 backend_gone "$JOB_ID"
		MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
		assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" ready
		# After the last step the job was done: no second attempt.
		assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || attempts")" \
			"succeeded 5 $((k < 4 ? 2 : 1))"
		for s in create_schema migrate seed mark_ready welcome_email; do
			assert_equal "$s $(step_done "$JOB_ID" "$s")" "$s 1"
		done
		assert_equal "$(deliveries_of "$JOB_ID.4")" 1
		assert_equal "$(psql_owner "SELECT count(*) FROM tenant_${SLUG//-/_}.projects")" 1
		assert_equal "$(psql_owner "SELECT schema_version FROM public.tenants
		    WHERE id = '$TENANT_ID'")" "$(ls "$REPO"/schema/tenant/*.sql | wc -l)"
	done
}

@test "provision_tenant: killed inside each step before it commits: nothing of it stays, then it runs once" {
	mail_catcher
	for k in 0 1 2 3; do
		new_user tenant
		runner_start JOB_FAULT="stop-in:$k@provision_tenant" MAIL_DIR= MAIL_COMMAND="$TMP/deliver"
		wait_for 20 is_stopped "$RUNNER"
		kill -KILL "$RUNNER"
		wait "$RUNNER" 2>/dev/null || true
		wait_for 10 backend_gone "$JOB_ID"
		assert_equal "$(job_field "$JOB_ID" step)" "$k"
		if ((k == 0)); then
			assert_equal "$(psql_owner "SELECT count(*) FROM pg_namespace
			    WHERE nspname = 'tenant_${SLUG//-/_}'")" 0
		fi
		MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
		assert_equal "$(job_field "$JOB_ID" "status || ' ' || step")" "succeeded 5"
		assert_equal "$(psql_owner "SELECT count(*) FROM tenant_${SLUG//-/_}.projects")" 1
		assert_equal "$(deliveries_of "$JOB_ID.4")" 1
	done
}

@test "a runner stopped past its lease: another takes over and finishes; the first records nothing" {
	mail_catcher
	new_user tenant
	runner_start JOB_FAULT=stop-after:1@provision_tenant JOB_LEASE_SECONDS=2 MAIL_DIR= MAIL_COMMAND="$TMP/deliver"
	first=$RUNNER
	wait_for 20 is_stopped "$first"
	lease=$(job_field "$JOB_ID" lease_token)
	# Its server process lives on: the job is not free until the lease lapses.
	MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
	assert_equal "$(job_field "$JOB_ID" "lease_token")" "$lease"
	sleep 2.2
	MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || attempts")" "succeeded 5 2"
	before=$(job_field "$JOB_ID" "updated_at")
	kill -CONT "$first"
	wait "$first" || true
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || attempts")" "succeeded 5 2"
	assert_equal "$(job_field "$JOB_ID" "updated_at")" "$before"
	run grep -c "job $JOB_ID (provision_tenant): lease lost at step seed" "$TMP/runner.log"
	assert_output 1
	for s in create_schema migrate seed mark_ready welcome_email; do
		assert_equal "$s $(step_done "$JOB_ID" "$s")" "$s 1"
	done
	assert_equal "$(deliveries_of "$JOB_ID.4")" 1
}

@test "a runner frozen inside a step's transaction loses it when the lease runs out" {
	mail_catcher
	new_user tenant
	runner_start JOB_FAULT=stop-in:2@provision_tenant JOB_LEASE_SECONDS=2 MAIL_DIR= MAIL_COMMAND="$TMP/deliver"
	first=$RUNNER
	wait_for 20 is_stopped "$first"
	# The server ends the idle transaction after the lease; the row is free.
	wait_for 10 backend_gone "$JOB_ID"
	MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || attempts")" "succeeded 5 2"
	before=$(job_field "$JOB_ID" "updated_at")
	kill -CONT "$first"
	wait "$first" || true
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || updated_at")" "succeeded $before"
	assert_equal "$(step_done "$JOB_ID" seed)" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM tenant_${SLUG//-/_}.projects")" 1
}

@test "four runners drain 2,000 jobs: each runs exactly once, none lost, none left running" {
	mail_catcher
	run_jobs # whatever earlier tests left
	psql_owner "INSERT INTO public.jobs (kind, payload)
	    SELECT 'send_email', jsonb_build_object('to', 'bulk' || i || '@example.test',
	      'subject', 'Bulk ' || i, 'text', 'Message ' || i)
	    FROM generate_series(1, 2000) i" >/dev/null
	for i in 1 2 3 4; do
		runner_start MAIL_DIR= MAIL_COMMAND="$TMP/deliver" --max-seconds 600
	done
	for pid in $RUNNERS; do
		wait "$pid"
	done
	assert_equal "$(psql_owner "SELECT status || ' ' || attempts || ' ' || n FROM (
	    SELECT status, attempts, count(*) AS n FROM public.jobs
	    WHERE payload->>'to' LIKE 'bulk%@example.test' GROUP BY 1, 2) x")" "succeeded 1 2000"
	assert_equal "$(ls "$TMP/sent" | wc -l)" 2000
	assert_equal "$(grep -h '^Message-ID: ' "$TMP"/sent/m.* | sort -u | wc -l)" 2000
	assert_equal "$(grep -h '^To: bulk' "$TMP"/sent/m.* | sort -u | wc -l)" 2000
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE status = 'running'")" 0
}

@test "a failing job backs off, then goes dead with its error and an audit entry" {
	job=$(psql_owner "INSERT INTO public.jobs (kind, payload, max_attempts)
	    VALUES ('send_email', '{\"to\": \"not an address\", \"subject\": \"x\", \"text\": \"y\"}', 2)
	    RETURNING id")
	run_jobs
	assert_equal "$(job_field "$job" "status || ' ' || attempts || ' ' || (run_after > now())
	    || ' ' || last_error")" "failed 1 true the mail could not be delivered"
	psql_owner "UPDATE public.jobs SET run_after = now() WHERE id = '$job'" >/dev/null
	run_jobs
	assert_equal "$(job_field "$job" "status || ' ' || attempts || ' ' || (finished_at IS NOT NULL)")" \
		"dead 2 true"
	assert_equal "$(psql_owner "SELECT details->>'kind' || ' ' || (details->>'step')
	    || ' ' || outcome FROM public.audit_logs WHERE action = 'job.dead' AND target_id = '$job'")" \
		"send_email send success"
	# The backoff grows: base 10 s, then 20 s, each times 0.5 to 1.
	job=$(psql_owner "INSERT INTO public.jobs (kind, payload)
	    VALUES ('send_email', '{\"to\": \"x\", \"subject\": \"x\", \"text\": \"y\"}') RETURNING id")
	run_jobs
	wait1=$(job_field "$job" "extract(epoch FROM run_after - updated_at)::int")
	psql_owner "UPDATE public.jobs SET run_after = now() WHERE id = '$job'" >/dev/null
	run_jobs
	wait2=$(job_field "$job" "extract(epoch FROM run_after - updated_at)::int")
	((wait1 >= 5 && wait1 <= 10)) || fail "first backoff $wait1 s"
	((wait2 >= 10 && wait2 <= 20)) || fail "second backoff $wait2 s"
}

@test "a job of an unknown kind is dead at once" {
	job=$(psql_owner "INSERT INTO public.jobs (kind) VALUES ('no_such_kind') RETURNING id")
	run_jobs
	assert_equal "$(job_field "$job" "status || ' ' || attempts || ' ' || last_error")" \
		"dead 1 no workflow for this kind of job"
}

@test "provisioning that gives up: the tenant is failed and its half-made schema dropped" {
	cp -R "$REPO/schema" "$TMP/schema"
	echo 'SELECT no_such_function();' >"$TMP/schema/tenant/9999_broken.sql"
	new_user tenant
	schema=tenant_${SLUG//-/_}
	psql_owner "UPDATE public.jobs SET max_attempts = 1 WHERE id = '$JOB_ID'" >/dev/null
	MIGRATIONS_DIR=$TMP/schema run_jobs
	# Back at its first step, for a retry to start over.
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step || ' ' || last_error")" \
		"dead 0 a tenant migration failed"
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" failed
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_roles WHERE rolname = '$schema'")" 0
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" TENANT_NOT_READY
	# Retried with the migration mended: provisioned from scratch.
	run "$REPO/scripts/jobs" retry "$JOB_ID"
	assert_success
	run_jobs
	assert_equal "$(job_field "$JOB_ID" "status || ' ' || step")" "succeeded 5"
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" ready
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
}

@test "delete_tenant: the schema is dumped into BACKUP_DIR, dropped with its role, the tenant deleted" {
	ready_owner
	as "$OWNER" DELETE /api/v1/tenants/current
	assert_equal "$status_code" 202
	job=$(json .job_id)
	run_jobs
	assert_equal "$(job_field "$job" "status || ' ' || step")" "succeeded 3"
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" deleted
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_namespace WHERE nspname = '$OWNER_SCHEMA'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_roles WHERE rolname = '$OWNER_SCHEMA'")" 0
	dump=$BACKUP_DIR/$OWNER_SLUG-$job.dump
	[[ -s $dump ]] || fail "no backup at $dump"
	run "$(dirname "$PG_DUMP")/pg_restore" --list "$dump"
	assert_success
	assert_output --partial "TABLE $OWNER_SCHEMA projects"
	assert_output --partial "TABLE DATA $OWNER_SCHEMA projects"
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 410
}

@test "cleanup: queued once a day by the runner, prunes expired tokens, old jobs and invitations" {
	new_user
	psql_owner "DELETE FROM public.jobs WHERE kind = 'cleanup'" >/dev/null
	psql_owner "INSERT INTO public.email_tokens (user_id, kind, token_hash, expires_at)
	    VALUES ('$USER_ID', 'reset_password', sha256('old$USER_ID'), now() - interval '1 minute')" >/dev/null
	old=$(psql_owner "INSERT INTO public.jobs (kind, status, finished_at)
	    VALUES ('send_email', 'succeeded', now() - interval '31 days') RETURNING id")
	recent=$(psql_owner "INSERT INTO public.jobs (kind, status, finished_at)
	    VALUES ('send_email', 'succeeded', now() - interval '29 days') RETURNING id")
	run_jobs
	run_jobs
	assert_equal "$(psql_owner "SELECT count(*) || ' ' || min(status) FROM public.jobs
	    WHERE kind = 'cleanup'")" "1 succeeded"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens
	    WHERE token_hash = sha256('old$USER_ID')")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE id IN ('$old', '$recent')")" 1
	assert_equal "$(job_field "$recent" status)" succeeded
}

@test "fairness: one tenant's backlog does not hold back another tenant's job" {
	mail_catcher
	run_jobs
	a=$(psql_owner "INSERT INTO public.tenants (slug, name, status) VALUES ('$(new_slug)', 'A', 'ready') RETURNING id")
	b=$(psql_owner "INSERT INTO public.tenants (slug, name, status) VALUES ('$(new_slug)', 'B', 'ready') RETURNING id")
	psql_owner "INSERT INTO public.jobs (kind, tenant_id, payload, run_after)
	    SELECT 'send_email', '$a', jsonb_build_object('to', 'a' || i || '@example.test',
	      'subject', 'A', 'text', 'a'), now() - interval '1 hour' + i * interval '1 second'
	    FROM generate_series(1, 40) i" >/dev/null
	late=$(psql_owner "INSERT INTO public.jobs (kind, tenant_id, payload)
	    VALUES ('send_email', '$b', '{\"to\": \"b@example.test\", \"subject\": \"B\", \"text\": \"b\"}')
	    RETURNING id")
	MAIL_DIR= MAIL_COMMAND="$TMP/deliver" run_jobs
	# B's job, queued last, ran second: after A's first, before A's second.
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs
	    WHERE tenant_id = '$a' AND finished_at < (SELECT finished_at FROM public.jobs WHERE id = '$late')")" 1
}

@test "the pool: schemas made ahead, taken by a new tenant and made again" {
	TENANT_POOL_SIZE=2 run_jobs
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenant_pool")" 2
	pooled=$(psql_owner "SELECT schema_name FROM public.tenant_pool ORDER BY created_at, schema_name LIMIT 1")
	assert_equal "$(psql_owner "SELECT count(*) FROM $pooled.schema_migrations")" \
		"$(ls "$REPO"/schema/tenant/*.sql | wc -l)"
	new_user tenant
	TENANT_POOL_SIZE=2 run_jobs
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" ready
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_namespace WHERE nspname = '$pooled'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_roles WHERE rolname = '$pooled'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenant_pool")" 2
	run grep -c "takes the pooled schema $pooled" "$STACK_DIR/log/saas-jobs.log"
	assert_output 1
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	# The pool stays out of later tests' way.
	psql_owner "SELECT public.tenant_schema_drop(schema_name) FROM public.tenant_pool;
	    DELETE FROM public.tenant_pool" >/dev/null
}

@test "--loop: a NOTIFY wakes it; SIGTERM stops it" {
	(
		close_fds
		exec "$SAAS_JOBS_BIN" --loop >>"$TMP/runner.log" 2>&1
	) &
	loop=$!
	RUNNERS+=" $loop"
	wait_for 10 grep -q 'waiting for jobs' "$TMP/runner.log"
	new_user tenant
	wait_for 10 tenant_is_ready "$TENANT_ID"
	kill -TERM "$loop"
	wait "$loop"
}

@test "saas-jobs refuses bad usage and a bad JOB_FAULT" {
	run "$SAAS_JOBS_BIN"
	assert_equal "$status" 2
	run "$SAAS_JOBS_BIN" --once --loop
	assert_equal "$status" 2
	JOB_FAULT=sometimes run "$SAAS_JOBS_BIN" --once
	assert_equal "$status" 1
	assert_output --partial JOB_FAULT
}
