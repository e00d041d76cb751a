#!/usr/bin/env bats
# Register, login, the OAuth2 password grant, email verification and legacy
# password hashes (API.md "Auth", "Tokens", "Audit log"), straight against
# the responder socket. Every test makes its own users and tenants. The
# tests of the default Argon2id parameters run a saas-fcgi of their own with
# them (argon2_defaults_start): the stack of test/run hashes cheaply.

load ../lib/common
load ../lib/auth

teardown() {
	app_stop
}

# One detail of a 422: the issue named for FIELD ("" when none).
issue_of() {
	json --arg f "$1" '[.error.details[]? | select(.field == $f) | .issue][0] // ""'
}

# The OAuth2 password grant with a form body.
token_form() {
	CONTENT_TYPE=application/x-www-form-urlencoded fcgi POST /api/v1/auth/token "$1"
}

urlenc() {
	jq -rn --arg v "$1" '$v | @uri'
}

# --- register ---------------------------------------------------------------

@test "register answers 202 with the user, the provisioning tenant and the job id" {
	email=$(new_email reg)
	slug=$(new_slug)
	register "$email" "" "$slug" "Ada Lovelace" "Analytical Engines"
	assert_equal "$status_code" 202
	assert_regex "$(json .user.id)" "$UUID_RE"
	assert_equal "$(json .user.email)" "$email"
	assert_equal "$(json .user.full_name)" "Ada Lovelace"
	assert_equal "$(json .user.email_verified)" false
	assert_regex "$(json .user.created_at)" "$RFC3339_RE"
	assert_regex "$(json .tenant.id)" "$UUID_RE"
	assert_equal "$(json .tenant.slug)" "$slug"
	assert_equal "$(json .tenant.name)" "Analytical Engines"
	assert_equal "$(json .tenant.status)" provisioning
	assert_regex "$(json .tenant.created_at)" "$RFC3339_RE"
	assert_regex "$(json .job_id)" "$UUID_RE"
	refute_regex "$body" 'password|hash'
}

@test "register answers with Cache-Control: no-store (personal data)" {
	register "$(new_email reg)"
	assert_equal "$status_code" 202
	assert_regex "$(header Cache-Control)" 'no-store'
}

@test "register writes the user with an Argon2id hash, the tenant and the owner membership" {
	argon2_defaults_start
	email=$(new_email reg)
	slug=$(new_slug acme-co)
	register "$email" "" "$slug" "Grace Hopper" "Acme Co"
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT email || ' ' || full_name || ' ' || (email_verified_at IS NULL)
	    || ' ' || is_active || ' ' || is_superuser FROM public.users WHERE id = '$USER_ID'")" \
	    "$email Grace Hopper true true false"
	assert_equal "$(psql_owner "SELECT password_hash LIKE '\$argon2id\$v=19\$m=19456,t=2,p=1\$%'
	    FROM public.users WHERE id = '$USER_ID'")" t
	assert_equal "$(psql_owner "SELECT slug || ' ' || name || ' ' || status || ' ' || schema_name
	    FROM public.tenants WHERE id = '$TENANT_ID'")" \
	    "$slug Acme Co provisioning tenant_${slug//-/_}"
	assert_equal "$(psql_owner "SELECT role FROM public.user_tenant_membership
	    WHERE user_id = '$USER_ID' AND tenant_id = '$TENANT_ID'")" owner
}

@test "register stores the verification token hashed, valid 24 hours, and queues it by email" {
	email=$(new_email reg)
	register "$email"
	assert_equal "$status_code" 202
	token=$(mail_token "$email")
	assert_regex "$token" '^[A-Za-z0-9_-]{43,}$'
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens
	    WHERE user_id = '$USER_ID' AND kind = 'verify_email' AND used_at IS NULL
	      AND expires_at BETWEEN now() + interval '23 hours 58 minutes' AND now() + interval '24 hours 1 minute'
	      AND token_hash = sha256($(sql_quote "$token")::bytea)")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens
	    WHERE encode(token_hash, 'escape') LIKE $(sql_quote "%$token%")")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE kind = 'send_email'
	    AND payload->>'to' = $(sql_quote "$email") AND status = 'pending'
	    AND payload->>'from' <> '' AND payload->>'subject' <> ''")" 1
}

