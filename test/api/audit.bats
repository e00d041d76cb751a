#!/usr/bin/env bats
# The audit log read back: a tenant's entries for its admins, every entry
# for a superuser, in API.md's entry shape, filtered and paged; and the log
# is append-only for the application's database role.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

ENTRY_KEYS=action,actor_id,at,details,id,impersonator_id,ip,outcome,request_id,target_id,target_type,tenant_id,user_agent

# entries_at ACTION TENANT_ID TIME...: one entry of ACTION in that tenant at each time.
entries_at() {
	local action=$1 tenant=$2 at
	shift 2
	for at in "$@"; do
		psql_owner "INSERT INTO public.audit_logs (action, outcome, tenant_id, at)
		    VALUES ('$action', 'success', '$tenant', '$at')" >/dev/null
	done
}

# actions: the actions of the list in $body, in order, space-separated.
actions() {
	json '[.items[].action] | join(" ")'
}

# ---- GET /audit-logs ------------------------------------------------------------------

@test "an admin reads the tenant's entries, newest first, in the entry shape of the contract" {
	ready_owner
	HTTP_X_REQUEST_ID=audit-req-1 HTTP_USER_AGENT=audit-agent/1.0 \
	    as "$OWNER" PATCH /api/v1/tenants/current '{"name":"Audited Name"}'
	assert_equal "$status_code" 200
	as "$OWNER" GET /api/v1/audit-logs
	assert_equal "$status_code" 200
	assert_equal "$(header Cache-Control)" no-store
	assert_equal "$(json '.items[0] | keys | join(",")')" "$ENTRY_KEYS"
	assert_equal "$(json '.items[0] | [.action, .outcome, .actor_id, .impersonator_id, .tenant_id,
	    .target_type, .target_id, .ip, .user_agent, .request_id] | map(tostring) | join(" ")')" \
	    "tenant.update success $OWNER_ID null $OWNER_TENANT tenant $OWNER_TENANT 127.0.0.1 audit-agent/1.0 audit-req-1"
	assert_equal "$(json -c '.items[0].details')" '{"name":"Audited Name"}'
	assert_regex "$(json '.items[0].at')" "$RFC3339_RE"
	assert_regex "$(json '.items[0].id')" "$UUID_RE"
	assert_equal "$(json '[.items[].id] | join(" ")')" "$(psql_owner "SELECT string_agg(id::text, ' '
	    ORDER BY at DESC, id DESC) FROM public.audit_logs WHERE tenant_id = '$OWNER_TENANT'")"
}

@test "an admin may read the log, a member may not: 403 FORBIDDEN" {
	ready_owner
	add_member admin
	as "$MEMBER" GET /api/v1/audit-logs
	assert_equal "$status_code" 200
	add_member member
	as "$MEMBER" GET /api/v1/audit-logs
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
}

@test "GET /audit-logs without a token answers 401, with a lobby token 403 TENANT_MISMATCH" {
	fcgi GET /api/v1/audit-logs
	assert_equal "$status_code" 401
	new_user
	as "$ACCESS" GET /api/v1/audit-logs
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_MISMATCH
}

@test "tenant A's admin never sees tenant B's entries, and cannot ask for them" {
	ready_owner
	b_owner=$OWNER b_tenant=$OWNER_TENANT
	as "$b_owner" PATCH /api/v1/tenants/current '{"name":"Tenant B secret"}'
	ready_owner
	as "$OWNER" PATCH /api/v1/tenants/current '{"name":"Tenant A"}'
	as "$OWNER" GET /api/v1/audit-logs?limit=100
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[].tenant_id] | unique | join(",")')" "$OWNER_TENANT"
	refute_regex "$body" "Tenant B secret"
	as "$OWNER" GET "/api/v1/audit-logs?tenant_id=$b_tenant"
	assert_equal "$status_code" 422
	assert_equal "$(json -c '.error.details')" '[{"field":"tenant_id","issue":"unknown"}]'
	# B's admin, in turn, sees B's entries only.
	as "$b_owner" GET /api/v1/audit-logs?limit=100
	assert_equal "$(json '[.items[].tenant_id] | unique | join(",")')" "$b_tenant"
}

