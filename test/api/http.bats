#!/usr/bin/env bats
# The HTTP conventions of API.md, straight against the responder socket.

load ../lib/common

@test "an unknown path answers the 404 envelope with a request id and the security headers" {
	fcgi GET /api/v1/nope
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" NOT_FOUND
	rid=$(header X-Request-ID)
	assert_regex "$rid" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	assert_equal "$(json .error.request_id)" "$rid"
	assert_equal "$(header X-Content-Type-Options)" nosniff
	assert_equal "$(header X-Frame-Options)" DENY
	assert_equal "$(header Referrer-Policy)" no-referrer
	assert_equal "$(header Content-Security-Policy)" "default-src 'none'; frame-ancestors 'none'"
	assert_equal "$(header Strict-Transport-Security)" "max-age=63072000; includeSubDomains"
	assert_equal "$(header Content-Type)" application/json
}

@test "a well-formed incoming X-Request-ID is kept" {
	HTTP_X_REQUEST_ID=client-id_1.2 fcgi GET /healthz
	assert_equal "$(header X-Request-ID)" client-id_1.2
}

@test "a malformed incoming X-Request-ID is replaced" {
	HTTP_X_REQUEST_ID='bad id;<script>' fcgi GET /nope
	[ "$(header X-Request-ID)" != 'bad id;<script>' ]
	assert_equal "$(json .error.request_id)" "$(header X-Request-ID)"
}

@test "a wrong method on a known path answers 405 with Allow" {
	fcgi DELETE /healthz
	assert_equal "$status_code" 405
	assert_equal "$(header Allow)" GET
	assert_equal "$(json .error.code)" METHOD_NOT_ALLOWED
}

@test "GET on a POST route answers 405 with Allow: POST" {
	fcgi GET /api/v1/auth/forgot-password
	assert_equal "$status_code" 405
	assert_equal "$(header Allow)" POST
}

@test "malformed JSON answers 400 INVALID_JSON" {
	fcgi POST /api/v1/auth/forgot-password '{"email": '
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_JSON
}

@test "an empty JSON body answers 400 INVALID_JSON" {
	CONTENT_TYPE=application/json fcgi POST /api/v1/auth/forgot-password ''
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_JSON
}

@test "duplicate keys answer 400 INVALID_JSON" {
	fcgi POST /api/v1/auth/forgot-password '{"email":"a@example.com","email":"b@example.com"}'
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_JSON
}

@test "nesting deeper than MAX_JSON_DEPTH answers 400" {
	deep=$(printf '[%.0s' {1..40})$(printf ']%.0s' {1..40})
	fcgi POST /api/v1/auth/forgot-password "{\"email\":$deep}"
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" INVALID_JSON
}

@test "a JSON route given another content type answers 415" {
	CONTENT_TYPE=text/plain fcgi POST /api/v1/auth/forgot-password '{"email":"a@example.com"}'
	assert_equal "$status_code" 415
	assert_equal "$(json .error.code)" UNSUPPORTED_MEDIA_TYPE
}

@test "application/json with a charset parameter is accepted" {
	CONTENT_TYPE='application/json; charset=utf-8' fcgi POST /api/v1/auth/forgot-password '{"email":"nobody@example.com"}'
	assert_equal "$status_code" 202
}

@test "a 2 MiB body answers 413" {
	head -c 2097152 /dev/zero | tr '\0' ' ' > "$BATS_TEST_TMPDIR/big.json"
	fcgi POST /api/v1/auth/forgot-password "@$BATS_TEST_TMPDIR/big.json"
	assert_equal "$status_code" 413
	assert_equal "$(json .error.code)" PAYLOAD_TOO_LARGE
}

@test "a body declared over the limit is refused before it is read" {
	# Only 10 bytes follow a declared 2 MiB: a server that tried to read the
	# body would meet its end early and answer 400, not 413.
	CONTENT_LENGTH=2097152 fcgi POST /api/v1/auth/forgot-password '{"email":1'
	assert_equal "$status_code" 413
}

