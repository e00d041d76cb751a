#!/usr/bin/env bats
# Members of the current tenant: list, role changes, removal and leaving,
# who may do which, and the last owner.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

role_of() {
	psql_owner "SELECT coalesce((SELECT role FROM public.user_tenant_membership
	    WHERE tenant_id = '$OWNER_TENANT' AND user_id = '$1'), 'none')"
}

@test "GET /members lists the tenant's members with their roles" {
	ready_owner
	add_member admin
	as "$OWNER" GET /api/v1/members
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 2
	assert_equal "$(json '[.items[].role] | sort | join(",")')" admin,owner
	assert_equal "$(json ".items[] | select(.user_id == \"$MEMBER_ID\") | .email")" \
	    "$(psql_owner "SELECT email FROM public.users WHERE id = '$MEMBER_ID'")"
}

@test "a member sees the list too" {
	ready_owner
	add_member member
	as "$MEMBER" GET /api/v1/members
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 2
}

@test "an admin makes a member... a member again, and an owner makes an admin: audited" {
	ready_owner
	add_member member
	as "$OWNER" PATCH "/api/v1/members/$MEMBER_ID" '{"role":"admin"}'
	assert_equal "$status_code" 200
	assert_equal "$(json .role)" admin
	assert_equal "$(role_of "$MEMBER_ID")" admin
	assert_equal "$(psql_owner "SELECT details->>'from' || '>' || (details->>'to') FROM public.audit_logs
	    WHERE action = 'member.role_change' AND target_id = '$MEMBER_ID'")" "member>admin"
}

@test "an admin may not grant admin: 403" {
	ready_owner
	add_member admin
	admin=$MEMBER
	add_member member
	as "$admin" PATCH "/api/v1/members/$MEMBER_ID" '{"role":"admin"}'
	assert_equal "$status_code" 403
	assert_equal "$(role_of "$MEMBER_ID")" member
}

@test "an admin may not demote an owner: 403, not LAST_OWNER" {
	ready_owner
	add_member admin
	as "$MEMBER" PATCH "/api/v1/members/$OWNER_ID" '{"role":"member"}'
	assert_equal "$status_code" 403
	assert_equal "$(role_of "$OWNER_ID")" owner
}

@test "a member may not change roles: 403" {
	ready_owner
	add_member member
	as "$MEMBER" PATCH "/api/v1/members/$OWNER_ID" '{"role":"member"}'
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
}

@test "the last owner cannot be demoted: 409 LAST_OWNER" {
	ready_owner
	as "$OWNER" PATCH "/api/v1/members/$OWNER_ID" '{"role":"admin"}'
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" LAST_OWNER
	assert_equal "$(role_of "$OWNER_ID")" owner
}

@test "with two owners, one may step down" {
	ready_owner
	add_member owner
	as "$OWNER" PATCH "/api/v1/members/$OWNER_ID" '{"role":"member"}'
	assert_equal "$status_code" 200
	assert_equal "$(role_of "$OWNER_ID")" member
}

@test "two owners demoting each other at once leave one owner" {
	ready_owner
	add_member owner
	first=$OWNER second=$MEMBER key=$((RANDOM * 32768 + RANDOM))
	# The tenant row held until both requests wait for it.
	hold_rows "$key" 2 "SELECT 1 FROM public.tenants WHERE id = '$OWNER_TENANT' FOR UPDATE"
	wait_for 5 holding "$key"
	( as "$first" PATCH "/api/v1/members/$MEMBER_ID" '{"role":"member"}'; echo "$status_code" > "$BATS_TEST_TMPDIR/a" ) 3>&- &
	( as "$second" PATCH "/api/v1/members/$OWNER_ID" '{"role":"member"}'; echo "$status_code" > "$BATS_TEST_TMPDIR/b" ) 3>&- &
	wait
	assert_equal "$(psql_owner "SELECT count(*) FROM public.user_tenant_membership
	    WHERE tenant_id = '$OWNER_TENANT' AND role = 'owner'")" 1
	# Both requests began before either committed. The loser, read again
	# under the lock, is no longer an owner: 403.
	assert_equal "$(sort "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | tr '\n' ' ')" '200 403 '
}

@test "a role that is not one answers 422" {
	ready_owner
	add_member member
	as "$OWNER" PATCH "/api/v1/members/$MEMBER_ID" '{"role":"superadmin"}'
	assert_equal "$status_code" 422
}

@test "an unknown or malformed user id answers 404" {
	ready_owner
	as "$OWNER" PATCH /api/v1/members/00000000-0000-4000-8000-000000000000 '{"role":"member"}'
	assert_equal "$status_code" 404
	as "$OWNER" DELETE "/api/v1/members/not-a-uuid'--"
	assert_equal "$status_code" 404
}

@test "a member of another tenant is 404 here, never 403" {
	ready_owner
	add_member member
	other=$MEMBER_ID
	ready_owner
	as "$OWNER" DELETE "/api/v1/members/$other"
	assert_equal "$status_code" 404
}

@test "an admin removes a member: 204, audited, and the member's token stops working at once" {
	ready_owner
	add_member admin
	admin=$MEMBER admin_id=$MEMBER_ID
	add_member member
	as "$admin" DELETE "/api/v1/members/$MEMBER_ID"
	assert_equal "$status_code" 204
	assert_equal "$(role_of "$MEMBER_ID")" none
	assert_equal "$(audit_count member.remove "$admin_id")" 1
	as "$MEMBER" GET /api/v1/tenants/current
	assert_equal "$status_code" 401
}

@test "an admin may not remove an owner: 403" {
	ready_owner
	add_member admin
	as "$MEMBER" DELETE "/api/v1/members/$OWNER_ID"
	assert_equal "$status_code" 403
	assert_equal "$(role_of "$OWNER_ID")" owner
}

@test "a member leaves: 204" {
	ready_owner
	add_member member
	as "$MEMBER" DELETE "/api/v1/members/$MEMBER_ID"
	assert_equal "$status_code" 204
	assert_equal "$(role_of "$MEMBER_ID")" none
}

@test "a member may not remove another: 403" {
	ready_owner
	add_member member
	first=$MEMBER
	add_member member
	as "$first" DELETE "/api/v1/members/$MEMBER_ID"
	assert_equal "$status_code" 403
}

@test "the last owner cannot leave: 409 LAST_OWNER" {
	ready_owner
	as "$OWNER" DELETE "/api/v1/members/$OWNER_ID"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" LAST_OWNER
}