@test "GET /audit-logs?action= and ?actor_id= keep those entries only" {
	ready_owner
	add_member admin
	as "$MEMBER" POST /api/v1/invites "{\"email\":\"$(new_email inv)\",\"role\":\"member\"}"
	assert_equal "$status_code" 201
	as "$OWNER" PATCH /api/v1/tenants/current '{"name":"Renamed"}'
	as "$OWNER" GET /api/v1/audit-logs?action=invite.create
	assert_equal "$status_code" 200
	assert_equal "$(actions)" invite.create
	assert_equal "$(json '.items[0].actor_id')" "$MEMBER_ID"
	as "$OWNER" GET "/api/v1/audit-logs?actor_id=$OWNER_ID"
	assert_equal "$(json '[.items[].actor_id] | unique | join(",")')" "$OWNER_ID"
	assert_equal "$(json '[.items[].action] | index("tenant.update") != null')" true
	as "$OWNER" GET "/api/v1/audit-logs?actor_id=$MEMBER_ID&action=tenant.update"
	assert_equal "$(json '.items | length')" 0
	as "$OWNER" GET /api/v1/audit-logs?action=no.such.action
	assert_equal "$(json '.items | length')" 0
	assert_equal "$(json .next_cursor)" null
}

@test "GET /audit-logs?since= is inclusive and ?until= exclusive, in any offset" {
	ready_owner
	entries_at test.window "$OWNER_TENANT" 2001-01-01T00:00:00Z 2001-01-02T00:00:00Z 2001-01-03T00:00:00Z
	q=/api/v1/audit-logs?action=test.window
	as "$OWNER" GET "$q&since=2001-01-02T00:00:00Z"
	assert_equal "$(json '[.items[].at] | join(" ")')" "2001-01-03T00:00:00Z 2001-01-02T00:00:00Z"
	as "$OWNER" GET "$q&until=2001-01-02T00:00:00Z"
	assert_equal "$(json '[.items[].at] | join(" ")')" 2001-01-01T00:00:00Z
	as "$OWNER" GET "$q&since=2001-01-02T00:00:00Z&until=2001-01-03T00:00:00Z"
	assert_equal "$(json '[.items[].at] | join(" ")')" 2001-01-02T00:00:00Z
	# 01:00 at +01:00 is midnight UTC; a fraction of a second counts.
	as "$OWNER" GET "$q&since=2001-01-02T01:00:00%2B01:00"
	assert_equal "$(json '.items | length')" 2
	as "$OWNER" GET "$q&since=2001-01-02T00:00:00.000001Z"
	assert_equal "$(json '.items | length')" 1
}

@test "GET /audit-logs with a malformed actor_id, since, until or limit answers 422 naming it" {
	ready_owner
	for pair in actor_id=42 "actor_id=x'--" since=yesterday since=2001-02-30T00:00:00Z \
	    until=2001-01-01 "until=2001-01-01T00:00:00Z'" since=now until=infinity limit=101; do
		as "$OWNER" GET "/api/v1/audit-logs?$pair"
		assert_equal "$status_code" 422
		assert_equal "$(json .error.code)" VALIDATION_FAILED
		assert_equal "$(json '.error.details[0].field')" "${pair%%=*}"
	done
	as "$OWNER" GET /api/v1/audit-logs?cursor=nope
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_CURSOR
	as "$OWNER" GET /api/v1/audit-logs?colour=red
	assert_equal "$status_code" 422
}

