#!/usr/bin/env bats
# Superuser administration: scripts/create-superuser, the superuser gate of
# /admin/*, every tenant listed, suspended and resumed, impersonation and
# what it may not do, and the outbox's jobs seen and retried. The audit
# log's lists are test/api/audit.bats.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

ADMIN_ROUTES=(
	"GET /api/v1/admin/tenants"
	"POST /api/v1/admin/tenants/acme-corp/suspend"
	"POST /api/v1/admin/tenants/acme-corp/resume"
	"POST /api/v1/admin/impersonate"
	"GET /api/v1/admin/jobs"
	"POST /api/v1/admin/jobs/00000000-0000-4000-8000-000000000000/retry"
	"GET /api/v1/admin/audit-logs"
)

teardown() {
	app_stop
	# Rows a paging test dated in the future, so they sort first.
	psql_owner "DELETE FROM public.tenants WHERE slug LIKE 'zz-page-%'" >/dev/null
	psql_owner "DELETE FROM public.jobs WHERE kind LIKE 'zz-page-%'" >/dev/null
}

# new_job KIND STATUS [ASSIGNMENTS]: a job made by USER_ID in TENANT_ID, with
# "column = value, ..." set afterwards; prints its id.
new_job() {
	local id
	id=$(psql_owner "INSERT INTO public.jobs (kind, status, tenant_id, created_by)
	    VALUES ('$1', '$2', '$TENANT_ID', '$USER_ID') RETURNING id") || return 1
	[[ -z ${3:-} ]] || psql_owner "UPDATE public.jobs SET $3 WHERE id = '$id'" >/dev/null
	printf '%s' "$id"
}

# impersonate USER_ID SLUG [REASON]: POST /admin/impersonate as $SUPER; on 200 sets IMP.
impersonate() {
	IMP=
	as "$SUPER" POST /api/v1/admin/impersonate "$(jq -nc --arg u "$1" --arg s "$2" \
	    --arg r "${3:-support ticket 4711}" '{user_id: $u, tenant_slug: $s, reason: $r}')"
	if [[ $status_code == 200 ]]; then
		IMP=$(json .access_token)
		remember_secret "$IMP"
	fi
}

# admin_routes_answer TOKEN STATUS [CODE]: every /admin route answers so to
# TOKEN ("" for none).
admin_routes_answer() {
	local route
	for route in "${ADMIN_ROUTES[@]}"; do
		if [[ -n $1 ]]; then as "$1" ${route% *} "${route#* }" '{}'; else fcgi ${route% *} "${route#* }"; fi
		assert_equal "$status_code" "$2"
		[[ -z ${3:-} ]] || assert_equal "$(json .error.code)" "$3"
	done
}

tenant_status() {
	psql_owner "SELECT status FROM public.tenants WHERE id = '$1'"
}

# ---- scripts/create-superuser ------------------------------------------------

@test "create-superuser makes a verified superuser who signs in and reaches /admin" {
	email=$(new_email root) password=$(new_password)
	run bash -c 'printf "%s\n" "$1" | "$REPO/scripts/create-superuser" --full-name "Root Admin" "$2"' \
	    _ "$password" "$email"
	assert_success
	assert_output --regexp "^created $email [0-9a-f-]{36}$"
	id=${output##* }
	assert_equal "$(psql_owner "SELECT is_superuser, email_verified_at IS NOT NULL, full_name,
	    password_hash LIKE '\$argon2id\$%' FROM public.users WHERE id = '$id'")" "t|t|Root Admin|t"
	assert_equal "$(psql_owner "SELECT details::text FROM public.audit_logs
	    WHERE action = 'admin.superuser_grant' AND target_id = '$id'")" \
	    '{"created": true, "password_set": true}'
	login "$email" "$password"
	assert_equal "$status_code" 200
	as "$ACCESS" GET /api/v1/admin/tenants
	assert_equal "$status_code" 200
}

@test "create-superuser refuses a weak password and writes nothing" {
	email=$(new_email root)
	run bash -c 'printf "short\n" | "$REPO/scripts/create-superuser" "$1"' _ "$email"
	assert_failure 1
	assert_output --partial "weak password: too_short"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = '$email'")" 0
}

@test "create-superuser promotes an existing account and keeps its password" {
	new_user
	run bash -c 'printf "%s\n" "another strong passphrase 1234" |
	    "$REPO/scripts/create-superuser" "$1"' _ "$EMAIL"
	assert_success
	assert_line "promoted $EMAIL $USER_ID"
	assert_line --partial "keeps its password"
	assert_equal "$(psql_owner "SELECT is_superuser FROM public.users WHERE id = '$USER_ID'")" t
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "create-superuser --reset-password replaces the password and ends the sessions" {
	new_user
	old=$ACCESS password=$(new_password)
	run bash -c 'printf "%s\n" "$1" | "$REPO/scripts/create-superuser" --reset-password "$2"' \
	    _ "$password" "$EMAIL"
	assert_success
	assert_output "promoted $EMAIL $USER_ID (password reset)"
	me "$old"
	assert_equal "$status_code" 401
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 401
	login "$EMAIL" "$password"
	assert_equal "$status_code" 200
}

# ---- the superuser gate ----------------------------------------------------------

@test "every /admin route answers 401 without a token" {
	admin_routes_answer "" 401 UNAUTHENTICATED
}

@test "every /admin route answers 403 FORBIDDEN to a tenant's owner who is no superuser" {
	ready_owner
	admin_routes_answer "$OWNER" 403 FORBIDDEN
}

@test "superuser is the database's word: revoked, the same token is refused at once" {
	new_superuser
	as "$SUPER" GET /api/v1/admin/tenants
	assert_equal "$status_code" 200
	psql_owner "UPDATE public.users SET is_superuser = false WHERE id = '$SUPER_ID'" >/dev/null
	as "$SUPER" GET /api/v1/admin/tenants
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
}

@test "a superuser's tenant token reaches /admin too" {
	ready_owner
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$OWNER_ID'" >/dev/null
	as "$OWNER" GET /api/v1/admin/tenants
	assert_equal "$status_code" 200
}

# ---- GET /admin/tenants ------------------------------------------------------------

@test "GET /admin/tenants lists every tenant, newest first, with no-store" {
	ready_owner
	first=$OWNER_TENANT
	ready_owner
	second=$OWNER_TENANT
	new_superuser
	as "$SUPER" GET /api/v1/admin/tenants?limit=100
	assert_equal "$status_code" 200
	assert_equal "$(header Cache-Control)" no-store
	# The superuser's own registration made the newest tenant; then ours.
	assert_equal "$(json '.items[1].id')" "$second"
	assert_equal "$(json '.items[2].id')" "$first"
	assert_equal "$(json '.items[1] | keys | join(",")')" \
	    created_at,custom_domain,id,name,plan,slug,status,suspended_reason,updated_at
	assert_equal "$(json '.items[1].status')" ready
	assert_equal "$(json '.items[1].suspended_reason')" null
	assert_regex "$(json '.items[1].updated_at')" "$RFC3339_RE"
}

@test "GET /admin/tenants?status= keeps that status only" {
	ready_owner
	psql_owner "UPDATE public.tenants SET status = 'suspended' WHERE id = '$OWNER_TENANT'" >/dev/null
	new_superuser
	as "$SUPER" GET '/api/v1/admin/tenants?status=suspended&limit=100'
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[].status] | unique | join(",")')" suspended
	assert_equal "$(listed "$OWNER_TENANT")" 1
	as "$SUPER" GET '/api/v1/admin/tenants?status=ready&limit=100'
	assert_equal "$(listed "$OWNER_TENANT")" 0
}

@test "GET /admin/tenants with a status that is none, a bad limit or an unknown filter answers 422" {
	new_superuser
	as "$SUPER" GET '/api/v1/admin/tenants?status=sleeping'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" status
	as "$SUPER" GET '/api/v1/admin/tenants?limit=0'
	assert_equal "$status_code" 422
	as "$SUPER" GET '/api/v1/admin/tenants?colour=red'
	assert_equal "$status_code" 422
	as "$SUPER" GET '/api/v1/admin/tenants?cursor=nope'
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_CURSOR
}

@test "GET /admin/tenants pages by creation time and id, ties included, with next_cursor" {
	new_superuser
	# Five tenants dated in the future sort first; two share one instant.
	psql_owner "INSERT INTO public.tenants (slug, name, status, created_at) VALUES
	    ('zz-page-1', 'P1', 'ready', '2999-01-01T00:00:01Z'),
	    ('zz-page-2', 'P2', 'ready', '2999-01-01T00:00:02Z'),
	    ('zz-page-3', 'P3', 'ready', '2999-01-01T00:00:03Z'),
	    ('zz-page-4', 'P4', 'ready', '2999-01-01T00:00:03Z'),
	    ('zz-page-5', 'P5', 'ready', '2999-01-01T00:00:05Z')" >/dev/null
	want=$(psql_owner "SELECT string_agg(slug, ' ' ORDER BY created_at DESC, id DESC)
	    FROM public.tenants WHERE slug LIKE 'zz-page-%'")
	page_through "$SUPER" /api/v1/admin/tenants .slug 3 2
	assert_equal "${PAGED[*]:0:5}" "$want"
	assert_equal "${PAGED[5]}" "$(psql_owner "SELECT slug FROM public.tenants
	    WHERE slug NOT LIKE 'zz-page-%' ORDER BY created_at DESC, id DESC LIMIT 1")"
}

@test "GET /admin/tenants walked to the end lists each tenant once, and next_cursor ends null" {
	new_superuser
	ids=() cursor= pages=0
	while :; do
		as "$SUPER" GET "/api/v1/admin/tenants?limit=100${cursor:+&cursor=$cursor}"
		assert_equal "$status_code" 200
		mapfile -t -O "${#ids[@]}" ids < <(json '.items[].id')
		cursor=$(json .next_cursor)
		pages=$((pages + 1))
		[[ $cursor != null ]] || break
		((pages < 1000))
	done
	assert_equal "${#ids[@]}" "$(psql_owner "SELECT count(*) FROM public.tenants")"
	assert_equal "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" "${#ids[@]}"
}

# ---- suspend and resume ------------------------------------------------------------

@test "suspend: 200 the tenant, audited with the reason, and its members are refused at once" {
	ready_owner
	new_superuser
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/suspend" '{"reason":"unpaid invoices"}'
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" suspended
	assert_equal "$(json .suspended_reason)" "unpaid invoices"
	assert_equal "$(json .id)" "$OWNER_TENANT"
	assert_equal "$(tenant_status "$OWNER_TENANT")" suspended
	assert_equal "$(psql_owner "SELECT actor_id, tenant_id, target_type, target_id,
	    details->>'reason' FROM public.audit_logs WHERE action = 'tenant.suspend'
	    AND tenant_id = '$OWNER_TENANT'")" \
	    "$SUPER_ID|$OWNER_TENANT|tenant|$OWNER_TENANT|unpaid invoices"
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_SUSPENDED
}

@test "resume: 200 ready again, the reason cleared, audited, and the members served again" {
	ready_owner
	new_superuser
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/suspend" '{"reason":"abuse report"}'
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/resume"
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
	assert_equal "$(json .suspended_reason)" null
	assert_equal "$(audit_count tenant.resume "$SUPER_ID")" 1
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
}

@test "suspend and resume of an unknown or malformed slug answer 404 TENANT_NOT_FOUND" {
	new_superuser
	for action in suspend resume; do
		as "$SUPER" POST "/api/v1/admin/tenants/no-such-tenant-$(fresh_id)/$action" '{"reason":"x"}'
		assert_equal "$status_code" 404
		assert_equal "$(json .error.code)" TENANT_NOT_FOUND
		as "$SUPER" POST "/api/v1/admin/tenants/Bad_Slug'--/$action" '{"reason":"x"}'
		assert_equal "$status_code" 404
	done
}

@test "suspend of a tenant that is not ready answers 409 CONFLICT and changes nothing" {
	ready_owner
	new_superuser
	for status in provisioning failed suspended deleting deleted; do
		psql_owner "UPDATE public.tenants SET status = '$status' WHERE id = '$OWNER_TENANT'" >/dev/null
		as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/suspend" '{"reason":"x"}'
		assert_equal "$status_code" 409
		assert_equal "$(json .error.code)" CONFLICT
		assert_equal "$(tenant_status "$OWNER_TENANT")" "$status"
	done
	assert_equal "$(audit_count tenant.suspend "$SUPER_ID")" 0
}

@test "resume of a tenant that is not suspended answers 409 CONFLICT" {
	ready_owner
	new_superuser
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/resume"
	assert_equal "$status_code" 409
	assert_equal "$(tenant_status "$OWNER_TENANT")" ready
}

@test "suspend without a reason, with an empty one or one over 1000 bytes answers 422" {
	ready_owner
	new_superuser
	long=$(printf 'x%.0s' {1..1001})
	for body in '{}' '{"reason":""}' "{\"reason\":\"$long\"}" '{"reason":7}' '{"reason":"x","more":1}'; do
		as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/suspend" "$body"
		assert_equal "$status_code" 422
	done
	assert_equal "$(tenant_status "$OWNER_TENANT")" ready
}

# ---- impersonation -----------------------------------------------------------------

@test "impersonate: 200 a tenant token for the member with act, no refresh token, audited" {
	ready_owner
	add_member member
	new_superuser
	impersonate "$MEMBER_ID" "$OWNER_SLUG" "ticket 42: cannot see projects"
	assert_equal "$status_code" 200
	assert_equal "$(header Cache-Control)" no-store
	assert_equal "$(json .token_type)" bearer
	assert_equal "$(json .expires_in)" 900
	assert_equal "$(json 'has("refresh_token")')" false
	assert_equal "$(json .tenant.slug)" "$OWNER_SLUG"
	assert_equal "$(json .tenant.role)" member
	assert_equal "$(jwt_payload "$IMP" | jq -r '.sub, .act.sub, .tid, .role' | tr '\n' ' ')" \
	    "$MEMBER_ID $SUPER_ID $OWNER_TENANT member "
	sid=$(jwt_payload "$IMP" | jq -r .sid)
	assert_equal "$(psql_owner "SELECT user_id, tenant_id, impersonator_id FROM public.sessions
	    WHERE id = '$sid'")" "$MEMBER_ID|$OWNER_TENANT|$SUPER_ID"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.refresh_tokens WHERE session_id = '$sid'")" 0
	assert_equal "$(psql_owner "SELECT actor_id, impersonator_id IS NULL, tenant_id, target_type,
	    target_id, details->>'reason' FROM public.audit_logs WHERE action = 'admin.impersonate'
	    AND actor_id = '$SUPER_ID'")" \
	    "$SUPER_ID|t|$OWNER_TENANT|user|$MEMBER_ID|ticket 42: cannot see projects"
}

@test "under impersonation /auth/me shows the user and the impersonator, and tenant routes serve" {
	ready_owner
	add_member member
	new_superuser
	impersonate "$MEMBER_ID" "$OWNER_SLUG"
	me "$IMP"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$MEMBER_ID"
	assert_equal "$(json .impersonator.id)" "$SUPER_ID"
	assert_equal "$(json .role)" member
	as "$IMP" GET /api/v1/members
	assert_equal "$status_code" 200
}

@test "audit entries written under impersonation name both the user and the impersonator" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	as "$IMP" PATCH /api/v1/tenants/current '{"name":"Renamed by support"}'
	assert_equal "$status_code" 200
	as "$IMP" POST /api/v1/invites "{\"email\":\"$(new_email inv)\",\"role\":\"member\"}"
	assert_equal "$status_code" 201
	as "$IMP" POST /api/v1/projects '{"name":"Made by support"}'
	assert_equal "$status_code" 201
	project=$(json .id)
	assert_equal "$(psql_owner "SELECT string_agg(action || ':' || actor_id || ':' || impersonator_id,
	    ' ' ORDER BY action) FROM public.audit_logs WHERE tenant_id = '$OWNER_TENANT'
	    AND action IN ('tenant.update', 'invite.create', 'project.create')")" \
	    "invite.create:$OWNER_ID:$SUPER_ID project.create:$OWNER_ID:$SUPER_ID tenant.update:$OWNER_ID:$SUPER_ID"
	assert_equal "$(psql_owner "SELECT target_id FROM public.audit_logs
	    WHERE action = 'project.create' AND tenant_id = '$OWNER_TENANT'")" "$project"
}

@test "an impersonation token gets 403 IMPERSONATION_FORBIDDEN on every /admin route" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	admin_routes_answer "$IMP" 403 IMPERSONATION_FORBIDDEN
}

@test "an impersonation token is refused on /admin even once its user is a superuser: that check comes first" {
	ready_owner
	new_superuser
	# Even a superuser impersonated (made one after the token) is no way into /admin.
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$OWNER_ID'" >/dev/null
	as "$IMP" GET /api/v1/admin/tenants
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
}

@test "under impersonation change-password, logout-all and switch-tenant answer 403 IMPERSONATION_FORBIDDEN" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	as "$IMP" POST /api/v1/auth/change-password \
	    "{\"current_password\":\"whatever it is 1\",\"new_password\":\"$(new_password)\"}"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
	as "$IMP" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
	as "$IMP" POST /api/v1/auth/switch-tenant "{\"tenant_slug\":\"$OWNER_SLUG\"}"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
	# Nothing ended: the owner's own session and the impersonation still work.
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	as "$IMP" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
}

