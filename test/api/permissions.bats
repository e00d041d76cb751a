#!/usr/bin/env bats
# The permission table, walked: every route of `saas-fcgi --routes` (the
# route table itself, the one place that says who may call what) is called
# by every kind of caller: nobody, a signed-in user of no tenant, and the
# member, admin and owner of a tenant. Each must be let through or refused
# exactly as the table's word for the route says:
#   public           nobody is refused for lack of a token
#   bearer           no token: 401; any signed-in user: through
#   bearer-if-given  no token: through
#   member|admin|owner   no token: 401; a lobby token: 403 TENANT_MISMATCH;
#                    a role below: 403 FORBIDDEN; that role or above: through
#   admin-or-self    as admin, for another user (one's own removal, leaving,
#                    is members.bats's)
#   superuser        no token: 401; a superuser: through; anyone else: 403
#                    FORBIDDEN (a superuser's lobby token is, on tenant
#                    routes, one more lobby token)
# "Through" means the request reached its handler: whatever the handler then
# says about the empty body or the made-up id, it is not 401 UNAUTHENTICATED,
# 403 FORBIDDEN or 403 TENANT_MISMATCH.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

rank() {
	case $1 in
	member) echo 1 ;;
	admin | admin-or-self) echo 2 ;;
	owner) echo 3 ;;
	*) echo 0 ;;
	esac
}

# call CALLER METHOD PATH: the request as that caller, with an empty body
# where the route takes one, and the tenant named by X-Tenant-Slug. Prints
# the status, then the body.
call() {
	local who=$1 method=$2 path=$3 token=${TOKENS[$1]-}
	local -a body=()
	path=${path//\{user_id\}/00000000-0000-4000-8000-0000000000aa}
	path=${path//\{id\}/00000000-0000-4000-8000-000000000000}
	path=${path//\{slug\}/no-such-tenant}
	case $method in
	POST | PATCH) body=('{}') ;;
	esac
	(
		export HTTP_X_TENANT_SLUG=$OWNER_SLUG
		[[ -z $token ]] || export HTTP_AUTHORIZATION="Bearer $token"
		[[ $path != */auth/token ]] || {
			export CONTENT_TYPE=application/x-www-form-urlencoded
			body=('')
		}
		fcgi "$method" "$path" "${body[@]}" 2>/dev/null
		printf '%s\n%s\n' "$status_code" "$body"
	)
}

# Checks one answer against what the table says; collects mismatches.
expect() {
	local who=$1 method=$2 path=$3 access=$4 answer status code want
	answer=$(call "$who" "$method" "$path")
	status=$(head -n 1 <<<"$answer")
	code=$(tail -n +2 <<<"$answer" | jq -r '.error.code? // empty' 2>/dev/null || true)
	case $access:$who in
	public:*) want=through ;;
	superuser:superuser) want=through ;;
	superuser:nobody) want=401 ;;
	superuser:*) want=FORBIDDEN ;;
	bearer-if-given:nobody) want=through ;;
	*:nobody) want=401 ;;
	bearer*:*) want=through ;;
	*:outsider | *:superuser) want=TENANT_MISMATCH ;;
	*)
		if (($(rank "$who") >= $(rank "$access"))); then want=through; else want=FORBIDDEN; fi
		;;
	esac
	case $want in
	through)
		[[ $code != UNAUTHENTICATED && $code != FORBIDDEN && $code != TENANT_MISMATCH ]] ||
			MISMATCHES+=("$method $path as $who: want through, got $status $code")
		;;
	401)
		[[ $status == 401 && $code == UNAUTHENTICATED ]] ||
			MISMATCHES+=("$method $path as $who: want 401 UNAUTHENTICATED, got $status $code")
		;;
	*)
		[[ $status == 403 && $code == "$want" ]] ||
			MISMATCHES+=("$method $path as $who: want 403 $want, got $status $code")
		;;
	esac
}

@test "every route x every caller answers as the permission table says" {
	ready_owner
	declare -A TOKENS=([owner]=$OWNER)
	add_member admin
	TOKENS[admin]=$MEMBER
	add_member member
	TOKENS[member]=$MEMBER
	new_user
	TOKENS[outsider]=$ACCESS
	new_user
	psql_owner "UPDATE public.users SET is_superuser = true WHERE id = '$USER_ID'" >/dev/null
	TOKENS[superuser]=$ACCESS
	MISMATCHES=()
	routes=$("${SAAS_FCGI_BIN:-$REPO/build/saas-fcgi}" --routes)
	[[ $(wc -l <<<"$routes") -ge 20 ]] || fail "saas-fcgi --routes printed: $routes"
	# What ends the tenant, then what ends sessions, goes last.
	last='^(POST /api/v1/auth/logout-all|DELETE /api/v1/tenants/current) '
	while read -r method path access; do
		for who in nobody outsider superuser member admin owner; do
			expect "$who" "$method" "$path" "$access"
		done
	done < <(grep -Ev "$last" <<<"$routes"; grep -E "$last" <<<"$routes" | sort)
	if ((${#MISMATCHES[@]} > 0)); then
		printf '%s\n' "${MISMATCHES[@]}"
		fail "${#MISMATCHES[@]} answers differ from the permission table"
	fi
	# Walked all the way: the owner's DELETE /tenants/current was let through.
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$OWNER_TENANT'")" deleting
}
