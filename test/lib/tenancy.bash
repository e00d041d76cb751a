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
#   new_superuser         a new user made a superuser, with a lobby token:
#                         SUPER, SUPER_ID
#   hold_rows KEY WAITERS SQL
#                         in the background, a transaction of the test's runs
#                         SQL (which locks rows: FOR UPDATE, an UPDATE), then
#                         commits once WAITERS other transactions wait on row
#                         locks (at most about 5 s), so that concurrent
#                         requests meet at those rows every time; KEY, an
#                         advisory lock it takes after SQL, says when it
#                         holds them: wait_for 5 holding KEY
#   listed ID             how many items of the list in $body have that id
#   page_through TOKEN PATH JQ PAGES LIMIT
#                         the first PAGES pages of the paged list at PATH,
#                         LIMIT items each, following next_cursor; each page
#                         must be full and name a next one. PAGED: the JQ
#                         values of the items, in order

hold_rows() {
	(
		close_fds
		psql "$DATABASE_OWNER_URL" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<-SQL
			BEGIN;
			$3;
			SELECT pg_advisory_xact_lock($1);
			DO \$\$ BEGIN
			  FOR i IN 1..500 LOOP
			    EXIT WHEN (SELECT count(*) FROM pg_locks WHERE NOT granted
			               AND locktype IN ('transactionid', 'tuple')) >= $2;
			    PERFORM pg_sleep(0.01);
			  END LOOP;
			END \$\$;
			COMMIT;
		SQL
	) &
}

holding() {
	[[ $(psql_owner "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
	    AND objid = $1 AND granted") == 1 ]]
}

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
	local status
	new_user tenant
	run_jobs
	OWNER=$ACCESS OWNER_ID=$USER_ID OWNER_SLUG=$SLUG OWNER_TENANT=$TENANT_ID
	OWNER_SCHEMA=tenant_${SLUG//-/_}
	# provision's check and the seed's removal, in one psql.
	status=$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'" \
		-c "DELETE FROM $OWNER_SCHEMA.projects") || {
		echo "ready_owner: tenant $TENANT_ID is not ready after the jobs ran${status:+ ($status)}" >&2
		return 1
	}
	[[ $status == ready ]] || {
		echo "ready_owner: tenant $TENANT_ID is not ready after the jobs ran ($status)" >&2
		return 1
	}
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

# A registered user made a superuser in the database, signed in without a tenant.
new_superuser() {
	new_user
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$USER_ID'" >/dev/null
	SUPER=$ACCESS SUPER_ID=$USER_ID
}

listed() {
	json "[.items[] | select(.id == \"$1\")] | length"
}

page_through() {
	local token=$1 path=$2 expr=$3 pages=$4 limit=$5 cursor='' sep='?' page
	[[ $path != *\?* ]] || sep='&'
	PAGED=()
	for ((page = 1; page <= pages; page++)); do
		as "$token" GET "$path${sep}limit=$limit${cursor:+&cursor=$cursor}"
		if [[ $status_code != 200 || $(json '.items | length') != "$limit" ]]; then
			echo "page_through: page $page is not a full page" >&2
			return 1
		fi
		mapfile -t -O "${#PAGED[@]}" PAGED < <(json ".items[] | $expr")
		cursor=$(json .next_cursor)
		if ! [[ $cursor =~ ^[0-9]+\.[0-9a-f]{32}$ ]]; then
			echo "page_through: page $page has no next_cursor but $cursor" >&2
			return 1
		fi
	done
}