@test "impersonating a superuser answers 403 FORBIDDEN" {
	ready_owner
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$OWNER_ID'" >/dev/null
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
	assert_equal "$(audit_count admin.impersonate "$SUPER_ID")" 0
}

@test "impersonating someone who is no active member of the tenant answers 404" {
	ready_owner
	add_member member
	new_superuser
	# A user of another tenant, an unknown id, a disabled member.
	impersonate "$SUPER_ID" "$OWNER_SLUG"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" NOT_FOUND
	impersonate 00000000-0000-4000-8000-000000000000 "$OWNER_SLUG"
	assert_equal "$status_code" 404
	psql_owner "UPDATE public.users SET is_active = false WHERE id = '$MEMBER_ID'" >/dev/null
	impersonate "$MEMBER_ID" "$OWNER_SLUG"
	assert_equal "$status_code" 404
}

@test "impersonating in an unknown tenant answers 404 TENANT_NOT_FOUND" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$(new_slug nowhere)"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" TENANT_NOT_FOUND
}

@test "impersonating in a tenant that does not serve answers as tenant routes do" {
	ready_owner
	new_superuser
	for pair in provisioning:503:TENANT_NOT_READY failed:503:TENANT_NOT_READY \
	    suspended:403:TENANT_SUSPENDED deleting:410:TENANT_DELETED deleted:410:TENANT_DELETED; do
		IFS=: read -r status code error <<<"$pair"
		psql_owner "UPDATE public.tenants SET status = '$status' WHERE id = '$OWNER_TENANT'" >/dev/null
		impersonate "$OWNER_ID" "$OWNER_SLUG"
		assert_equal "$status_code" "$code"
		assert_equal "$(json .error.code)" "$error"
	done
}

