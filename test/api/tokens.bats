#!/usr/bin/env bats
# Access tokens on GET /auth/me (what the verifier accepts and refuses) and
# refresh tokens on POST /auth/refresh (rotation, expiry, reuse detection,
# concurrency): API.md "Tokens" and "Auth", straight against the socket.

load ../lib/common
load ../lib/auth

HS256_HEADER='{"alg":"HS256","typ":"JWT"}'

# claims JQ: the claims of $ACCESS changed by the jq program JQ, compact.
claims() {
	jwt_payload "$ACCESS" | jq -c "$1"
}

assert_invalid_token() {
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

refresh_row() {
	psql_owner "SELECT $2 FROM public.refresh_tokens WHERE token_hash = sha256($(sql_quote "$1")::bytea)"
}

# --- GET /auth/me -------------------------------------------------------------

@test "/auth/me with a lobby token answers the user, no tenant, no role, no impersonator" {
	register "$(new_email me)" "" "$(new_slug)" "Katherine Johnson"
	assert_equal "$status_code" 202
	created=$(json .user.created_at)
	login "$EMAIL" "$PASSWORD"
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$USER_ID"
	assert_equal "$(json .user.email)" "$EMAIL"
	assert_equal "$(json .user.full_name)" "Katherine Johnson"
	assert_equal "$(json .user.created_at)" "$created"
	assert_equal "$(json .user.email_verified)" false
	assert_equal "$(json .user.is_superuser)" false
	assert_equal "$(json .tenant)" null
	assert_equal "$(json .role)" null
	assert_equal "$(json .impersonator)" null
	refute_regex "$body" 'password'
}

@test "/auth/me answers with Cache-Control: no-store (personal data)" {
	new_user
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_regex "$(header Cache-Control)" 'no-store'
}

@test "/auth/me with a tenant token answers the tenant and the role" {
	new_user tenant
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.id)" "$TENANT_ID"
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.name)" "Tenant $SLUG"
	assert_equal "$(json .tenant.status)" provisioning
	assert_equal "$(json .role)" owner
	assert_equal "$(json .impersonator)" null
}

@test "/auth/me takes the role from the database, not from the token" {
	new_user tenant
	psql_owner "UPDATE public.user_tenant_membership SET role = 'member'
	    WHERE user_id = '$USER_ID' AND tenant_id = '$TENANT_ID'"
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .role)" member
	assert_equal "$(jwt_payload "$ACCESS" | jq -r .role)" owner
}

@test "/auth/me without a token answers 401 UNAUTHENTICATED with WWW-Authenticate: Bearer" {
	fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
	assert_regex "$(header WWW-Authenticate)" '^Bearer'
}

@test "/auth/me with a garbage token answers 401 INVALID_TOKEN" {
	me "garbage"
	assert_invalid_token
	HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz" fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
}

@test "a token re-signed here with the stack's secret is accepted (control for the forgeries below)" {
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims .)")"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$USER_ID"
}

@test "a token with alg none and no signature answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt '{"alg":"none","typ":"JWT"}' "$(claims .)" "" none)"
	assert_invalid_token
	me "$(forge_jwt '{"alg":"none"}' "$(claims .)" "" none)"
	assert_invalid_token
}

@test "a token signed HS384 with the same secret answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt '{"alg":"HS384","typ":"JWT"}' "$(claims .)" "$JWT_SECRET" HS384)"
	assert_invalid_token
}

@test "a token signed HS256 with another key answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims .)" "another-secret-of-at-least-32-bytes-long")"
	assert_invalid_token
}

@test "a token whose claims were changed after signing answers 401 INVALID_TOKEN" {
	new_user tenant
	# The real header and signature around a payload that says admin.
	tampered=$(cut -d. -f1 <<<"$ACCESS").$(claims '.role = "admin"' | b64url).$(cut -d. -f3 <<<"$ACCESS")
	me "$tampered"
	assert_invalid_token
}

@test "an expired token answers 401 TOKEN_EXPIRED" {
	new_user
	now=$(date +%s)
	me "$(forge_jwt "$HS256_HEADER" "$(claims ".iat = $((now - 7200)) | .nbf = $((now - 7200)) | .exp = $((now - 3600))")")"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" TOKEN_EXPIRED
}

@test "a token not valid before an hour from now answers 401 INVALID_TOKEN" {
	new_user
	now=$(date +%s)
	me "$(forge_jwt "$HS256_HEADER" "$(claims ".nbf = $((now + 3600)) | .exp = $((now + 4000))")")"
	assert_invalid_token
}

@test "a token for another audience answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims '.aud = "other-api"')")"
	assert_invalid_token
}

@test "a token from another issuer answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims '.iss = "someone-else"')")"
	assert_invalid_token
}

@test "a token with token_use refresh answers 401 INVALID_TOKEN" {
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims '.token_use = "refresh"')")"
	assert_invalid_token
}

