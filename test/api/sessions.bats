#!/usr/bin/env bats
# How sessions end and change: logout, logout-all, reset-password,
# change-password and switch-tenant (API.md "Auth", "Tokens"), straight
# against the responder socket.

load ../lib/common
load ../lib/auth

logout() {
	as "$1" POST /api/v1/auth/logout "$(jq -nc --arg r "$2" '{refresh_token: $r}')"
}

# forgot EMAIL: asks for a reset and prints the mailed token.
forgot() {
	fcgi POST /api/v1/auth/forgot-password "$(jq -nc --arg e "$1" '{email: $e}')" 2>/dev/null
	[[ $status_code == 202 ]] || return 1
	mail_token "$1"
}

reset() {
	remember_secret "$2"
	fcgi POST /api/v1/auth/reset-password "$(jq -nc --arg t "$1" --arg p "$2" '{token: $t, new_password: $p}')"
}

change() {
	remember_secret "$3"
	as "$1" POST /api/v1/auth/change-password \
	    "$(jq -nc --arg c "$2" --arg n "$3" '{current_password: $c, new_password: $n}')"
}

switch_to() {
	as "$1" POST /api/v1/auth/switch-tenant "$(jq -nc --arg s "$2" '{tenant_slug: $s}')"
}

# --- logout -------------------------------------------------------------------

@test "logout answers 204 and the access token is refused afterwards" {
	new_user
	logout "$ACCESS" "$REFRESH"
	assert_equal "$status_code" 204
	assert_equal "$body" ""
	me "$ACCESS"
	assert_equal "$status_code" 401
}

@test "after logout the session's refresh token is refused" {
	new_user
	logout "$ACCESS" "$REFRESH"
	assert_equal "$status_code" 204
	refresh "$REFRESH"
	assert_equal "$status_code" 401
	assert_equal "$(json .access_token)" null
}

@test "logout leaves the user's other sessions alone" {
	new_user
	first_access=$ACCESS first_refresh=$REFRESH
	login "$EMAIL" "$PASSWORD"
	logout "$first_access" "$first_refresh"
	assert_equal "$status_code" 204
	me "$ACCESS"
	assert_equal "$status_code" 200
	refresh "$REFRESH"
	assert_equal "$status_code" 200
}

@test "logout is audited as auth.logout" {
	new_user
	logout "$ACCESS" "$REFRESH"
	assert_equal "$status_code" 204
	assert_equal "$(audit_count auth.logout "$USER_ID")" 1
}

@test "logout without a token answers 401 UNAUTHENTICATED" {
	new_user
	fcgi POST /api/v1/auth/logout "$(jq -nc --arg r "$REFRESH" '{refresh_token: $r}')"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
	refresh "$REFRESH"
	assert_equal "$status_code" 200
}

@test "logout with another user's refresh token does not end that user's session" {
	new_user
	victim_access=$ACCESS victim_refresh=$REFRESH
	new_user
	logout "$ACCESS" "$victim_refresh"
	me "$victim_access"
	assert_equal "$status_code" 200
	refresh "$victim_refresh"
	assert_equal "$status_code" 200
}

# --- logout-all -----------------------------------------------------------------

@test "logout-all answers 204 and ends every session of the user" {
	new_user
	a_access=$ACCESS a_refresh=$REFRESH
	login "$EMAIL" "$PASSWORD" "$SLUG"
	b_access=$ACCESS b_refresh=$REFRESH
	as "$a_access" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 204
	assert_equal "$body" ""
	for t in "$a_access" "$b_access"; do
		me "$t"
		assert_equal "$status_code" 401
	done
	for r in "$a_refresh" "$b_refresh"; do
		refresh "$r"
		assert_equal "$status_code" 401
	done
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID' AND revoked_at IS NULL")" 0
}

@test "logout-all leaves other users' sessions alone" {
	new_user
	other_access=$ACCESS
	new_user
	as "$ACCESS" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 204
	me "$other_access"
	assert_equal "$status_code" 200
}

@test "a login right after logout-all works" {
	new_user
	as "$ACCESS" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 204
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	me "$ACCESS"
	assert_equal "$status_code" 200
	refresh "$REFRESH"
	assert_equal "$status_code" 200
}