@test "impersonate without a reason or with a malformed user id or slug answers 422" {
	ready_owner
	new_superuser
	for body in "{\"user_id\":\"$OWNER_ID\",\"tenant_slug\":\"$OWNER_SLUG\"}" \
	    "{\"user_id\":\"$OWNER_ID\",\"tenant_slug\":\"$OWNER_SLUG\",\"reason\":\"\"}" \
	    "{\"user_id\":\"42\",\"tenant_slug\":\"$OWNER_SLUG\",\"reason\":\"r\"}" \
	    "{\"user_id\":\"$OWNER_ID\",\"tenant_slug\":\"Not A Slug\",\"reason\":\"r\"}"; do
		as "$SUPER" POST /api/v1/admin/impersonate "$body"
		assert_equal "$status_code" 422
	done
}

@test "an impersonation lasts at most 15 minutes however long access tokens live" {
	ready_owner
	new_superuser
	app_start ACCESS_TOKEN_TTL=3600
	login "$EMAIL" "$PASSWORD"
	assert_equal "$(json .expires_in)" 3600
	SUPER=$ACCESS
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	assert_equal "$status_code" 200
	assert_equal "$(json .expires_in)" 900
	assert_equal "$(jwt_payload "$IMP" | jq '.exp - .iat')" 900
	sid=$(jwt_payload "$IMP" | jq -r .sid)
	assert_equal "$(psql_owner "SELECT expires_at <= now() + interval '900 seconds'
	    AND expires_at > now() + interval '800 seconds' FROM public.sessions WHERE id = '$sid'")" t
}