@test "a correctly signed token over 4 KiB answers 401 INVALID_TOKEN" {
	new_user
	pad=$(head -c 4000 /dev/zero | tr '\0' x)
	big=$(forge_jwt "$HS256_HEADER" "$(claims ".pad = \"$pad\"")")
	((${#big} > 4096))
	me "$big"
	assert_invalid_token
}

@test "a token for another user's session answers 401 INVALID_TOKEN" {
	new_user
	other_sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	new_user
	me "$(forge_jwt "$HS256_HEADER" "$(claims ".sid = \"$other_sid\"")")"
	assert_invalid_token
}

@test "a correctly signed token whose session was revoked answers 401" {
	new_user
	sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	psql_owner "UPDATE public.sessions SET revoked_at = now() WHERE id = '$sid'"
	me "$ACCESS"
	assert_equal "$status_code" 401
}

@test "a token of a disabled user answers 401" {
	new_user
	psql_owner "UPDATE public.users SET is_active = false WHERE id = '$USER_ID'"
	me "$ACCESS"
	assert_equal "$status_code" 401
}

@test "a token issued before the user's tokens_valid_after answers 401" {
	new_user
	psql_owner "UPDATE public.users SET tokens_valid_after = now() + interval '5 seconds' WHERE id = '$USER_ID'"
	me "$ACCESS"
	assert_equal "$status_code" 401
}

@test "a tenant token of a member removed from the tenant is refused" {
	register "$(new_email owner)"
	tid=$TENANT_ID slug=$SLUG
	new_user
	psql_owner "INSERT INTO public.user_tenant_membership (tenant_id, user_id, role)
	    VALUES ('$tid', '$USER_ID', 'member')"
	login "$EMAIL" "$PASSWORD" "$slug"
	assert_equal "$status_code" 200
	me "$ACCESS"
	assert_equal "$status_code" 200
	psql_owner "DELETE FROM public.user_tenant_membership WHERE tenant_id = '$tid' AND user_id = '$USER_ID'"
	me "$ACCESS"
	assert_regex "$status_code" '^40[13]$'
}

# --- POST /auth/refresh ---------------------------------------------------------

@test "refresh answers 200 with a new pair and no-store" {
	new_user
	old=$REFRESH
	refresh "$old"
	assert_equal "$status_code" 200
	assert_not_equal "$REFRESH" "$old"
	assert_regex "$REFRESH" '^[A-Za-z0-9_-]{43,}$'
	assert_regex "$ACCESS" "$JWT_RE"
	assert_equal "$(json .token_type)" bearer
	assert_equal "$(json .expires_in)" 900
	assert_regex "$(header Cache-Control)" 'no-store'
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$USER_ID"
}

@test "refresh rotates within the session: the old token is used, the new one its child" {
	new_user
	old=$REFRESH
	sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	refresh "$old"
	assert_equal "$status_code" 200
	assert_equal "$(refresh_row "$old" "used_at IS NOT NULL")" t
	assert_equal "$(refresh_row "$REFRESH" "session_id || ' ' || (used_at IS NULL)")" "$sid true"
	assert_equal "$(refresh_row "$REFRESH" parent_id)" "$(refresh_row "$old" id)"
	assert_equal "$(jwt_payload "$ACCESS" | jq -r .sid)" "$sid"
}

@test "each new refresh token works in turn" {
	new_user
	for i in 1 2 3; do
		refresh "$REFRESH"
		assert_equal "$status_code" 200
	done
	me "$ACCESS"
	assert_equal "$status_code" 200
}

@test "refresh of a tenant session keeps the tenant and the role" {
	new_user tenant
	refresh "$REFRESH"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.role)" owner
	assert_equal "$(jwt_payload "$ACCESS" | jq -r '.tid + " " + .ten')" "$TENANT_ID $SLUG"
}

@test "refresh of a tenant session after a role change carries the new role" {
	new_user tenant
	psql_owner "UPDATE public.user_tenant_membership SET role = 'member'
	    WHERE user_id = '$USER_ID' AND tenant_id = '$TENANT_ID'"
	refresh "$REFRESH"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.role)" member
	assert_equal "$(jwt_payload "$ACCESS" | jq -r .role)" member
}

@test "refresh of a tenant session after removal from the tenant is refused" {
	register "$(new_email owner)"
	tid=$TENANT_ID slug=$SLUG
	new_user
	psql_owner "INSERT INTO public.user_tenant_membership (tenant_id, user_id, role)
	    VALUES ('$tid', '$USER_ID', 'member')"
	login "$EMAIL" "$PASSWORD" "$slug"
	assert_equal "$status_code" 200
	psql_owner "DELETE FROM public.user_tenant_membership WHERE tenant_id = '$tid' AND user_id = '$USER_ID'"
	old=$REFRESH
	refresh "$old"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(json .access_token)" null
	# Refused, not used up: no reuse alarm, no successor left behind.
	refresh "$old"
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(audit_count auth.refresh_reuse_detected "$USER_ID")" 0
}

@test "refresh with a garbage or unknown token answers 401 INVALID_TOKEN" {
	refresh garbage
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
	refresh "$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "refresh with an access token answers 401 INVALID_TOKEN" {
	new_user
	refresh "$ACCESS"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "refresh without refresh_token answers 422" {
	fcgi POST /api/v1/auth/refresh '{}'
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" VALIDATION_FAILED
}

@test "an expired refresh token answers 401 TOKEN_EXPIRED" {
	new_user
	psql_owner "UPDATE public.refresh_tokens SET expires_at = now() - interval '1 minute'
	    WHERE token_hash = sha256($(sql_quote "$REFRESH")::bytea)"
	refresh "$REFRESH"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" TOKEN_EXPIRED
}

@test "a refresh token past its session's maximum age is refused" {
	new_user
	sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	psql_owner "UPDATE public.sessions SET expires_at = now() - interval '1 minute' WHERE id = '$sid'"
	refresh "$REFRESH"
	assert_equal "$status_code" 401
	assert_equal "$(json .access_token)" null
}

@test "a rotated refresh token never outlives its session" {
	new_user
	sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	psql_owner "UPDATE public.sessions SET expires_at = now() + interval '1 hour' WHERE id = '$sid'"
	refresh "$REFRESH"
	assert_equal "$status_code" 200
	assert_equal "$(refresh_row "$REFRESH" "expires_at <= (SELECT expires_at FROM public.sessions WHERE id = '$sid')")" t
}

@test "a refresh token of a disabled account is refused" {
	new_user
	psql_owner "UPDATE public.users SET is_active = false WHERE id = '$USER_ID'"
	old=$REFRESH
	refresh "$old"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(json .access_token)" null
	# Refused, not used up: no reuse alarm, no successor left behind.
	refresh "$old"
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(audit_count auth.refresh_reuse_detected "$USER_ID")" 0
}

@test "a used refresh token answers 401 REFRESH_TOKEN_REUSED" {
	new_user
	first=$REFRESH
	refresh "$first"
	assert_equal "$status_code" 200
	refresh "$first"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" REFRESH_TOKEN_REUSED
}

@test "reuse revokes the family: the newest refresh token is refused too" {
	new_user
	first=$REFRESH
	refresh "$first"
	newest=$REFRESH
	refresh "$first"
	assert_equal "$status_code" 401
	refresh "$newest"
	assert_equal "$status_code" 401
	assert_equal "$(json .access_token)" null
}

@test "reuse ends the session: its access tokens are refused" {
	new_user
	first=$REFRESH
	first_access=$ACCESS
	refresh "$first"
	assert_equal "$status_code" 200
	second_access=$ACCESS
	refresh "$first"
	assert_equal "$status_code" 401
	me "$second_access"
	assert_equal "$status_code" 401
	me "$first_access"
	assert_equal "$status_code" 401
}

@test "reuse leaves the user's other sessions alone" {
	new_user
	first=$REFRESH
	login "$EMAIL" "$PASSWORD"
	other_access=$ACCESS other_refresh=$REFRESH
	refresh "$first"
	refresh "$first"
	assert_equal "$status_code" 401
	me "$other_access"
	assert_equal "$status_code" 200
	refresh "$other_refresh"
	assert_equal "$status_code" 200
}

@test "reuse is audited as auth.refresh_reuse_detected" {
	new_user
	first=$REFRESH
	refresh "$first"
	refresh "$first"
	assert_equal "$status_code" 401
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs
	    WHERE action = 'auth.refresh_reuse_detected' AND actor_id = '$USER_ID'")" 1
}

@test "ten concurrent refreshes of one token: exactly one 200, the others 401" {
	new_user
	token=$REFRESH
	payload=$(jq -nc --arg r "$token" '{refresh_token: $r}')
	for i in $(seq 10); do
		(
			fcgi POST /api/v1/auth/refresh "$payload" 2>/dev/null
			echo "$status_code" >"$BATS_TEST_TMPDIR/status-$i"
			[[ $status_code != 200 ]] || json .refresh_token >"$BATS_TEST_TMPDIR/new-$i"
		) 3>&- &
	done
	wait
	statuses=$(cat "$BATS_TEST_TMPDIR"/status-* | sort | uniq -c | awk '{ print $2 "x" $1 }' | paste -sd,)
	assert_equal "$statuses" "200x1,401x9"
	remember_secret "$(cat "$BATS_TEST_TMPDIR"/new-*)"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.refresh_tokens
	    WHERE parent_id = (SELECT id FROM public.refresh_tokens WHERE token_hash = sha256($(sql_quote "$token")::bytea))")" 1
}

@test "an Authorization header of another scheme counts as no token: 401 UNAUTHENTICATED" {
	HTTP_AUTHORIZATION='Basic YW5uOnNlY3JldA==' fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
	assert_equal "$(header WWW-Authenticate)" Bearer
}
