#!/usr/bin/env bats
# What happens at the same moment: a logout-all or a password reset must end
# every session, including those a thief is creating right then by switching
# tenants over and over with a stolen token.

load ../lib/common
load ../lib/auth

# A user with two tenants, A (SLUG) and B (SLUG_B); THIEF holds a token of
# the user's, VICTIM another session's.
two_tenants() {
	new_user tenant
	as "$ACCESS" POST /api/v1/tenants "{\"name\":\"B\",\"slug\":\"$(new_slug)\"}"
	SLUG_B=$(json .tenant.slug)
	psql_owner "UPDATE public.tenants SET status = 'ready'
	    WHERE id IN (SELECT tenant_id FROM public.user_tenant_membership WHERE user_id = '$USER_ID')" >/dev/null
	THIEF=$ACCESS
	login "$EMAIL" "$PASSWORD"
	VICTIM=$ACCESS
}

# Switches back and forth with the stolen token until refused, then writes
# the status /auth/me gives its last token into file $1.
thief_loop() {
	local token=$THIEF to i
	for i in $(seq 40); do
		((i % 2)) && to=$SLUG_B || to=$SLUG
		as "$token" POST /api/v1/auth/switch-tenant "{\"tenant_slug\":\"$to\"}" >/dev/null 2>&1
		[[ $status_code == 200 ]] || break
		token=$(json .access_token)
	done
	as "$token" GET /api/v1/auth/me >/dev/null 2>&1
	echo "$status_code" > "$1"
}

@test "logout-all ends the sessions a concurrent switch-tenant was creating" {
	two_tenants
	for n in 1 2 3 4 5 6; do
		thief_loop "$BATS_TEST_TMPDIR/thief.$n" 3>&- &
	done
	sleep 0.4
	as "$VICTIM" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 204
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/thief.* | sort -u | tr '\n' ' ')" "401 "
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID' AND revoked_at IS NULL")" 0
}

@test "a password reset ends the sessions a concurrent switch-tenant was creating" {
	two_tenants
	fcgi POST /api/v1/auth/forgot-password "{\"email\":\"$EMAIL\"}"
	token=$(mail_token "$EMAIL")
	remember_secret "$token"
	for n in 1 2 3 4 5 6; do
		thief_loop "$BATS_TEST_TMPDIR/thief.$n" 3>&- &
	done
	sleep 0.4
	new=$(new_password)
	fcgi POST /api/v1/auth/reset-password "{\"token\":\"$token\",\"new_password\":\"$new\"}"
	assert_equal "$status_code" 200
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/thief.* | sort -u | tr '\n' ' ')" "401 "
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID' AND revoked_at IS NULL")" 0
}

@test "a login that verified the old password does not outlive a concurrent reset" {
	new_user
	fcgi POST /api/v1/auth/forgot-password "{\"email\":\"$EMAIL\"}"
	token=$(mail_token "$EMAIL")
	remember_secret "$token"
	for n in 1 2 3 4 5 6; do
		( for i in $(seq 6); do
			login "$EMAIL" "$PASSWORD" >/dev/null 2>&1
			[[ $status_code == 200 ]] || break
			last=$ACCESS
		done
		as "${last:-none}" GET /api/v1/auth/me >/dev/null 2>&1
		echo "$status_code" > "$BATS_TEST_TMPDIR/login.$n" ) 3>&- &
	done
	sleep 0.2
	fcgi POST /api/v1/auth/reset-password "{\"token\":\"$token\",\"new_password\":\"$(new_password)\"}"
	assert_equal "$status_code" 200
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/login.* | sort -u | tr '\n' ' ')" "401 "
}