@test "with shorter access tokens an impersonation lasts as long as one" {
	ready_owner
	new_superuser
	app_start ACCESS_TOKEN_TTL=120
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	assert_equal "$(json .expires_in)" 120
	assert_equal "$(jwt_payload "$IMP" | jq '.exp - .iat')" 120
}

@test "an impersonation token past its expiry answers 401 TOKEN_EXPIRED, and its session ends with it" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	# The very token, 16 minutes older: signed again with the stack's key.
	old=$(forge_jwt "$(jwt_header "$IMP")" "$(jwt_payload "$IMP" |
	    jq -c '.iat -= 960 | .nbf -= 960 | .exp -= 960')")
	me "$old"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" TOKEN_EXPIRED
	# The session is over when the token is: no refresh, no later token for it.
	me "$IMP"
	assert_equal "$status_code" 200
	sid=$(jwt_payload "$IMP" | jq -r .sid)
	psql_owner "UPDATE public.sessions SET expires_at = now() - interval '1 second'
	    WHERE id = '$sid'" >/dev/null
	me "$IMP"
	assert_equal "$status_code" 401
}

# ---- jobs ------------------------------------------------------------------------------

@test "GET /jobs/{id}: the creator sees the job with its workflow's steps" {
	register "$(new_email)"
	login "$EMAIL" "$PASSWORD"
	as "$ACCESS" GET "/api/v1/jobs/$JOB_ID"
	assert_equal "$status_code" 200
	assert_equal "$(header Cache-Control)" no-store
	assert_equal "$(json '[.id, .kind, .status, .step, .attempts, .last_error, .tenant_id] | map(tostring) | join(" ")')" \
	    "$JOB_ID provision_tenant pending 0 0 null $TENANT_ID"
	assert_equal "$(json '.steps | join(",")')" create_schema,migrate,seed,mark_ready,welcome_email
	assert_equal "$(json 'keys | join(",")')" \
	    attempts,created_at,id,kind,last_error,run_after,status,step,steps,tenant_id,updated_at
	assert_regex "$(json .created_at)" "$RFC3339_RE"
	assert_regex "$(json .updated_at)" "$RFC3339_RE"
}

