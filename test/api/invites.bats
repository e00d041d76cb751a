#!/usr/bin/env bats
# Invitations: create (with its email), list, revoke, and accept as an
# existing user or as a new one.

load ../lib/common
load ../lib/auth
load ../lib/tenancy

# Invites EMAIL as ROLE with the owner's token; sets INVITE_ID and INVITE_TOKEN.
invite() {
	as "$OWNER" POST /api/v1/invites "{\"email\":\"$1\",\"role\":\"${2:-member}\"}"
	assert_equal "$status_code" 201
	INVITE_ID=$(json .id)
	INVITE_TOKEN=$(mail_token "$1")
	remember_secret "$INVITE_TOKEN"
}

@test "an admin invites an address: 201 pending, 7 days, an email with the token, audited" {
	ready_owner
	email=$(new_email invitee)
	invite "$email"
	assert_equal "$(json .status)" pending
	assert_equal "$(json .role)" member
	assert_equal "$(header Location)" "/api/v1/invites/$INVITE_ID"
	assert_equal "$(psql_owner "SELECT expires_at BETWEEN now() + interval '6 days 23 hours' AND now() + interval '7 days 1 minute' FROM public.tenant_invites WHERE id = '$INVITE_ID'")" t
	assert_regex "$INVITE_TOKEN" '^[A-Za-z0-9_-]{43}$'
	assert_equal "$(psql_owner "SELECT token_hash = sha256('$INVITE_TOKEN'::bytea) FROM public.tenant_invites WHERE id = '$INVITE_ID'")" t
	assert_equal "$(audit_count invite.create "$OWNER_ID")" 1
}

@test "inviting a member of the tenant answers 409 ALREADY_MEMBER" {
	ready_owner
	email=$(psql_owner "SELECT email FROM public.users WHERE id = '$OWNER_ID'")
	as "$OWNER" POST /api/v1/invites "{\"email\":\"$email\",\"role\":\"member\"}"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" ALREADY_MEMBER
}

@test "a second invitation while one is pending answers 409 INVITE_PENDING" {
	ready_owner
	email=$(new_email invitee)
	invite "$email"
	as "$OWNER" POST /api/v1/invites "{\"email\":\"$(tr a-z A-Z <<<"$email")\",\"role\":\"member\"}"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" INVITE_PENDING
}

@test "an expired invitation no longer blocks a new one" {
	ready_owner
	email=$(new_email invitee)
	invite "$email"
	psql_owner "UPDATE public.tenant_invites SET expires_at = now() - interval '1 minute' WHERE id = '$INVITE_ID'" >/dev/null
	invite "$email"
}

@test "an admin may not invite an admin; an owner may" {
	ready_owner
	add_member admin
	as "$MEMBER" POST /api/v1/invites "{\"email\":\"$(new_email)\",\"role\":\"admin\"}"
	assert_equal "$status_code" 403
	as "$OWNER" POST /api/v1/invites "{\"email\":\"$(new_email)\",\"role\":\"admin\"}"
	assert_equal "$status_code" 201
}

@test "a member may not invite or list invitations: 403" {
	ready_owner
	add_member member
	as "$MEMBER" POST /api/v1/invites "{\"email\":\"$(new_email)\",\"role\":\"member\"}"
	assert_equal "$status_code" 403
	as "$MEMBER" GET /api/v1/invites
	assert_equal "$status_code" 403
}

@test "GET /invites lists the tenant's invitations only" {
	ready_owner
	invite "$(new_email one)"
	first=$OWNER
	ready_owner
	invite "$(new_email two)"
	as "$OWNER" GET /api/v1/invites
	assert_equal "$status_code" 200
	assert_equal "$(json '.items | length')" 1
	assert_equal "$(json '.items[0].id')" "$INVITE_ID"
}

