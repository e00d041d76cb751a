#!/usr/bin/env bats
# A new customer's first minute, through nginx: register, the tenant ready,
# login to it, a first project. Once with the runner in --loop (woken by
# NOTIFY, schemas from the pool: ready within 2 s) and once with --once as
# cron would start it.

load ../lib/common
load ../lib/auth

setup() {
	TMP=$(mktemp -d)
}

teardown() {
	[[ -z ${LOOP:-} ]] || { kill -TERM "$LOOP" 2>/dev/null; wait "$LOOP" || true; }
	# The pool stays out of later suites' way.
	psql_owner "SELECT public.tenant_schema_drop(schema_name) FROM public.tenant_pool;
	    DELETE FROM public.tenant_pool" >/dev/null
	rm -rf "$TMP"
}

# Registers through nginx; EMAIL, PASSWORD, SLUG.
register_e2e() {
	EMAIL=$(new_email e2e) PASSWORD=$(new_password) SLUG=$(new_slug e2e)
	remember_secret "$PASSWORD"
	post_json /api/v1/auth/register "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" --arg s "$SLUG" \
	    '{email: $e, password: $p, full_name: "New Customer", tenant_name: "New Co", tenant_slug: $s}')"
	assert_equal "$status_code" 202
	assert_equal "$(json .tenant.status)" provisioning
	JOB_ID=$(json .job_id)
}

# Logs in to SLUG (named by the subdomain); ACCESS.
login_e2e() {
	post_json /api/v1/auth/login "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')" \
	    -H "Host: $SLUG.localhost"
	assert_equal "$status_code" 200
	ACCESS=$(json .access_token)
	remember_secret "$ACCESS"
}

pool_full() {
	[[ $(psql_owner "SELECT count(*) FROM public.tenant_pool") == 2 ]]
}

tenant_ready() {
	[[ $(psql_owner "SELECT status FROM public.tenants WHERE slug = '$SLUG'") == ready ]]
}

# The first project of a ready tenant, and the one provisioning seeded.
first_project() {
	post_json /api/v1/projects '{"name": "Launch", "description": "Our first project"}' \
	    -H "Host: $SLUG.localhost" -H "Authorization: Bearer $ACCESS"
	assert_equal "$status_code" 201
	http GET /api/v1/projects -H "Host: $SLUG.localhost" -H "Authorization: Bearer $ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[].name] | sort | join(",")')" "Getting started,Launch"
}

@test "with saas-jobs --loop and a pool: register, ready within 2 s, login, a first project" {
	(
		close_fds
		exec env TENANT_POOL_SIZE=2 "$SAAS_JOBS_BIN" --loop >>"$TMP/loop.log" 2>&1
	) &
	LOOP=$!
	wait_for 30 pool_full
	start=$(date +%s%N)
	register_e2e
	wait_for 10 tenant_ready
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	((elapsed_ms < 2000)) || fail "registration to ready took $elapsed_ms ms"
	run grep -c "takes the pooled schema" "$TMP/loop.log"
	assert_output 1
	login_e2e
	http GET /api/v1/jobs/"$JOB_ID" -H "Host: $SLUG.localhost" -H "Authorization: Bearer $ACCESS"
	[[ $status_code == 404 ]] || assert_equal "$(json .status)" succeeded
	first_project
	# The pool is topped up again.
	wait_for 30 pool_full
}

@test "with saas-jobs --once, as cron runs it: register, ready after the run, login, a first project" {
	register_e2e
	http GET /api/v1/tenants/current -H "Host: $SLUG.localhost"
	assert_equal "$status_code" 401
	run_jobs
	tenant_ready
	login_e2e
	http GET /api/v1/tenants/current -H "Host: $SLUG.localhost" -H "Authorization: Bearer $ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
	first_project
	# And the welcome mail is in the mail directory.
	run grep -l "^To: $EMAIL" "$MAIL_DIR"/*.eml
	assert_success
}