@test "GET /jobs/{id}: a member of the job's tenant sees it, and its creator does after leaving" {
	ready_owner
	owner_email=$EMAIL owner_password=$PASSWORD
	job=$(psql_owner "SELECT id FROM public.jobs WHERE tenant_id = '$OWNER_TENANT'
	    AND kind = 'provision_tenant'")
	add_member member
	as "$MEMBER" GET "/api/v1/jobs/$job"
	assert_equal "$status_code" 200
	assert_equal "$(json .id)" "$job"
	psql_owner "DELETE FROM public.user_tenant_membership WHERE user_id = '$OWNER_ID'" >/dev/null
	login "$owner_email" "$owner_password"
	as "$ACCESS" GET "/api/v1/jobs/$job"
	assert_equal "$status_code" 200
}

@test "GET /jobs/{id} answers 404 to anyone else, for an unknown or malformed id, and 401 without a token" {
	register "$(new_email)"
	job=$JOB_ID
	new_user
	as "$ACCESS" GET "/api/v1/jobs/$job"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" NOT_FOUND
	as "$ACCESS" GET /api/v1/jobs/00000000-0000-4000-8000-000000000000
	assert_equal "$status_code" 404
	as "$ACCESS" GET "/api/v1/jobs/not-a-uuid'--"
	assert_equal "$status_code" 404
	fcgi GET "/api/v1/jobs/$job"
	assert_equal "$status_code" 401
}

@test "GET /jobs/{id} of a kind this version does not know has no steps" {
	new_user
	id=$(new_job mystery pending)
	as "$ACCESS" GET "/api/v1/jobs/$id"
	assert_equal "$status_code" 200
	assert_equal "$(json '.steps | length')" 0
}

@test "GET /admin/jobs lists every job, newest first, filtered by status and kind" {
	new_user
	dead=$(new_job send_email dead)
	failed=$(new_job send_email failed)
	new_superuser
	as "$SUPER" GET /api/v1/admin/jobs?limit=100
	assert_equal "$status_code" 200
	assert_equal "$(header Cache-Control)" no-store
	# The superuser's registration queued the newest jobs; ours come after them.
	assert_equal "$(json "[.items[].id] | index(\"$failed\") < index(\"$dead\")")" true
	as "$SUPER" GET '/api/v1/admin/jobs?status=dead&limit=100'
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[].status] | unique | join(",")')" dead
	assert_equal "$(listed "$dead")" 1
	as "$SUPER" GET '/api/v1/admin/jobs?status=dead&kind=provision_tenant&limit=100'
	assert_equal "$(listed "$dead")" 0
	as "$SUPER" GET '/api/v1/admin/jobs?kind=send_email&limit=100'
	assert_equal "$(json '[.items[].kind] | unique | join(",")')" send_email
}