@test "logout-all is audited as auth.logout_all" {
	new_user
	as "$ACCESS" POST /api/v1/auth/logout-all
	assert_equal "$status_code" 204
	assert_equal "$(audit_count auth.logout_all "$USER_ID")" 1
}

@test "logout-all without a token answers 401 UNAUTHENTICATED" {
	fcgi POST /api/v1/auth/logout-all
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
}

# --- reset-password ---------------------------------------------------------------

@test "reset-password answers 200; the new password logs in, the old one does not" {
	new_user
	old=$PASSWORD
	new=$(new_password)
	reset "$(forgot "$EMAIL")" "$new"
	assert_equal "$status_code" 200
	login "$EMAIL" "$old"
	assert_equal "$status_code" 401
	login "$EMAIL" "$new"
	assert_equal "$status_code" 200
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(psql_owner "SELECT password_hash LIKE '\$argon2id\$%' FROM public.users WHERE id = '$USER_ID'")" t
}

@test "reset-password ends every session: access and refresh tokens from before are refused" {
	new_user
	lobby_access=$ACCESS lobby_refresh=$REFRESH
	login "$EMAIL" "$PASSWORD" "$SLUG"
	tenant_access=$ACCESS tenant_refresh=$REFRESH
	reset "$(forgot "$EMAIL")" "$(new_password)"
	assert_equal "$status_code" 200
	for t in "$lobby_access" "$tenant_access"; do
		me "$t"
		assert_equal "$status_code" 401
	done
	for r in "$lobby_refresh" "$tenant_refresh"; do
		refresh "$r"
		assert_equal "$status_code" 401
	done
}

@test "a reset token works once: again answers 400 INVALID_TOKEN" {
	new_user
	token=$(forgot "$EMAIL")
	reset "$token" "$(new_password)"
	assert_equal "$status_code" 200
	third=$(new_password)
	reset "$token" "$third"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	login "$EMAIL" "$third"
	assert_equal "$status_code" 401
}

@test "a weak new password answers 422 WEAK_PASSWORD and the reset token stays usable" {
	new_user
	token=$(forgot "$EMAIL")
	reset "$token" "password1234"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"new_password","issue":"too_guessable"}]'
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	reset "$token" "$(new_password)"
	assert_equal "$status_code" 200
}

