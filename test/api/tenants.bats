#!/usr/bin/env bats
# Tenants: the caller's list, a new tenant, the current one, its name and its
# deletion; the tenant checks every tenant-scoped route makes.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

@test "GET /tenants lists the caller's tenants with the role in each" {
	ready_owner
	as "$OWNER" GET /api/v1/tenants
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 1
	assert_equal "$(json '.items[0].slug')" "$OWNER_SLUG"
	assert_equal "$(json '.items[0].role')" owner
	assert_equal "$(json '.items[0].status')" ready
	assert_equal "$(json '.next_cursor')" null
}

@test "POST /tenants creates a provisioning tenant owned by the caller, with its job" {
	ready_owner
	slug=$(new_slug)
	as "$OWNER" POST /api/v1/tenants "{\"name\":\"Second\",\"slug\":\"$slug\"}"
	assert_equal "$status_code" 202
	assert_equal "$(json .tenant.slug)" "$slug"
	assert_equal "$(json .tenant.status)" provisioning
	tid=$(json .tenant.id)
	assert_equal "$(psql_owner "SELECT role FROM public.user_tenant_membership WHERE tenant_id = '$tid' AND user_id = '$OWNER_ID'")" owner
	assert_equal "$(psql_owner "SELECT kind || ' ' || status FROM public.jobs WHERE id = '$(json .job_id)'")" "provision_tenant pending"
	assert_equal "$(audit_count tenant.create "$OWNER_ID")" 2
	as "$OWNER" GET /api/v1/tenants
	assert_equal "$(json '.items | length')" 2
}

@test "POST /tenants with a taken slug answers 409 SLUG_TAKEN and creates nothing" {
	ready_owner
	before=$(psql_owner "SELECT count(*) FROM public.jobs")
	as "$OWNER" POST /api/v1/tenants "{\"name\":\"Again\",\"slug\":\"$OWNER_SLUG\"}"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" SLUG_TAKEN
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs")" "$before"
}

@test "POST /tenants with a reserved slug answers 422" {
	ready_owner
	as "$OWNER" POST /api/v1/tenants '{"name":"Admin","slug":"admin"}'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" slug
}

@test "GET /tenants/current answers the token's tenant" {
	ready_owner
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	assert_equal "$(json .id)" "$OWNER_TENANT"
	assert_equal "$(json .slug)" "$OWNER_SLUG"
	assert_equal "$(json .plan)" free
	assert_equal "$(json .status)" ready
}

@test "a tenant route with a lobby token answers 403 TENANT_MISMATCH" {
	new_user
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_MISMATCH
}

@test "a token for tenant A with tenant B named answers 403 TENANT_MISMATCH" {
	ready_owner
	a=$OWNER
	ready_owner
	HTTP_X_TENANT_SLUG=$OWNER_SLUG as "$a" GET /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_MISMATCH
	refute_regex "$body" "$OWNER_SLUG"
}

@test "the tenant named by slug parameter and header must agree" {
	ready_owner
	TENANT_SLUG=$OWNER_SLUG HTTP_X_TENANT_SLUG=other-tenant as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" TENANT_MISMATCH
}

@test "a malformed tenant slug on a request answers 400 INVALID_TENANT" {
	ready_owner
	HTTP_X_TENANT_SLUG="a'; drop schema x; --" as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TENANT
}

@test "a custom domain names its tenant" {
	ready_owner
	a=$OWNER
	psql_owner "UPDATE public.tenants SET custom_domain = 'a-$OWNER_SLUG.example.test' WHERE id = '$OWNER_TENANT'" >/dev/null
	HTTP_HOST="a-$OWNER_SLUG.example.test" as "$a" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	ready_owner
	HTTP_HOST="a-$OWNER_SLUG.example.test" as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	psql_owner "UPDATE public.tenants SET custom_domain = 'b-$OWNER_SLUG.example.test' WHERE id = '$OWNER_TENANT'" >/dev/null
	HTTP_HOST="b-$OWNER_SLUG.example.test" as "$a" GET /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_MISMATCH
}

@test "a provisioning tenant answers 503 TENANT_NOT_READY with Retry-After" {
	new_user tenant
	as "$ACCESS" GET /api/v1/tenants/current
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" TENANT_NOT_READY
	assert_equal "$(header Retry-After)" 5
}

@test "a suspended tenant answers 403 TENANT_SUSPENDED" {
	ready_owner
	psql_owner "UPDATE public.tenants SET status = 'suspended' WHERE id = '$OWNER_TENANT'" >/dev/null
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_SUSPENDED
}

@test "a deleted tenant answers 410 TENANT_DELETED" {
	ready_owner
	psql_owner "UPDATE public.tenants SET status = 'deleted' WHERE id = '$OWNER_TENANT'" >/dev/null
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 410
	assert_equal "$(json .error.code)" TENANT_DELETED
}

@test "an admin renames the tenant, audited" {
	ready_owner
	add_member admin
	as "$MEMBER" PATCH /api/v1/tenants/current '{"name":"Renamed Inc"}'
	assert_equal "$status_code" 200
	assert_equal "$(json .name)" "Renamed Inc"
	assert_equal "$(psql_owner "SELECT name FROM public.tenants WHERE id = '$OWNER_TENANT'")" "Renamed Inc"
	assert_equal "$(audit_count tenant.update "$MEMBER_ID")" 1
}

@test "a member may not rename the tenant: 403 FORBIDDEN" {
	ready_owner
	add_member member
	as "$MEMBER" PATCH /api/v1/tenants/current '{"name":"Nope"}'
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
	refute_equal_name=$(psql_owner "SELECT name FROM public.tenants WHERE id = '$OWNER_TENANT'")
	[ "$refute_equal_name" != Nope ]
}

@test "the role is the database's: a member promoted to admin may rename at once" {
	ready_owner
	add_member member
	psql_owner "UPDATE public.user_tenant_membership SET role = 'admin' WHERE user_id = '$MEMBER_ID'" >/dev/null
	as "$MEMBER" PATCH /api/v1/tenants/current '{"name":"Promoted"}'
	assert_equal "$status_code" 200
}

@test "an admin may not delete the tenant: 403" {
	ready_owner
	add_member admin
	as "$MEMBER" DELETE /api/v1/tenants/current
	assert_equal "$status_code" 403
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" ready
}

@test "the owner deletes the tenant: 202, status deleting, a delete_tenant job, audited" {
	ready_owner
	as "$OWNER" DELETE /api/v1/tenants/current
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" deleting
	assert_equal "$(psql_owner "SELECT kind || ' ' || tenant_id FROM public.jobs WHERE id = '$(json .job_id)'")" "delete_tenant $OWNER_TENANT"
	assert_equal "$(audit_count tenant.delete "$OWNER_ID")" 1
	as "$OWNER" GET /api/v1/tenants/current
	assert_equal "$status_code" 410
}

@test "a tenant suspended while the owner's delete waited for its row is not deleted: 403" {
	ready_owner
	key=$((RANDOM * 32768 + RANDOM))
	# A superuser's suspension, holding the tenant row until the owner's
	# DELETE (authenticated while the tenant was still ready) waits for it.
	hold_rows "$key" 1 "UPDATE public.tenants SET status = 'suspended' WHERE id = '$OWNER_TENANT'"
	wait_for 5 holding "$key"
	as "$OWNER" DELETE /api/v1/tenants/current
	wait
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" TENANT_SUSPENDED
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" suspended
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs
	    WHERE kind = 'delete_tenant' AND tenant_id = '$OWNER_TENANT'")" 0
	assert_equal "$(audit_count tenant.delete "$OWNER_ID")" 0
}
