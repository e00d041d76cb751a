#!/usr/bin/env bats
# scripts/seed-demo on the suite's stack, with a job runner in --loop: the
# two demo tenants are made through the API, and every printed account
# signs in to its tenant with its role.

load ../lib/common
load ../lib/auth

setup() {
	TMP=$(mktemp -d)
	(
		close_fds
		exec "$SAAS_JOBS_BIN" --loop >>"$TMP/loop.log" 2>&1
	) &
	LOOP=$!
	wait_for 10 grep -q 'waiting for jobs' "$TMP/loop.log"
}

teardown() {
	kill -TERM "$LOOP" 2>/dev/null || true
	wait "$LOOP" || true
	rm -rf "$TMP"
}

@test "seed-demo: acme and globex, an owner, an admin and a member each, projects; then it refuses" {
	run "$REPO/scripts/seed-demo"
	assert_success
	assert_line --index 0 "Demo data is in. Passwords are shown this once:"
	for slug in acme globex; do
		for role in owner admin member; do
			line=$(grep -E "^  $role +$role@$slug\.example " <<<"$output")
			password=${line##* }
			remember_secret "$password"
			TENANT_SLUG=$slug fcgi POST /api/v1/auth/login \
			    "$(jq -nc --arg e "$role@$slug.example" --arg p "$password" '{email: $e, password: $p}')"
			assert_equal "$slug $role $status_code $(json .tenant.role)" "$slug $role 200 $role"
		done
		HTTP_AUTHORIZATION="Bearer $(json .access_token)" TENANT_SLUG=$slug fcgi GET /api/v1/projects
		assert_equal "$status_code" 200
		(($(json '.items | length') >= 3)) || fail "$slug has $(json '.items | length') projects"
	done
	run "$REPO/scripts/seed-demo"
	assert_failure 1
	assert_output --partial "already seeded"
}