@test "GET /admin/jobs with a status that is none answers 422; a bad cursor 400" {
	new_superuser
	as "$SUPER" GET '/api/v1/admin/jobs?status=finished'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" status
	as "$SUPER" GET '/api/v1/admin/jobs?cursor=1.2'
	assert_equal "$status_code" 400
}

@test "GET /admin/jobs pages by creation time and id with next_cursor" {
	new_user
	for i in 1 2 3 4 5; do
		new_job "zz-page-$i" pending "created_at = '2999-01-01T00:00:0$((i / 2))Z'" >/dev/null
	done
	want=$(psql_owner "SELECT string_agg(kind, ' ' ORDER BY created_at DESC, id DESC)
	    FROM public.jobs WHERE kind LIKE 'zz-page-%'")
	new_superuser
	page_through "$SUPER" /api/v1/admin/jobs .kind 3 2
	assert_equal "${PAGED[*]:0:5}" "$want"
}

@test "retry of a dead job: 202 pending and due now, attempts from 0, lease cleared, last_error kept, audited" {
	new_user
	id=$(new_job send_email dead "attempts = 8, last_error = 'smtp: 550', locked_by = 'w1',
	    locked_until = now() + interval '1 hour', lease_token = gen_random_uuid(),
	    finished_at = now(), run_after = now() + interval '1 day', step = 0")
	tenant=$TENANT_ID
	new_superuser
	as "$SUPER" POST "/api/v1/admin/jobs/$id/retry"
	assert_equal "$status_code" 202
	assert_equal "$(json '[.status, .attempts, .last_error] | map(tostring) | join(" ")')" "pending 0 smtp: 550"
	assert_equal "$(psql_owner "SELECT status, attempts, last_error, locked_by IS NULL,
	    locked_until IS NULL, lease_token IS NULL, finished_at IS NULL,
	    run_after <= now() AND run_after > now() - interval '1 minute'
	    FROM public.jobs WHERE id = '$id'")" "pending|0|smtp: 550|t|t|t|t|t"
	assert_equal "$(psql_owner "SELECT actor_id, tenant_id, target_type, details::text
	    FROM public.audit_logs WHERE action = 'job.retry' AND target_id = '$id'")" \
	    "$SUPER_ID|$tenant|job|{\"status\": \"dead\", \"attempts\": 8}"
}

@test "retry of a failed job keeps its attempts" {
	new_user
	id=$(new_job send_email failed "attempts = 3, last_error = 'timeout'")
	new_superuser
	as "$SUPER" POST "/api/v1/admin/jobs/$id/retry"
	assert_equal "$status_code" 202
	assert_equal "$(json .status)" pending
	assert_equal "$(json .attempts)" 3
}

@test "retry of a job that is neither dead nor failed answers 409 CONFLICT and changes nothing" {
	new_user
	new_superuser
	for status in pending running succeeded; do
		id=$(new_job send_email "$status" "attempts = 2")
		as "$SUPER" POST "/api/v1/admin/jobs/$id/retry"
		assert_equal "$status_code" 409
		assert_equal "$(json .error.code)" CONFLICT
		assert_equal "$(psql_owner "SELECT status, attempts FROM public.jobs WHERE id = '$id'")" "$status|2"
	done
	assert_equal "$(audit_count job.retry "$SUPER_ID")" 0
}

@test "retry of an unknown or malformed job id answers 404" {
	new_superuser
	as "$SUPER" POST /api/v1/admin/jobs/00000000-0000-4000-8000-000000000000/retry
	assert_equal "$status_code" 404
	as "$SUPER" POST /api/v1/admin/jobs/42/retry
	assert_equal "$status_code" 404
}