@test "a body shorter than its Content-Length answers 400" {
	CONTENT_LENGTH=100 fcgi POST /api/v1/auth/forgot-password '{"email":"a@example.com"}'
	assert_equal "$status_code" 400
	assert_equal "$(json .error.code)" BAD_REQUEST
}

@test "an unknown field answers 422 with details" {
	fcgi POST /api/v1/auth/forgot-password '{"email":"a@example.com","admin":true}'
	assert_equal "$status_code" 422
	assert_equal "$(json .error.code)" VALIDATION_FAILED
	assert_equal "$(json '.error.details[0].field')" admin
	assert_equal "$(json '.error.details[0].issue')" unknown
}

@test "a field of the wrong type answers 422 type" {
	fcgi POST /api/v1/auth/forgot-password '{"email":42}'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].issue')" type
}

@test "a missing required field answers 422 required" {
	fcgi POST /api/v1/auth/forgot-password '{}'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" email
	assert_equal "$(json '.error.details[0].issue')" required
}

@test "an invalid email answers 422 invalid" {
	fcgi POST /api/v1/auth/forgot-password '{"email":"not an email"}'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].issue')" invalid
}

@test "a JSON body that is not an object answers 422" {
	fcgi POST /api/v1/auth/forgot-password '["a@example.com"]'
	assert_equal "$status_code" 422
	assert_equal "$(json '.error.details[0].field')" body
}

@test "/healthz answers ok without the database" {
	fcgi GET /healthz
	assert_equal "$status_code" 200
	assert_equal "$body" '{"status":"ok"}'
}

@test "/readyz answers ready with both checks" {
	fcgi GET /readyz
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
	assert_equal "$(json .checks.database)" ok
	assert_equal "$(json .checks.cache)" ok
}

@test "/metrics counts requests of every worker by route, method and status" {
	metric='saas_http_requests_total{method="GET",route="/healthz",status="200"}'
	fcgi GET /metrics
	before=$(grep -F "$metric" <<<"$body" | awk '{print $2}')
	for i in $(seq 12); do fcgi GET /healthz; done
	fcgi GET /metrics
	assert_equal "$(header Content-Type)" 'text/plain; version=0.0.4; charset=utf-8'
	after=$(grep -F "$metric" <<<"$body" | awk '{print $2}')
	assert_equal "$after" $(( ${before:-0} + 12 ))
	assert_regex "$body" 'saas_http_request_duration_seconds_bucket\{le="\+Inf"\} [0-9]+'
	assert_regex "$body" 'saas_db_errors_total [0-9]+'
	assert_regex "$body" '# TYPE saas_jobs gauge'
}

@test "the OpenAPI document is served as OpenAPI 3.1 JSON" {
	fcgi GET /api/v1/openapi.json
	assert_equal "$status_code" 200
	assert_equal "$(header Content-Type)" application/json
	assert_regex "$(json .openapi)" '^3\.1\.'
	assert_equal "$(json '.paths["/api/v1/auth/forgot-password"].post.responses["202"] != null')" true
}

@test "an allowed origin gets CORS headers" {
	HTTP_ORIGIN=https://app.example.test fcgi GET /healthz
	assert_equal "$(header Access-Control-Allow-Origin)" https://app.example.test
	assert_equal "$(header Vary)" Origin
}

@test "another origin gets no CORS headers" {
	HTTP_ORIGIN=https://evil.example.test fcgi GET /healthz
	assert_equal "$(header Access-Control-Allow-Origin)" ""
}

@test "a preflight answers 204 with the allowed methods" {
	HTTP_ORIGIN=https://app.example.test HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
	    fcgi OPTIONS /api/v1/auth/forgot-password
	assert_equal "$status_code" 204
	assert_equal "$(header Access-Control-Allow-Origin)" https://app.example.test
	assert_regex "$(header Access-Control-Allow-Methods)" 'POST'
	assert_regex "$(header Access-Control-Allow-Headers)" 'Authorization'
}