@test "register queues the provision_tenant job named by job_id" {
	register "$(new_email reg)"
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT kind || ' ' || tenant_id || ' ' || status
	    FROM public.jobs WHERE id = '$JOB_ID'")" "provision_tenant $TENANT_ID pending"
}

@test "register is audited as auth.register and tenant.create by the new user" {
	register "$(new_email reg)"
	assert_equal "$status_code" 202
	assert_equal "$(audit_count auth.register "$USER_ID")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.audit_logs WHERE action = 'tenant.create'
	    AND outcome = 'success' AND actor_id = '$USER_ID' AND tenant_id = '$TENANT_ID'")" 1
}

@test "register with a taken email answers 409 EMAIL_ALREADY_EXISTS" {
	email=$(new_email dup)
	register "$email"
	assert_equal "$status_code" 202
	register "$email"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" EMAIL_ALREADY_EXISTS
}

@test "register with a taken email in another case answers 409 EMAIL_ALREADY_EXISTS" {
	email=$(new_email dup)
	register "$email"
	assert_equal "$status_code" 202
	register "$(tr a-z A-Z <<<"$email")"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" EMAIL_ALREADY_EXISTS
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE lower(email) = lower($(sql_quote "$email"))")" 1
}

@test "register with a taken slug answers 409 SLUG_TAKEN" {
	slug=$(new_slug)
	register "$(new_email a)" "" "$slug"
	assert_equal "$status_code" 202
	register "$(new_email b)" "" "$slug"
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" SLUG_TAKEN
}

@test "after 409 SLUG_TAKEN nothing of the refused registration exists" {
	slug=$(new_slug)
	register "$(new_email a)" "" "$slug"
	assert_equal "$status_code" 202
	jobs_before=$(psql_owner "SELECT count(*) FROM public.jobs")
	tokens_before=$(psql_owner "SELECT count(*) FROM public.email_tokens")
	second=$(new_email b)
	register "$second" "" "$slug"
	assert_equal "$status_code" 409
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE lower(email) = lower($(sql_quote "$second"))")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE payload->>'to' = $(sql_quote "$second")")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs")" "$jobs_before"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens")" "$tokens_before"
}

@test "after 409 EMAIL_ALREADY_EXISTS nothing of the refused registration exists" {
	email=$(new_email a)
	register "$email"
	assert_equal "$status_code" 202
	uid=$USER_ID
	other=$(new_slug)
	register "$email" "" "$other"
	assert_equal "$status_code" 409
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenants WHERE slug = '$other'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE payload::text LIKE '%$other%'")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE kind = 'send_email'
	    AND payload->>'to' = $(sql_quote "$email")")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens WHERE user_id = '$uid'")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.user_tenant_membership WHERE user_id = '$uid'")" 1
	assert_equal "$(audit_count tenant.create "$uid")" 1
}

@test "register with a malformed email answers 422 VALIDATION_FAILED" {
	register "not-an-email"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" VALIDATION_FAILED
	assert_equal "$(issue_of email)" invalid
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenants WHERE slug = '$SLUG'")" 0
}

@test "register with a reserved slug answers 422 VALIDATION_FAILED" {
	for slug in admin api www pg-x pgadmin; do
		register "$(new_email reserved)" "" "$slug"
		assert_equal "$status_code" 422
		assert_equal "$(json .error.code)" VALIDATION_FAILED
		assert_not_equal "$(issue_of tenant_slug)" ""
		assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = $(sql_quote "$EMAIL")")" 0
	done
}

@test "register with a malformed slug answers 422 VALIDATION_FAILED" {
	long=a$(printf 'b%.0s' {1..56})
	for slug in Acme ab a--b -abc abc- 1abc a_bc "a bc" "$long" ""; do
		register "$(new_email badslug)" "" "$slug"
		assert_equal "$status_code" 422
		assert_equal "$(json .error.code)" VALIDATION_FAILED
		assert_not_equal "$(issue_of tenant_slug)" ""
	done
}

@test "register with an unknown field answers 422 and creates nothing" {
	email=$(new_email extra)
	pw=$(new_password)
	fcgi POST /api/v1/auth/register "$(jq -nc --arg e "$email" --arg p "$pw" --arg s "$(new_slug)" \
	    '{email: $e, password: $p, full_name: "X", tenant_name: "X", tenant_slug: $s, is_superuser: true}')"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" VALIDATION_FAILED
	assert_equal "$(issue_of is_superuser)" unknown
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = $(sql_quote "$email")")" 0
}

