#!/usr/bin/env bats
# An invitation end to end through nginx: the owner invites, saas-jobs
# delivers the mail into MAIL_DIR, the token is read from that mail file,
# and the invitee joins, once as a new account and once as a user who
# already has one (and so belongs to two tenants).

load ../lib/common
load ../lib/auth

# The token in the delivered mail to an address (the newest with one).
mailed_token() {
	local file token
	file=$(grep -lixF "To: $1" "$MAIL_DIR"/*.eml | xargs -r grep -l '^Token: ' | xargs -r ls -t | head -n 1)
	[[ -n $file ]] || fail "no mail with a token to $1 in $MAIL_DIR"
	token=$(sed -n 's/^Token: //p' "$file" | head -n 1)
	remember_secret "$token"
	printf '%s' "$token"
}

# A registered owner of a ready tenant, signed in through its subdomain.
owner_e2e() {
	OWNER_EMAIL=$(new_email owner) OWNER_PASSWORD=$(new_password) SLUG=$(new_slug inv)
	remember_secret "$OWNER_PASSWORD"
	post_json /api/v1/auth/register "$(jq -nc --arg e "$OWNER_EMAIL" --arg p "$OWNER_PASSWORD" \
	    --arg s "$SLUG" '{email: $e, password: $p, full_name: "Owner", tenant_name: "Inv", tenant_slug: $s}')"
	assert_equal "$status_code" 202
	run_jobs
	post_json /api/v1/auth/login "$(jq -nc --arg e "$OWNER_EMAIL" --arg p "$OWNER_PASSWORD" \
	    '{email: $e, password: $p}')" -H "Host: $SLUG.localhost"
	assert_equal "$status_code" 200
	OWNER_TOKEN=$(json .access_token)
	remember_secret "$OWNER_TOKEN"
}

invite() {
	post_json /api/v1/invites "$(jq -nc --arg e "$1" --arg r "$2" '{email: $e, role: $r}')" \
	    -H "Host: $SLUG.localhost" -H "Authorization: Bearer $OWNER_TOKEN"
	assert_equal "$status_code" 201
	assert_equal "$(json .status)" pending
	run_jobs
}

@test "invite a new person: the mailed token makes their account, verified, with a token pair" {
	owner_e2e
	email=$(new_email invitee) password=$(new_password)
	remember_secret "$password"
	invite "$email" admin
	post_json /api/v1/invites/accept "$(jq -nc --arg t "$(mailed_token "$email")" --arg p "$password" \
	    '{token: $t, password: $p, full_name: "Ivy Invitee"}')"
	assert_equal "$status_code" 201
	access=$(json .access_token)
	remember_secret "$access"
	remember_secret "$(json .refresh_token)"
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.role)" admin
	http GET /api/v1/auth/me -H "Authorization: Bearer $access"
	assert_equal "$(json .user.email_verified)" true
	http GET /api/v1/members -H "Host: $SLUG.localhost" -H "Authorization: Bearer $OWNER_TOKEN"
	assert_equal "$status_code" 200
	assert_equal "$(json '[.items[] | .role] | sort | join(",")')" "admin,owner"
	# The token was single use.
	post_json /api/v1/invites/accept "$(jq -nc --arg t "$(mailed_token "$email")" --arg p "$password" \
	    '{token: $t, password: $p, full_name: "Ivy Again"}')"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "invite someone who has an account: signed in, they join a second tenant" {
	owner_e2e
	first_slug=$SLUG first_owner=$OWNER_EMAIL first_password=$OWNER_PASSWORD
	owner_e2e
	invite "$first_owner" member
	post_json /api/v1/auth/login "$(jq -nc --arg e "$first_owner" --arg p "$first_password" \
	    '{email: $e, password: $p}')"
	lobby=$(json .access_token)
	remember_secret "$lobby"
	post_json /api/v1/invites/accept "$(jq -nc --arg t "$(mailed_token "$first_owner")" '{token: $t}')" \
	    -H "Authorization: Bearer $lobby"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .role)" member
	http GET /api/v1/tenants -H "Authorization: Bearer $lobby"
	assert_equal "$(json '[.items[] | .slug + ":" + .role] | sort | join(",")')" \
		"$(printf '%s\n' "$first_slug:owner" "$SLUG:member" | sort | paste -sd,)"
}
