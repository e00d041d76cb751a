# Helpers for the tenant-scoped suites: `load ../lib/common`, `load ../lib/auth`,
# then `load ../lib/tenancy`.
#
#   ready_owner           a new owner with a tenant token: OWNER, OWNER_ID,
#                         OWNER_SLUG, OWNER_TENANT, OWNER_SCHEMA; the tenant
#                         provisioned (schema, role, migrations) and ready,
#                         without the project provisioning seeds
#   provision TENANT_ID   runs the jobs (provision_tenant among them); fails
#                         unless the tenant is ready afterwards
#   add_member ROLE       a new user with ROLE in OWNER_TENANT: MEMBER (a
#                         tenant token), MEMBER_ID

# Provisions a tenant the way the service does: saas-jobs runs its job.
provision() {
	run_jobs
	[[ $(psql_owner "SELECT status FROM public.tenants WHERE id = '$1'") == ready ]] || {
		echo "provision: tenant $1 is not ready after the jobs ran" >&2
		return 1
	}
}

# A registered owner with a tenant token for SLUG, its tenant provisioned.
# The suites start from an empty tenant: the project provisioning seeds is
# taken out again (test/api/jobs.bats checks the seed).
ready_owner() {
	new_user tenant
	provision "$TENANT_ID"
	OWNER=$ACCESS OWNER_ID=$USER_ID OWNER_SLUG=$SLUG OWNER_TENANT=$TENANT_ID
	OWNER_SCHEMA=tenant_${SLUG//-/_}
	psql_owner "DELETE FROM $OWNER_SCHEMA.projects" >/dev/null
}

# Adds a member with ROLE to tenant OWNER_TENANT; sets MEMBER (a tenant token).
add_member() {
	local role=$1 email password
	email=$(new_email "$role") password=$(new_password)
	register "$email" "$password" "$(new_slug)" >/dev/null
	psql_owner "INSERT INTO public.user_tenant_membership (user_id, tenant_id, role)
	    VALUES ('$USER_ID', '$OWNER_TENANT', '$role')" >/dev/null
	login "$email" "$password" "$OWNER_SLUG"
	MEMBER=$ACCESS MEMBER_ID=$USER_ID
}