@test "register without tenant_name answers 422 required" {
	email=$(new_email missing)
	pw=$(new_password)
	fcgi POST /api/v1/auth/register "$(jq -nc --arg e "$email" --arg p "$pw" --arg s "$(new_slug)" \
	    '{email: $e, password: $p, full_name: "X", tenant_slug: $s}')"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" VALIDATION_FAILED
	assert_equal "$(issue_of tenant_name)" required
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = $(sql_quote "$email")")" 0
}

@test "a password of 11 bytes answers 422 WEAK_PASSWORD too_short and creates nothing" {
	email=$(new_email weak)
	register "$email" 'Zq8#vL2!mWp'
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"password","issue":"too_short"}]'
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = $(sql_quote "$email")")" 0
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenants WHERE slug = '$SLUG'")" 0
}

@test "a password of 257 bytes answers 422 WEAK_PASSWORD too_long" {
	pw=$(openssl rand -base64 300 | tr -d '\n' | head -c 257)
	assert_equal "${#pw}" 257
	register "$(new_email weak)" "$pw"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"password","issue":"too_long"}]'
}

@test "a guessable password answers 422 WEAK_PASSWORD too_guessable" {
	register "$(new_email weak)" 'password1234'
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"password","issue":"too_guessable"}]'
}

@test "a password containing the email's local part answers 422 WEAK_PASSWORD contains_email" {
	local_part=marvin$(fresh_id)
	register "$local_part@example.com" "violet quantum $local_part lobster"
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" WEAK_PASSWORD
	assert_equal "$(json -c .error.details)" '[{"field":"password","issue":"contains_email"}]'
}

@test "strong passwords of exactly 12 and 256 bytes are accepted" {
	for n in 12 256; do
		pw=$(openssl rand -base64 300 | tr -d '\n' | head -c "$n")
		register "$(new_email edge)" "$pw"
		assert_equal "$status_code" 202
	done
}

@test "two registrations of one email at once: one 202, one 409, never 500" {
	email=$(new_email race)
	pw=$(new_password)
	s1=$(new_slug race) s2=$(new_slug race)
	for slug in "$s1" "$s2"; do
		(
			register "$email" "$pw" "$slug" 2>/dev/null
			echo "$status_code $(json .error.code)" >"$BATS_TEST_TMPDIR/status-$slug"
		) 3>&- &
	done
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/status-* | sort | paste -sd,)" "202 null,409 EMAIL_ALREADY_EXISTS"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email = $(sql_quote "$email")")" 1
	assert_equal "$(psql_owner "SELECT count(*) FROM public.tenants WHERE slug IN ('$s1', '$s2')")" 1
}

@test "two registrations of one slug at once: one 202, one 409 SLUG_TAKEN, never 500" {
	slug=$(new_slug race)
	e1=$(new_email race) e2=$(new_email race)
	for email in "$e1" "$e2"; do
		(
			register "$email" "" "$slug" 2>/dev/null
			echo "$status_code $(json .error.code)" >"$BATS_TEST_TMPDIR/status-$email"
		) 3>&- &
	done
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/status-* | sort | paste -sd,)" "202 null,409 SLUG_TAKEN"
	assert_equal "$(psql_owner "SELECT count(*) FROM public.users WHERE email IN ('$e1', '$e2')")" 1
}

# --- login ------------------------------------------------------------------

@test "login answers 200 with a lobby token pair and Cache-Control: no-store" {
	register "$(new_email login)"
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_regex "$ACCESS" "$JWT_RE"
	assert_regex "$REFRESH" '^[A-Za-z0-9_-]{43,}$'
	assert_equal "$(json .token_type)" bearer
	assert_equal "$(json .expires_in)" 900
	assert_equal "$(json .tenant)" null
	assert_regex "$(header Cache-Control)" 'no-store'
}

