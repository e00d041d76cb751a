#!/usr/bin/env bats
# Tenant isolation. Two ready tenants, A and B, each with an owner, an admin
# and a member, and projects whose names are nowhere else. Everything A's
# people try against B is refused with the status API.md gives, no answer to
# A carries a byte of B's data, and PostgreSQL itself refuses what the C
# code would never ask: A's transaction naming B's schema.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

# The tenant-scoped routes, with a made-up id where one is needed.
T_ROUTES=(
	"GET /api/v1/tenants/current"
	"PATCH /api/v1/tenants/current"
	"DELETE /api/v1/tenants/current"
	"GET /api/v1/members"
	"PATCH /api/v1/members/00000000-0000-4000-8000-000000000001"
	"DELETE /api/v1/members/00000000-0000-4000-8000-000000000001"
	"POST /api/v1/invites"
	"GET /api/v1/invites"
	"DELETE /api/v1/invites/00000000-0000-4000-8000-000000000001"
	"GET /api/v1/projects"
	"POST /api/v1/projects"
	"GET /api/v1/projects/00000000-0000-4000-8000-000000000001"
	"PATCH /api/v1/projects/00000000-0000-4000-8000-000000000001"
	"DELETE /api/v1/projects/00000000-0000-4000-8000-000000000001"
)

# Saves the current owner's tenant as tenant X (A or B), with its admin and
# member and two projects named after the tenant and a secret.
make_tenant() {
	local x=$1 secret
	ready_owner
	secret=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	printf -v "${x}_OWNER" '%s' "$OWNER"
	printf -v "${x}_SLUG" '%s' "$OWNER_SLUG"
	printf -v "${x}_TENANT" '%s' "$OWNER_TENANT"
	printf -v "${x}_SCHEMA" '%s' "$OWNER_SCHEMA"
	add_member admin
	printf -v "${x}_ADMIN" '%s' "$MEMBER"
	add_member member
	printf -v "${x}_MEMBER" '%s' "$MEMBER"
	printf -v "${x}_MEMBER_ID" '%s' "$MEMBER_ID"
	printf -v "${x}_SECRET" '%s' "$x-secret-$secret"
	HTTP_X_TENANT_SLUG=$OWNER_SLUG as "$OWNER" POST /api/v1/projects \
	    "$(jq -nc --arg n "$x-secret-$secret-one" '{name: $n, description: "private notes"}')"
	[[ $status_code == 201 ]] || fail "project in $x: $status_code $body"
	printf -v "${x}_PROJECT" '%s' "$(json .id)"
	HTTP_X_TENANT_SLUG=$OWNER_SLUG as "$OWNER" POST /api/v1/projects \
	    "$(jq -nc --arg n "$x-secret-$secret-two" '{name: $n}')"
}

setup() {
	make_tenant A
	make_tenant B
	BODIES=$(mktemp)
}

teardown() {
	rm -f "$BODIES"
}

# as_a TOKEN METHOD PATH [BODY], remembering the body for the leak check.
as_a() {
	local token=$1
	shift
	as "$token" "$@"
	printf '%s\n' "$body" >>"$BODIES"
}

body_for() {
	case $1 in
	POST | PATCH) printf '%s' '{"name": "x"}' ;;
	esac
}

# Nothing A was answered holds B's secret, slug's schema or ids.
assert_no_b_data() {
	run grep -c -e "$B_SECRET" -e "$B_PROJECT" -e "$B_SCHEMA" "$BODIES"
	assert_output 0
}

@test "A's tokens with B's slug in X-Tenant-Slug: 403 TENANT_MISMATCH on every tenant route" {
	for token in "$A_OWNER" "$A_ADMIN" "$A_MEMBER"; do
		for route in "${T_ROUTES[@]}"; do
			read -r method path <<<"$route"
			HTTP_X_TENANT_SLUG=$B_SLUG as_a "$token" "$method" "$path" $(body_for "$method")
			assert_equal "$route $status_code $(json .error.code)" "$route 403 TENANT_MISMATCH"
		done
	done
	assert_no_b_data
}

@test "A's token through B's subdomain and B's custom domain (nginx): 403 TENANT_MISMATCH" {
	domain=b-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n').example.test
	psql_owner "UPDATE public.tenants SET custom_domain = '$domain' WHERE id = '$B_TENANT'" >/dev/null
	for host in "$B_SLUG.localhost" "$domain"; do
		for route in "GET /api/v1/projects" "GET /api/v1/members" "GET /api/v1/projects/$B_PROJECT"; do
			read -r method path <<<"$route"
			http "$method" "$path" -H "Host: $host" -H "Authorization: Bearer $A_OWNER"
			printf '%s\n' "$body" >>"$BODIES"
			assert_equal "$host $route $status_code $(json .error.code)" "$host $route 403 TENANT_MISMATCH"
		done
	done
	# B's own owner is served on its custom domain.
	http GET /api/v1/projects -H "Host: $domain" -H "Authorization: Bearer $B_OWNER"
	assert_equal "$status_code" 200
	assert_no_b_data
}