@test "GET /audit-logs pages newest first with next_cursor, entries of one instant included" {
	ready_owner
	entries_at test.page "$OWNER_TENANT" 2001-05-01T00:00:01Z 2001-05-01T00:00:02Z \
	    2001-05-01T00:00:02Z 2001-05-01T00:00:02Z 2001-05-01T00:00:03Z
	want=$(psql_owner "SELECT string_agg(id::text, ' ' ORDER BY at DESC, id DESC)
	    FROM public.audit_logs WHERE action = 'test.page' AND tenant_id = '$OWNER_TENANT'")
	page_through "$OWNER" "/api/v1/audit-logs?action=test.page" .id 2 2
	cursor=$(json .next_cursor)
	as "$OWNER" GET "/api/v1/audit-logs?action=test.page&limit=2&cursor=$cursor"
	assert_equal "$(json '.items | length')" 1
	assert_equal "$(json .next_cursor)" null
	assert_equal "${PAGED[*]} $(json '.items[0].id')" "$want"
}

@test "a failure entry is in the log with outcome failure" {
	ready_owner
	as "$OWNER" POST /api/v1/auth/change-password \
	    "{\"current_password\":\"not the password 1\",\"new_password\":\"$(new_password)\"}"
	assert_equal "$status_code" 401
	as "$OWNER" GET /api/v1/audit-logs?action=auth.password_changed
	assert_equal "$(json '[.items[].outcome] | join(",")')" failure
}

@test "a superuser's suspension and impersonation are in the tenant's log, naming the impersonator" {
	ready_owner
	new_superuser
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/suspend" '{"reason":"chargeback"}'
	as "$SUPER" POST "/api/v1/admin/tenants/$OWNER_SLUG/resume"
	as "$SUPER" POST /api/v1/admin/impersonate \
	    "{\"user_id\":\"$OWNER_ID\",\"tenant_slug\":\"$OWNER_SLUG\",\"reason\":\"support\"}"
	imp=$(json .access_token)
	remember_secret "$imp"
	as "$imp" PATCH /api/v1/tenants/current '{"name":"Fixed by support"}'
	as "$OWNER" GET /api/v1/audit-logs?limit=4
	assert_equal "$(actions)" "tenant.update admin.impersonate tenant.resume tenant.suspend"
	assert_equal "$(json '[.items[].actor_id] | join(" ")')" "$OWNER_ID $SUPER_ID $SUPER_ID $SUPER_ID"
	assert_equal "$(json '.items[0].impersonator_id')" "$SUPER_ID"
	assert_equal "$(json '.items[1].details.reason')" support
	assert_equal "$(json '.items[3].details.reason')" chargeback
	# The impersonation token reads the log as the owner would.
	as "$imp" GET "/api/v1/audit-logs?actor_id=$SUPER_ID"
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 3
}

# ---- GET /admin/audit-logs --------------------------------------------------------------

@test "a superuser reads every tenant's entries and those of no tenant" {
	ready_owner
	a=$OWNER_TENANT
	ready_owner
	b=$OWNER_TENANT
	new_superuser
	as "$SUPER" GET '/api/v1/admin/audit-logs?action=tenant.create&limit=100'
	assert_equal "$status_code" 200
	assert_equal "$(json '.items[0] | keys | join(",")')" "$ENTRY_KEYS"
	assert_equal "$(json "[.items[].tenant_id] | (index(\"$a\") != null) and (index(\"$b\") != null)")" true
	as "$SUPER" GET "/api/v1/admin/audit-logs?actor_id=$SUPER_ID&action=auth.login"
	assert_equal "$(json '.items | length')" 1
	assert_equal "$(json '.items[0].tenant_id')" null
}

@test "GET /admin/audit-logs?tenant_id= keeps one tenant's entries, with the other filters" {
	ready_owner
	entries_at test.admin "$OWNER_TENANT" 2001-03-01T00:00:00Z 2001-03-02T00:00:00Z
	as "$OWNER" PATCH /api/v1/tenants/current '{"name":"Some name"}'
	new_superuser
	as "$SUPER" GET "/api/v1/admin/audit-logs?tenant_id=$OWNER_TENANT&limit=100"
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[].tenant_id] | unique | join(",")')" "$OWNER_TENANT"
	assert_equal "$(json '.items | length')" "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE tenant_id = '$OWNER_TENANT'")"
	as "$SUPER" GET "/api/v1/admin/audit-logs?tenant_id=$OWNER_TENANT&action=test.admin&until=2001-03-02T00:00:00Z"
	assert_equal "$(json '[.items[].at] | join(" ")')" 2001-03-01T00:00:00Z
	page_through "$SUPER" "/api/v1/admin/audit-logs?tenant_id=$OWNER_TENANT" .tenant_id 2 1
	assert_equal "${PAGED[*]}" "$OWNER_TENANT $OWNER_TENANT"
}

@test "GET /admin/audit-logs with a malformed tenant_id answers 422" {
	new_superuser
	as "$SUPER" GET /api/v1/admin/audit-logs?tenant_id=acme
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" tenant_id
}

@test "GET /admin/audit-logs answers 403 to a tenant admin and IMPERSONATION_FORBIDDEN to an impersonation" {
	ready_owner
	as "$OWNER" GET /api/v1/admin/audit-logs
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
	new_superuser
	as "$SUPER" POST /api/v1/admin/impersonate \
	    "{\"user_id\":\"$OWNER_ID\",\"tenant_slug\":\"$OWNER_SLUG\",\"reason\":\"support\"}"
	imp=$(json .access_token)
	remember_secret "$imp"
	as "$imp" GET /api/v1/admin/audit-logs
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" IMPERSONATION_FORBIDDEN
}

# ---- append-only ---------------------------------------------------------------------

@test "the application's role may add and read entries but neither change nor remove them" {
	id=$(psql_app "INSERT INTO public.audit_logs (action, outcome) VALUES ('test.append', 'success')
	    RETURNING id")
	assert_regex "$id" "$UUID_RE"
	assert_equal "$(psql_app "SELECT action FROM public.audit_logs WHERE id = '$id'")" test.append
	run psql_app "UPDATE public.audit_logs SET action = 'test.changed' WHERE id = '$id'"
	assert_failure
	assert_output --partial "permission denied for table audit_logs"
	run psql_app "DELETE FROM public.audit_logs WHERE id = '$id'"
	assert_failure
	assert_output --partial "permission denied for table audit_logs"
	run psql_app "TRUNCATE public.audit_logs"
	assert_failure
	assert_output --partial "permission denied for table audit_logs"
	assert_equal "$(psql_owner "SELECT action FROM public.audit_logs WHERE id = '$id'")" test.append
}