@test "the access token is HS256 and carries the contract's claims" {
	register "$(new_email login)"
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(jwt_header "$ACCESS" | jq -r .alg)" HS256
	claims=$(jwt_payload "$ACCESS")
	assert_equal "$(jq -r .iss <<<"$claims")" saas-fcgi
	assert_equal "$(jq -r '.aud | if type == "array" then .[0] else . end' <<<"$claims")" saas-api
	assert_equal "$(jq -r .sub <<<"$claims")" "$USER_ID"
	assert_equal "$(jq -r .token_use <<<"$claims")" access
	assert_equal "$(jq -r '.exp - .iat' <<<"$claims")" 900
	assert_regex "$(jq -r .jti <<<"$claims")" "$UUID_RE"
	assert_equal "$(jq -r 'has("tid")' <<<"$claims")" false
	nbf=$(jq -r .nbf <<<"$claims")
	assert_regex "$nbf" '^[0-9]+$'
	((nbf <= $(date +%s) + 1))
	sid=$(jq -r .sid <<<"$claims")
	assert_equal "$(psql_owner "SELECT user_id || ' ' || (tenant_id IS NULL) || ' ' || (revoked_at IS NULL)
	    FROM public.sessions WHERE id = '$sid'")" "$USER_ID true true"
}

@test "login stores the refresh token only as its SHA-256 hash, in the token's session" {
	register "$(new_email login)"
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	sid=$(jwt_payload "$ACCESS" | jq -r .sid)
	assert_equal "$(psql_owner "SELECT session_id || ' ' || (used_at IS NULL) || ' ' || (revoked_at IS NULL)
	    || ' ' || (expires_at > now() + interval '13 days')
	    FROM public.refresh_tokens WHERE token_hash = sha256($(sql_quote "$REFRESH")::bytea)")" "$sid true true true"
}

@test "login with X-Tenant-Slug gives a tenant token, while the tenant is still provisioning" {
	register "$(new_email login)"
	assert_equal "$(psql_owner "SELECT status FROM public.tenants WHERE id = '$TENANT_ID'")" provisioning
	login "$EMAIL" "$PASSWORD" "$SLUG"
	assert_equal "$status_code" 200
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.role)" owner
	claims=$(jwt_payload "$ACCESS")
	assert_equal "$(jq -r '.tid + " " + .ten + " " + .role' <<<"$claims")" "$TENANT_ID $SLUG owner"
	sid=$(jq -r .sid <<<"$claims")
	assert_equal "$(psql_owner "SELECT tenant_id FROM public.sessions WHERE id = '$sid'")" "$TENANT_ID"
}

@test "login with the TENANT_SLUG parameter gives a tenant token" {
	register "$(new_email login)"
	TENANT_SLUG=$SLUG fcgi POST /api/v1/auth/login "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')"
	assert_equal "$status_code" 200
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.role)" owner
}

@test "TENANT_SLUG and X-Tenant-Slug that differ answer 400 TENANT_MISMATCH" {
	register "$(new_email login)"
	other=$(new_slug)
	TENANT_SLUG=$SLUG HTTP_X_TENANT_SLUG=$other fcgi POST /api/v1/auth/login \
	    "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" TENANT_MISMATCH
	assert_equal "$(json .access_token)" null
}

@test "a malformed tenant slug on login answers 400 INVALID_TENANT" {
	register "$(new_email login)"
	login "$EMAIL" "$PASSWORD" 'Not_A_Slug'
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TENANT
}

@test "an unknown email and a wrong password answer the same 401 INVALID_CREDENTIALS" {
	register "$(new_email login)"
	login "$EMAIL" "wrong horse battery staple 1"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_CREDENTIALS
	wrong=$(json .error.message)
	login "$(new_email nobody)" "wrong horse battery staple 1"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_CREDENTIALS
	assert_equal "$(json .error.message)" "$wrong"
	assert_equal "$(json .access_token)" null
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID'")" 0
}

@test "login accepts the email in another case" {
	register "$(new_email login)"
	login "$(tr a-z A-Z <<<"$EMAIL")" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(jwt_payload "$ACCESS" | jq -r .sub)" "$USER_ID"
}

@test "login to a tenant the user does not belong to answers 403 NOT_A_MEMBER" {
	register "$(new_email owner)"
	theirs=$SLUG
	register "$(new_email other)"
	login "$EMAIL" "$PASSWORD" "$theirs"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" NOT_A_MEMBER
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID'")" 0
}

@test "login to an unknown tenant answers 404 TENANT_NOT_FOUND" {
	register "$(new_email login)"
	login "$EMAIL" "$PASSWORD" "$(new_slug nosuch)"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" TENANT_NOT_FOUND
}

@test "login to a disabled account answers 403 ACCOUNT_DISABLED and starts no session" {
	register "$(new_email login)"
	psql_owner "UPDATE public.users SET is_active = false WHERE id = '$USER_ID'"
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" ACCOUNT_DISABLED
	assert_equal "$(psql_owner "SELECT count(*) FROM public.sessions WHERE user_id = '$USER_ID'")" 0
}