@test "revoking an invitation: 204, audited, and its token no longer works" {
	ready_owner
	email=$(new_email invitee)
	invite "$email"
	as "$OWNER" DELETE "/api/v1/invites/$INVITE_ID"
	assert_equal "$status_code" 204
	assert_equal "$(audit_count invite.revoke "$OWNER_ID")" 1
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"password\":\"$(new_password)\",\"full_name\":\"X\"}"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "another tenant's invitation cannot be revoked: 404" {
	ready_owner
	invite "$(new_email)"
	theirs=$INVITE_ID
	ready_owner
	as "$OWNER" DELETE "/api/v1/invites/$theirs"
	assert_equal "$status_code" 404
	assert_equal "$(psql_owner "SELECT status FROM public.tenant_invites WHERE id = '$theirs'")" pending
}

@test "a new user accepts: 201 with a token pair for the tenant, email verified, audited" {
	ready_owner
	email=$(new_email newbie)
	invite "$email" admin
	password=$(new_password)
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"password\":\"$password\",\"full_name\":\"New Person\"}"
	assert_equal "$status_code" 201
	assert_equal "$(json .tenant.slug)" "$OWNER_SLUG"
	assert_equal "$(json .tenant.role)" admin
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
	uid=$(psql_owner "SELECT id FROM public.users WHERE email = '$email'")
	assert_equal "$(psql_owner "SELECT email_verified_at IS NOT NULL FROM public.users WHERE id = '$uid'")" t
	assert_equal "$(psql_owner "SELECT role FROM public.user_tenant_membership WHERE user_id = '$uid' AND tenant_id = '$OWNER_TENANT'")" admin
	assert_equal "$(audit_count invite.accept "$uid")" 1
	as "$(json .access_token)" GET /api/v1/tenants/current
	assert_equal "$status_code" 200
	login "$email" "$password" "$OWNER_SLUG"
}

@test "a new user's weak password answers 422 and the invitation stays usable" {
	ready_owner
	email=$(new_email newbie)
	invite "$email"
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"password\":\"password1234\",\"full_name\":\"N\"}"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(psql_owner "SELECT status FROM public.tenant_invites WHERE id = '$INVITE_ID'")" pending
}

@test "accepting without a token and without a password answers 422" {
	ready_owner
	invite "$(new_email)"
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\"}"
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" password
}

@test "an existing account accepting without signing in answers 409 EMAIL_ALREADY_EXISTS" {
	ready_owner
	new_user
	email=$EMAIL
	invite "$email"
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"password\":\"$(new_password)\",\"full_name\":\"Dup\"}"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" EMAIL_ALREADY_EXISTS
	assert_equal "$(psql_owner "SELECT status FROM public.tenant_invites WHERE id = '$INVITE_ID'")" pending
}

@test "a signed-in user accepts their invitation: 200 {tenant, role}, and belongs to both tenants" {
	ready_owner
	new_user
	mine=$ACCESS me_id=$USER_ID email=$EMAIL
	invite "$email"
	as "$mine" POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\"}"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$OWNER_SLUG"
	assert_equal "$(json .role)" member
	as "$mine" GET /api/v1/tenants
	assert_equal "$(json '.items | length')" 2
	as "$mine" POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\"}"
	assert_equal "$status_code" 400
}

@test "a signed-in user with another address answers 403 INVITE_EMAIL_MISMATCH" {
	ready_owner
	invite "$(new_email someone)"
	new_user
	as "$ACCESS" POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\"}"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" INVITE_EMAIL_MISMATCH
	assert_equal "$(psql_owner "SELECT status FROM public.tenant_invites WHERE id = '$INVITE_ID'")" pending
}

@test "an expired or unknown token answers 400 INVALID_TOKEN" {
	ready_owner
	invite "$(new_email)"
	psql_owner "UPDATE public.tenant_invites SET expires_at = now() - interval '1 second' WHERE id = '$INVITE_ID'" >/dev/null
	fcgi POST /api/v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"password\":\"$(new_password)\",\"full_name\":\"X\"}"
	assert_equal "$status_code" 400
	fcgi POST /api/v1/invites/accept '{"token":"nope","password":"x","full_name":"X"}'
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
}
