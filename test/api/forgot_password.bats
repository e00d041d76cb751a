#!/usr/bin/env bats
# POST /auth/forgot-password: 202 always; for a known address a reset token,
# a queued email and an audit entry, all in one transaction.

load ../lib/common

setup() {
	email="reset-$RANDOM$RANDOM@example.com"
	uid=$(psql_owner "INSERT INTO public.users (email, password_hash, full_name)
	    VALUES ('$email', '\$argon2id\$v=19\$m=19456,t=2,p=1\$c2FsdHNhbHQ\$aGFzaGhhc2g', 'Reset Tester') RETURNING id")
}

teardown() {
	psql_owner "DELETE FROM public.jobs WHERE created_by = '$uid';
	    DELETE FROM public.users WHERE id = '$uid'" >/dev/null
}

@test "an unknown address answers 202 and stores nothing" {
	before=$(psql_owner "SELECT count(*) FROM public.email_tokens")
	fcgi POST /api/v1/auth/forgot-password '{"email":"nobody-'$RANDOM'@example.com"}'
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens")" "$before"
}

@test "a known address answers 202 and queues a reset email carrying the token" {
	upper=$(tr a-z A-Z <<<"$email")
	fcgi POST /api/v1/auth/forgot-password "{\"email\":\"$upper\"}"
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens WHERE user_id = '$uid' AND kind = 'reset_password' AND expires_at > now() + interval '59 minutes'")" 1
	text=$(psql_owner "SELECT payload->>'text' FROM public.jobs WHERE created_by = '$uid' AND kind = 'send_email'")
	assert_equal "$(psql_owner "SELECT payload->>'to' FROM public.jobs WHERE created_by = '$uid'")" "$email"
	token=$(sed -n 's/^Token: //p' <<<"$text")
	assert_regex "$token" '^[A-Za-z0-9_-]{43}$'
	assert_regex "$text" "/reset-password\\?token=$token"
	# Only the token's hash is stored.
	assert_equal "$(psql_owner "SELECT token_hash = sha256('$token'::bytea) FROM public.email_tokens WHERE user_id = '$uid'")" t
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens WHERE token_hash::text LIKE '%$token%'")" 0
}

@test "a reset request is audited with the request id and address" {
	HTTP_X_REQUEST_ID=forgot-audit-$RANDOM fcgi POST /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	rid=$(header X-Request-ID)
	assert_equal "$(psql_owner "SELECT action || ' ' || outcome || ' ' || ip FROM public.audit_logs WHERE request_id = '$rid' AND actor_id = '$uid'")" \
	    "auth.password_reset_requested success 127.0.0.1"
}

@test "a disabled account gets no reset email" {
	psql_owner "UPDATE public.users SET is_active = false WHERE id = '$uid'" >/dev/null
	fcgi POST /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT count(*) FROM public.jobs WHERE created_by = '$uid'")" 0
}
