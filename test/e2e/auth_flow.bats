#!/usr/bin/env bats
# The Auth endpoints end to end through nginx (conf/saas-server.nginx and
# conf/fastcgi_params.saas in front of the pool): a client's whole first
# session, and the tenant named by the subdomain.

load ../lib/common
load ../lib/auth

@test "register, verify the email, login, me, refresh, logout: the old access token is refused" {
	email=$(new_email e2e)
	password=$(new_password)
	slug=$(new_slug e2e)
	remember_secret "$password"
	post_json /api/v1/auth/register "$(jq -nc --arg e "$email" --arg p "$password" --arg s "$slug" \
	    '{email: $e, password: $p, full_name: "End To End", tenant_name: "E2E Inc", tenant_slug: $s}')"
	assert_equal "$status_code" 202
	assert_equal "$(json .tenant.status)" provisioning
	uid=$(json .user.id)

	post_json /api/v1/auth/verify-email "$(jq -nc --arg t "$(mail_token "$email")" '{token: $t}')"
	assert_equal "$status_code" 200
	assert_equal "$(json .email_verified)" true

	post_json /api/v1/auth/login "$(jq -nc --arg e "$email" --arg p "$password" '{email: $e, password: $p}')"
	assert_equal "$status_code" 200
	assert_regex "$(header Cache-Control)" 'no-store'
	access=$(json .access_token) refresh_token=$(json .refresh_token)
	remember_secret "$access"
	remember_secret "$refresh_token"

	http GET /api/v1/auth/me -H "Authorization: Bearer $access"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$uid"
	assert_equal "$(json .user.email_verified)" true

	post_json /api/v1/auth/refresh "$(jq -nc --arg r "$refresh_token" '{refresh_token: $r}')"
	assert_equal "$status_code" 200
	new_access=$(json .access_token) new_refresh=$(json .refresh_token)
	remember_secret "$new_access"
	remember_secret "$new_refresh"
	assert_not_equal "$new_refresh" "$refresh_token"

	post_json /api/v1/auth/logout "$(jq -nc --arg r "$new_refresh" '{refresh_token: $r}')" \
	    -H "Authorization: Bearer $new_access"
	assert_equal "$status_code" 204

	http GET /api/v1/auth/me -H "Authorization: Bearer $new_access"
	assert_equal "$status_code" 401
	http GET /api/v1/auth/me -H "Authorization: Bearer $access"
	assert_equal "$status_code" 401
	post_json /api/v1/auth/refresh "$(jq -nc --arg r "$new_refresh" '{refresh_token: $r}')"
	assert_equal "$status_code" 401
}

@test "login at <slug>.localhost gives a token for that tenant" {
	email=$(new_email e2e)
	password=$(new_password)
	slug=$(new_slug e2e)
	post_json /api/v1/auth/register "$(jq -nc --arg e "$email" --arg p "$password" --arg s "$slug" \
	    '{email: $e, password: $p, full_name: "Sub Domain", tenant_name: "Sub Domain", tenant_slug: $s}')"
	assert_equal "$status_code" 202
	tid=$(json .tenant.id)

	post_json /api/v1/auth/login "$(jq -nc --arg e "$email" --arg p "$password" '{email: $e, password: $p}')" \
	    -H "Host: $slug.localhost"
	assert_equal "$status_code" 200
	access=$(json .access_token)
	remember_secret "$access"
	remember_secret "$(json .refresh_token)"
	assert_equal "$(json .tenant.slug)" "$slug"
	assert_equal "$(json .tenant.role)" owner
	assert_equal "$(jwt_payload "$access" | jq -r '.tid + " " + .ten')" "$tid $slug"

	http GET /api/v1/auth/me -H "Authorization: Bearer $access" -H "Host: $slug.localhost"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$slug"
	assert_equal "$(json .role)" owner
}

@test "a subdomain and an X-Tenant-Slug that differ answer 400 TENANT_MISMATCH through nginx" {
	email=$(new_email e2e)
	password=$(new_password)
	slug=$(new_slug e2e)
	post_json /api/v1/auth/register "$(jq -nc --arg e "$email" --arg p "$password" --arg s "$slug" \
	    '{email: $e, password: $p, full_name: "Mismatch", tenant_name: "Mismatch", tenant_slug: $s}')"
	assert_equal "$status_code" 202
	post_json /api/v1/auth/login "$(jq -nc --arg e "$email" --arg p "$password" '{email: $e, password: $p}')" \
	    -H "Host: $slug.localhost" -H "X-Tenant-Slug: $(new_slug other)"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" TENANT_MISMATCH
}