@test "B's project ids with A's tokens: 404, never 403, and B's project is untouched" {
	for token in "$A_OWNER" "$A_ADMIN" "$A_MEMBER"; do
		as_a "$token" GET "/api/v1/projects/$B_PROJECT"
		assert_equal "$status_code $(json .error.code)" "404 NOT_FOUND"
		as_a "$token" PATCH "/api/v1/projects/$B_PROJECT" '{"name": "taken over"}'
		assert_equal "$status_code $(json .error.code)" "404 NOT_FOUND"
		as_a "$token" DELETE "/api/v1/projects/$B_PROJECT"
		[[ $status_code == 404 || ($token == "$A_MEMBER" && $status_code == 403) ]] ||
			fail "DELETE B's project as A: $status_code"
	done
	# A's own list has A's projects and none of B's.
	as_a "$A_OWNER" GET /api/v1/projects
	assert_equal "$status_code" 200
	[[ $body == *"$A_SECRET"* ]] || fail "A's list lacks A's projects"
	HTTP_X_TENANT_SLUG=$B_SLUG as "$B_OWNER" GET "/api/v1/projects/$B_PROJECT"
	assert_equal "$status_code $(json .name)" "200 $B_SECRET-one"
	assert_no_b_data
}

@test "a lobby token, a removed member's token, a suspended and a deleted tenant are refused" {
	new_user
	as_a "$ACCESS" GET /api/v1/projects
	assert_equal "$status_code $(json .error.code)" "403 TENANT_MISMATCH"
	HTTP_X_TENANT_SLUG=$B_SLUG as_a "$ACCESS" GET /api/v1/projects
	assert_equal "$status_code $(json .error.code)" "403 TENANT_MISMATCH"

	as "$A_OWNER" DELETE "/api/v1/members/$A_MEMBER_ID"
	assert_equal "$status_code" 204
	as_a "$A_MEMBER" GET /api/v1/projects
	assert_equal "$status_code" 401

	psql_owner "UPDATE public.tenants SET status = 'suspended' WHERE id = '$A_TENANT'" >/dev/null
	as_a "$A_ADMIN" GET /api/v1/projects
	assert_equal "$status_code $(json .error.code)" "403 TENANT_SUSPENDED"
	psql_owner "UPDATE public.tenants SET status = 'ready' WHERE id = '$A_TENANT'" >/dev/null

	as "$A_OWNER" DELETE /api/v1/tenants/current
	assert_equal "$status_code" 202
	as_a "$A_ADMIN" GET /api/v1/projects
	assert_equal "$status_code $(json .error.code)" "410 TENANT_DELETED"
	run_jobs
	as_a "$A_OWNER" GET "/api/v1/projects/$A_PROJECT"
	assert_equal "$status_code $(json .error.code)" "410 TENANT_DELETED"
	assert_no_b_data
}

@test "slugs and ids carrying SQL are refused, and every schema is intact afterwards" {
	schemas=$(psql_owner "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")
	long=$(printf 'a%.0s' $(seq 300))
	for slug in "a'; drop schema $B_SCHEMA cascade; --" "$B_SCHEMA, public" '"' "$B_SLUG%00" \
	    "$long" "${B_SLUG^^}" "$B_SLUG " "../$B_SLUG"; do
		HTTP_X_TENANT_SLUG=$slug as_a "$A_OWNER" GET /api/v1/projects
		assert_equal "$status_code $(json .error.code)" "400 INVALID_TENANT"
		TENANT_SLUG=$slug as_a "$A_OWNER" GET /api/v1/projects
		assert_equal "$status_code $(json .error.code)" "400 INVALID_TENANT"
	done
	for id in "1' OR '1'='1" "$B_PROJECT'; DROP TABLE projects; --" "%00" "$long" \
	    "$B_PROJECT%27" "00000000-0000-0000-0000-00000000000g"; do
		as_a "$A_OWNER" GET "/api/v1/projects/$(jq -rn --arg s "$id" '$s | @uri')"
		assert_equal "$status_code $(json .error.code)" "404 NOT_FOUND"
	done
	assert_equal "$(psql_owner "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")" "$schemas"
	assert_equal "$(psql_owner "SELECT count(*) FROM $B_SCHEMA.projects WHERE name LIKE '$B_SECRET%'")" 2
	assert_no_b_data
}

# psql as the application role, the way a worker's connection is.
psql_app() {
	psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 "$@" 2>&1
}

@test "PostgreSQL refuses A's tenant transaction naming B's schema, and unqualified names outside one" {
	run psql_app -c "BEGIN" \
	    -c "SELECT set_config('search_path', quote_ident('$A_SCHEMA'), true), set_config('role', '$A_SCHEMA', true)" \
	    -c "SELECT count(*) FROM projects" \
	    -c "SELECT * FROM $B_SCHEMA.projects"
	assert_failure
	assert_output --partial "permission denied for schema $B_SCHEMA"
	refute_output --partial "$B_SECRET"
	run psql_app -c "SELECT * FROM projects"
	assert_failure
	assert_output --partial 'relation "projects" does not exist'
	# Nor does the application role hold any tenant's rights of its own.
	run psql_app -c "SELECT count(*) FROM $B_SCHEMA.projects"
	assert_failure
	assert_output --partial "permission denied for schema $B_SCHEMA"
}