@test "a garbage reset token answers 400 INVALID_TOKEN" {
	reset garbage "$(new_password)"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "an expired reset token answers 400 INVALID_TOKEN and changes nothing" {
	new_user
	token=$(forgot "$EMAIL")
	psql_owner "UPDATE public.email_tokens SET expires_at = now() - interval '1 minute'
	    WHERE user_id = '$USER_ID' AND kind = 'reset_password'"
	reset "$token" "$(new_password)"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "a verification token is refused by reset-password" {
	email=$(new_email kind)
	register "$email"
	new=$(new_password)
	reset "$(mail_token "$email")" "$new"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	login "$EMAIL" "$new"
	assert_equal "$status_code" 401
}

@test "reset-password is audited as auth.password_reset" {
	new_user
	reset "$(forgot "$EMAIL")" "$(new_password)"
	assert_equal "$status_code" 200
	assert_equal "$(audit_count auth.password_reset "$USER_ID")" 1
}

# --- change-password ----------------------------------------------------------------

@test "change-password answers 200 with a new pair that works" {
	new_user
	change "$ACCESS" "$PASSWORD" "$(new_password)"
	assert_equal "$status_code" 200
	ACCESS=$(json .access_token) REFRESH=$(json .refresh_token)
	remember_secret "$ACCESS"
	remember_secret "$REFRESH"
	assert_regex "$ACCESS" "$JWT_RE"
	assert_regex "$REFRESH" '^[A-Za-z0-9_-]{43,}$'
	assert_equal "$(json .token_type)" bearer
	assert_equal "$(json .expires_in)" 900
	assert_equal "$(json .tenant)" null
	assert_regex "$(header Cache-Control)" 'no-store'
	me "$ACCESS"
	assert_equal "$status_code" 200
	refresh "$REFRESH"
	assert_equal "$status_code" 200
}

@test "after change-password the new password logs in and the old one does not" {
	new_user
	old=$PASSWORD
	new=$(new_password)
	change "$ACCESS" "$old" "$new"
	assert_equal "$status_code" 200
	login "$EMAIL" "$old"
	assert_equal "$status_code" 401
	login "$EMAIL" "$new"
	assert_equal "$status_code" 200
}

@test "change-password ends the user's other sessions" {
	new_user
	mine=$ACCESS
	login "$EMAIL" "$PASSWORD"
	other_access=$ACCESS other_refresh=$REFRESH
	change "$mine" "$PASSWORD" "$(new_password)"
	assert_equal "$status_code" 200
	me "$other_access"
	assert_equal "$status_code" 401
	refresh "$other_refresh"
	assert_equal "$status_code" 401
}

@test "change-password with a wrong current password answers 401 INVALID_CREDENTIALS and changes nothing" {
	new_user
	new=$(new_password)
	remember_secret "wrong horse battery staple 7"
	change "$ACCESS" "wrong horse battery staple 7" "$new"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_CREDENTIALS
	me "$ACCESS"
	assert_equal "$status_code" 200
	login "$EMAIL" "$new"
	assert_equal "$status_code" 401
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "change-password to a weak password answers 422 WEAK_PASSWORD and changes nothing" {
	new_user
	change "$ACCESS" "$PASSWORD" "short"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"new_password","issue":"too_short"}]'
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "change-password without a token answers 401 UNAUTHENTICATED" {
	fcgi POST /api/v1/auth/change-password \
	    '{"current_password":"whatever horse battery","new_password":"whatever horse battery 2"}'
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
}

@test "change-password is audited as auth.password_changed" {
	new_user
	change "$ACCESS" "$PASSWORD" "$(new_password)"
	assert_equal "$status_code" 200
	assert_equal "$(audit_count auth.password_changed "$USER_ID")" 1
}

# --- switch-tenant ------------------------------------------------------------------

@test "switch-tenant answers 200 with a pair for that tenant and the role of the membership" {
	new_user
	register "$(new_email other-owner)"
	other_slug=$SLUG other_tid=$TENANT_ID
	new_user
	psql_owner "INSERT INTO public.user_tenant_membership (tenant_id, user_id, role)
	    VALUES ('$other_tid', '$USER_ID', 'admin')"
	switch_to "$ACCESS" "$other_slug"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$other_slug"
	assert_equal "$(json .tenant.role)" admin
	assert_equal "$(json .token_type)" bearer
	assert_regex "$(header Cache-Control)" 'no-store'
	ACCESS=$(json .access_token) REFRESH=$(json .refresh_token)
	remember_secret "$ACCESS"
	remember_secret "$REFRESH"
	assert_equal "$(jwt_payload "$ACCESS" | jq -r '.tid + " " + .ten + " " + .role')" "$other_tid $other_slug admin"
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$other_slug"
	assert_equal "$(json .role)" admin
	refresh "$REFRESH"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$other_slug"
}

@test "switch-tenant from one tenant to another of the user's" {
	new_user tenant
	first_slug=$SLUG uid=$USER_ID
	register "$(new_email second)"
	second_slug=$SLUG second_tid=$TENANT_ID
	psql_owner "INSERT INTO public.user_tenant_membership (tenant_id, user_id, role)
	    VALUES ('$second_tid', '$uid', 'member')"
	switch_to "$ACCESS" "$second_slug"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$second_slug"
	assert_equal "$(json .tenant.role)" member
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
	assert_not_equal "$first_slug" "$second_slug"
}

@test "switch-tenant to a tenant the user does not belong to answers 403 NOT_A_MEMBER" {
	register "$(new_email other-owner)"
	theirs=$SLUG
	new_user
	switch_to "$ACCESS" "$theirs"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" NOT_A_MEMBER
	assert_equal "$(json .access_token)" null
}

@test "switch-tenant to an unknown tenant answers 404 TENANT_NOT_FOUND" {
	new_user
	switch_to "$ACCESS" "$(new_slug nosuch)"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" TENANT_NOT_FOUND
}

@test "switch-tenant without a token answers 401 UNAUTHENTICATED" {
	fcgi POST /api/v1/auth/switch-tenant '{"tenant_slug":"acme"}'
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
}
