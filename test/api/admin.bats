#!/usr/bin/env bats
# Superuser administration: scripts/create-superuser, the superuser gate of
# /admin/*, every tenant listed, suspended and resumed, impersonation and
# what it may not do, and the outbox's jobs seen and retried.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

ADMIN_ROUTES=(
	"GET /api/v1/admin/tenants"
	"POST /api/v1/admin/tenants/acme-corp/suspend"
	"POST /api/v1/admin/tenants/acme-corp/resume"
	"POST /api/v1/admin/impersonate"
)

teardown() {
	app_stop
	# Tenants a paging test dated in the future, so they sort first.
	psql_owner "DELETE FROM public.tenants WHERE slug LIKE 'zz-page-%'" >/dev/null
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
	for route in "${ADMIN_ROUTES[@]}"; do
		fcgi ${route% *} "${route#* }"
		assert_equal "$status_code" 401
	done
}

@test "every /admin route answers 403 FORBIDDEN to a tenant's owner who is no superuser" {
	ready_owner
	for route in "${ADMIN_ROUTES[@]}"; do
		as "$OWNER" ${route% *} "${route#* }" '{}'
		assert_equal "$status_code" 403
		assert_equal "$(json .error.code)" FORBIDDEN
	done
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
	assert_equal "$(json "[.items[] | select(.id == \"$OWNER_TENANT\")] | length")" 1
	as "$SUPER" GET '/api/v1/admin/tenants?status=ready&limit=100'
	assert_equal "$(json "[.items[] | select(.id == \"$OWNER_TENANT\")] | length")" 0
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
	seen=() cursor=
	for page in 1 2 3; do
		as "$SUPER" GET "/api/v1/admin/tenants?limit=2${cursor:+&cursor=$cursor}"
		assert_equal "$status_code" 200
		assert_equal "$(json '.items | length')" 2
		seen+=($(json '.items[].slug'))
		cursor=$(json .next_cursor)
		assert_regex "$cursor" '^[0-9]+\.[0-9a-f]{32}$'
	done
	assert_equal "${seen[*]:0:5}" "$want"
	assert_equal "${seen[5]}" "$(psql_owner "SELECT slug FROM public.tenants
	    WHERE slug NOT LIKE 'zz-page-%' ORDER BY created_at DESC, id DESC LIMIT 1")"
}

@test "GET /admin/tenants walked to the end lists each tenant once, and next_cursor ends null" {
	new_superuser
	ids=() cursor= pages=0
	while :; do
		as "$SUPER" GET "/api/v1/admin/tenants?limit=100${cursor:+&cursor=$cursor}"
		assert_equal "$status_code" 200
		ids+=($(json '.items[].id'))
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
	assert_equal "$(psql_owner "SELECT string_agg(action || ':' || actor_id || ':' || impersonator_id,
	    ' ' ORDER BY action) FROM public.audit_logs WHERE tenant_id = '$OWNER_TENANT'
	    AND action IN ('tenant.update', 'invite.create')")" \
	    "invite.create:$OWNER_ID:$SUPER_ID tenant.update:$OWNER_ID:$SUPER_ID"
}

@test "an impersonation token gets 403 IMPERSONATION_FORBIDDEN on every /admin route" {
	ready_owner
	new_superuser
	impersonate "$OWNER_ID" "$OWNER_SLUG"
	for route in "${ADMIN_ROUTES[@]}"; do
		as "$IMP" ${route% *} "${route#* }" '{}'
		assert_equal "$status_code" 403
		assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
	done
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
