#!/usr/bin/env bats
# The stack end to end through nginx: the production locations and FastCGI
# parameters (conf/saas-server.nginx, conf/fastcgi_params.saas) in front of
# the pool.

load ../lib/common

@test "GET /healthz through nginx answers 200 {\"status\":\"ok\"}" {
	http GET /healthz
	assert_equal "$status_code" 200
	assert_equal "$body" '{"status":"ok"}'
	assert_equal "$(header Content-Type)" application/json
	header X-Request-ID
}

@test "GET /readyz through nginx answers 200 ready" {
	http GET /readyz
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
}

@test "a 3 MiB body is refused by nginx with 413 in the API's error envelope" {
	big="$BATS_TEST_TMPDIR/big.json"
	head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$big"
	http POST /api/v1/auth/register -H 'Content-Type: application/json' --data-binary "@$big"
	assert_equal "$status_code" 413
	assert_equal "$(json .error.code)" PAYLOAD_TOO_LARGE
	rid=$(header X-Request-ID)
	assert_regex "$rid" '^[A-Za-z0-9._-]{1,64}$'
	assert_equal "$(json .error.request_id)" "$rid"
	assert_equal "$(header X-Content-Type-Options)" nosniff
	assert_equal "$(header Content-Type)" application/json
}

@test "a body a little over MAX_BODY_BYTES (1 MiB) passes nginx and the app answers 413" {
	mid="$BATS_TEST_TMPDIR/mid.json"
	head -c $((1024 * 1024 + 4096)) /dev/zero | tr '\0' 'a' >"$mid"
	http POST /api/v1/auth/forgot-password -H 'Content-Type: application/json' --data-binary "@$mid"
	assert_equal "$status_code" 413
	assert_equal "$(json .error.code)" PAYLOAD_TOO_LARGE
	# The app's answer: its log has the request.
	wait_for 5 grep -qF "\"$(header X-Request-ID)\"" "$STACK_DIR/log/saas-fcgi.log"
}

@test "GET /metrics from 127.0.0.1 reaches the app" {
	http GET /metrics
	assert_equal "$status_code" 200
	assert_regex "$body" '# TYPE '
}

@test "GET /metrics from another address is refused with 403 in the error envelope" {
	# Still loopback, but not 127.0.0.1: nginx's allow/deny sees 127.0.0.2.
	http GET /metrics --interface 127.0.0.2
	assert_equal "$status_code" 403
	assert_equal "$(json .error.code)" FORBIDDEN
	assert_equal "$(json .error.request_id)" "$(header X-Request-ID)"
	http GET /healthz --interface 127.0.0.2
	assert_equal "$status_code" 200
}

@test "Host: acme.localhost reaches the app (tenant from the subdomain)" {
	http GET /healthz -H 'Host: acme.localhost'
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ok
	http GET /api/v1/nope -H 'Host: acme.localhost'
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" NOT_FOUND
	# nginx's map saw the tenant (it logs once the answer is out).
	rid=$(header X-Request-ID)
	wait_for 5 grep -q "rid=$rid tenant=\"acme\"" "$STACK_DIR/log/nginx-access.log"
}

@test "nginx does not announce its version" {
	http GET /healthz
	assert_equal "$(header Server)" nginx
}