@test "a successful login is audited as auth.login success by the user" {
	register "$(new_email login)"
	rid=login-ok-$(fresh_id)
	HTTP_X_REQUEST_ID=$rid login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(psql_owner "SELECT action || ' ' || outcome || ' ' || actor_id || ' ' || ip
	    FROM public.audit_logs WHERE request_id = '$rid'")" "auth.login success $USER_ID 127.0.0.1"
}

@test "a wrong password is audited as auth.login failure by that user" {
	register "$(new_email login)"
	rid=login-bad-$(fresh_id)
	HTTP_X_REQUEST_ID=$rid login "$EMAIL" "wrong horse battery staple 2"
	assert_equal "$status_code" 401
	assert_equal "$(psql_owner "SELECT action || ' ' || outcome || ' ' || actor_id
	    FROM public.audit_logs WHERE request_id = '$rid'")" "auth.login failure $USER_ID"
}

@test "an unknown email is audited as auth.login failure without an actor" {
	rid=login-nobody-$(fresh_id)
	HTTP_X_REQUEST_ID=$rid login "$(new_email nobody)" "wrong horse battery staple 3"
	assert_equal "$status_code" 401
	assert_equal "$(psql_owner "SELECT action || ' ' || outcome || ' ' || coalesce(actor_id::text, 'null')
	    FROM public.audit_logs WHERE request_id = '$rid'")" "auth.login failure null"
}

@test "with REQUIRE_VERIFIED_EMAIL an unverified address answers 403 EMAIL_NOT_VERIFIED, a verified one 200" {
	app_start REQUIRE_VERIFIED_EMAIL=true
	email=$(new_email unverified)
	register "$email"
	assert_equal "$status_code" 202
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" EMAIL_NOT_VERIFIED
	fcgi POST /api/v1/auth/verify-email "$(jq -nc --arg t "$(mail_token "$email")" '{token: $t}')"
	assert_equal "$status_code" 200
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

# --- legacy hashes and timing -------------------------------------------------

# legacy_user HASH_FN: a user inserted directly with a crypt(3) hash of a
# fresh password; sets EMAIL, PASSWORD, USER_ID.
legacy_user() {
	EMAIL=$(new_email legacy)
	PASSWORD=$(new_password)
	local hash
	hash=$("$1" "$PASSWORD")
	[[ $hash == \$* ]] || {
		echo "legacy_user: $1 failed: $hash" >&2
		return 1
	}
	USER_ID=$(psql_owner "INSERT INTO public.users (email, password_hash, full_name)
	    VALUES ($(sql_quote "$EMAIL"), $(sql_quote "$hash"), 'Legacy User') RETURNING id")
}

argon2_current() {
	psql_owner "SELECT password_hash LIKE '\$argon2id\$v=19\$m=19456,t=2,p=1\$%' FROM public.users WHERE id = '$USER_ID'"
}

@test "a legacy bcrypt hash logs in and is re-hashed to Argon2id" {
	argon2_defaults_start
	legacy_user bcrypt
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(argon2_current)" t
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "a legacy sha512crypt hash logs in and is re-hashed to Argon2id" {
	argon2_defaults_start
	legacy_user sha512crypt
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(argon2_current)" t
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
}

@test "a legacy yescrypt hash logs in and is re-hashed to Argon2id" {
	argon2_defaults_start
	legacy_user yescrypt
	login "$EMAIL" "$PASSWORD"
	assert_equal "$status_code" 200
	assert_equal "$(argon2_current)" t
}

@test "a wrong password against a legacy hash answers 401 and keeps the hash" {
	legacy_user bcrypt
	before=$(psql_owner "SELECT password_hash FROM public.users WHERE id = '$USER_ID'")
	login "$EMAIL" "wrong horse battery staple 4"
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" INVALID_CREDENTIALS
	assert_equal "$(psql_owner "SELECT password_hash FROM public.users WHERE id = '$USER_ID'")" "$before"
}

# time_login JSON: the nanoseconds one login takes through cgi-fcgi alone
# (none of fcgi()'s own bookkeeping), checking it answered 401.
time_login() {
	local in=$BATS_TEST_TMPDIR/login.json out=$BATS_TEST_TMPDIR/login.out t0 t1
	printf '%s' "$1" >"$in"
	t0=$(now_ns)
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST REQUEST_URI=/api/v1/auth/login \
	    DOCUMENT_URI=/api/v1/auth/login SCRIPT_NAME=/api/v1/auth/login QUERY_STRING= \
	    SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    REMOTE_PORT=40000 CONTENT_TYPE=application/json CONTENT_LENGTH="$(stat -c %s "$in")" \
	    cgi-fcgi -bind -connect "$FCGI_SOCKET" <"$in" >"$out"
	t1=$(now_ns)
	grep -q '^Status: 401' "$out" || {
		echo "time_login: not a 401: $(head -c 300 "$out")" >&2
		return 1
	}
	echo $((t1 - t0))
}

@test "an unknown email and a wrong password take about as long (medians within 2x)" {
	# At the real cost of a hash, which is what an unknown email must match.
	argon2_defaults_start
	register "$(new_email timing)"
	remember_secret "wrong horse battery staple 5"
	wrong=$(jq -nc --arg e "$EMAIL" '{email: $e, password: "wrong horse battery staple 5"}')
	for i in $(seq 15); do
		unknown=$(jq -nc --arg e "$(new_email nobody)" '{email: $e, password: "wrong horse battery staple 5"}')
		time_login "$unknown" >>"$BATS_TEST_TMPDIR/unknown"
		time_login "$wrong" >>"$BATS_TEST_TMPDIR/wrong"
	done
	mu=$(median "$BATS_TEST_TMPDIR/unknown")
	mw=$(median "$BATS_TEST_TMPDIR/wrong")
	echo "# median ns: unknown email $mu, wrong password $mw" >&3
	awk -v u="$mu" -v w="$mw" 'BEGIN { r = u / w; exit !(r >= 0.5 && r <= 2) }'
}

# --- the OAuth2 password grant ------------------------------------------------

@test "the password grant answers 200 with the same body as login" {
	register "$(new_email grant)"
	token_form "grant_type=password&username=$(urlenc "$EMAIL")&password=$(urlenc "$PASSWORD")"
	assert_equal "$status_code" 200
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
	assert_regex "$(json .access_token)" "$JWT_RE"
	assert_regex "$(json .refresh_token)" '^[A-Za-z0-9_-]{43,}$'
	assert_equal "$(json .token_type)" bearer
	assert_equal "$(json .expires_in)" 900
	assert_equal "$(json .tenant)" null
	assert_regex "$(header Cache-Control)" 'no-store'
	me "$(json .access_token)"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.id)" "$USER_ID"
}

@test "the password grant decodes + as a space and percent escapes" {
	register "$(new_email grant)"
	enc=$(urlenc "$PASSWORD")
	token_form "grant_type=password&username=$(urlenc "$EMAIL")&password=${enc//%20/+}"
	assert_equal "$status_code" 200
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
}

@test "the password grant with X-Tenant-Slug gives a tenant token" {
	register "$(new_email grant)"
	HTTP_X_TENANT_SLUG=$SLUG token_form "grant_type=password&username=$(urlenc "$EMAIL")&password=$(urlenc "$PASSWORD")"
	assert_equal "$status_code" 200
	remember_secret "$(json .access_token)"
	remember_secret "$(json .refresh_token)"
	assert_equal "$(json .tenant.slug)" "$SLUG"
	assert_equal "$(json .tenant.role)" owner
}

@test "wrong credentials on the password grant answer 400 invalid_grant in OAuth2 form" {
	register "$(new_email grant)"
	remember_secret "wrong horse battery staple 6"
	token_form "grant_type=password&username=$(urlenc "$EMAIL")&password=wrong+horse+battery+staple+6"
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" invalid_grant
	assert_equal "$(json '.error_description | type')" string
	token_form "grant_type=password&username=$(urlenc "$(new_email nobody)")&password=wrong+horse+battery+staple+6"
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" invalid_grant
}

@test "another grant type answers 400 unsupported_grant_type" {
	token_form "grant_type=client_credentials&client_id=x&client_secret=y"
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" unsupported_grant_type
}

@test "a password grant without a password answers 400 invalid_request" {
	token_form "grant_type=password&username=$(urlenc "$(new_email grant)")"
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" invalid_request
}

@test "a JSON body on /auth/token answers 415 in the usual envelope" {
	fcgi POST /api/v1/auth/token '{"grant_type":"password","username":"a@example.com","password":"x"}'
	assert_equal "$status_code" 415
	assert_equal "$(json .error.code)" UNSUPPORTED_MEDIA_TYPE
	assert_equal "$(json .error.request_id)" "$(header X-Request-ID)"
}

# --- email verification -----------------------------------------------------------

verify() {
	fcgi POST /api/v1/auth/verify-email "$(jq -nc --arg t "$1" '{token: $t}')"
}

@test "verify-email answers 200, marks the address verified and audits it" {
	email=$(new_email verify)
	register "$email"
	token=$(mail_token "$email")
	verify "$token"
	assert_equal "$status_code" 200
	assert_equal "$(json -c .)" '{"email_verified":true}'
	assert_equal "$(psql_owner "SELECT email_verified_at IS NOT NULL FROM public.users WHERE id = '$USER_ID'")" t
	assert_equal "$(psql_owner "SELECT used_at IS NOT NULL FROM public.email_tokens
	    WHERE token_hash = sha256($(sql_quote "$token")::bytea)")" t
	assert_equal "$(audit_count auth.email_verified "$USER_ID")" 1
}

@test "after verification /auth/me says email_verified true" {
	email=$(new_email verify)
	register "$email"
	verify "$(mail_token "$email")"
	assert_equal "$status_code" 200
	login "$EMAIL" "$PASSWORD"
	me "$ACCESS"
	assert_equal "$status_code" 200
	assert_equal "$(json .user.email_verified)" true
}

@test "a verification token works once: again answers 400 INVALID_TOKEN" {
	email=$(new_email verify)
	register "$email"
	token=$(mail_token "$email")
	verify "$token"
	assert_equal "$status_code" 200
	verify "$token"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(audit_count auth.email_verified "$USER_ID")" 1
}

@test "a garbage or unknown verification token answers 400 INVALID_TOKEN" {
	verify "garbage"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	verify "$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
}

@test "an expired verification token answers 400 INVALID_TOKEN and verifies nothing" {
	email=$(new_email verify)
	register "$email"
	token=$(mail_token "$email")
	psql_owner "UPDATE public.email_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = '$USER_ID'"
	verify "$token"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(psql_owner "SELECT email_verified_at IS NULL FROM public.users WHERE id = '$USER_ID'")" t
}

@test "a password reset token is refused by verify-email" {
	email=$(new_email verify)
	register "$email"
	fcgi POST /api/v1/auth/forgot-password "$(jq -nc --arg e "$email" '{email: $e}')"
	assert_equal "$status_code" 202
	verify "$(mail_token "$email")"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_TOKEN
	assert_equal "$(psql_owner "SELECT email_verified_at IS NULL FROM public.users WHERE id = '$USER_ID'")" t
}

@test "resend-verification answers 202 and queues a new token that verifies" {
	email=$(new_email resend)
	register "$email"
	first=$(mail_token "$email")
	login "$EMAIL" "$PASSWORD"
	as "$ACCESS" POST /api/v1/auth/resend-verification
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE kind = 'send_email'
	    AND payload->>'to' = $(sql_quote "$email")")" 2
	second=$(mail_token "$email")
	assert_not_equal "$second" "$first"
	verify "$second"
	assert_equal "$status_code" 200
}

@test "resend-verification for a verified address answers 409 ALREADY_VERIFIED and queues nothing" {
	email=$(new_email resend)
	register "$email"
	verify "$(mail_token "$email")"
	assert_equal "$status_code" 200
	login "$EMAIL" "$PASSWORD"
	as "$ACCESS" POST /api/v1/auth/resend-verification
	assert_equal "$status_code" 409
	assert_equal "$(json .error.code)" ALREADY_VERIFIED
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE kind = 'send_email'
	    AND payload->>'to' = $(sql_quote "$email")")" 1
}

@test "resend-verification without a token answers 401 UNAUTHENTICATED" {
	fcgi POST /api/v1/auth/resend-verification
	assert_equal "$status_code" 401
	assert_equal "$(json .error.code)" UNAUTHENTICATED
}

@test "/auth/token with a username that is not UTF-8 answers 400 invalid_request" {
	CONTENT_TYPE=application/x-www-form-urlencoded fcgi POST /api/v1/auth/token \
	    'grant_type=password&username=%FFann%40example.com&password=whatever'
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" invalid_request
}
