#!/usr/bin/env bats
# Apache httpd with mod_proxy_fcgi (conf/apache.conf, as it is) in front of
# the stack's pool: the other supported web server.

load ../lib/common

setup_file() {
	export APACHE_DIR APACHE_PORT APACHE_URL
	APACHE_DIR=$(mktemp -d /tmp/saas-apache.XXXXXX)
	chmod 0711 "$APACHE_DIR"
	APACHE_PORT=$(free_port)
	APACHE_URL=http://127.0.0.1:$APACHE_PORT
	# conf/apache.conf takes its paths and port from the environment when
	# started with -D SAAS_FROM_ENV. Started as root, serving as www-data,
	# which the socket's group (www-data) lets connect to the pool.
	(
		close_fds
		SAAS_APACHE_DIR=$APACHE_DIR SAAS_APACHE_PORT=$APACHE_PORT \
			SAAS_FCGI_SOCKET=$FCGI_SOCKET \
			exec apache2 -f "$REPO/conf/apache.conf" -D SAAS_FROM_ENV -k start
	)
	wait_for 15 curl -fsS -o /dev/null -m 2 "$APACHE_URL/healthz" || {
		cat "$APACHE_DIR/error.log" >&2
		teardown_file
		return 1
	}
}

teardown_file() {
	local pid
	if [[ -s $APACHE_DIR/apache.pid ]]; then
		pid=$(<"$APACHE_DIR/apache.pid")
		kill -TERM "$pid" 2>/dev/null || true
		wait_for 15 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$APACHE_DIR"
}

@test "apache: GET /healthz answers 200 {\"status\":\"ok\"}" {
	http GET "$APACHE_URL/healthz"
	assert_equal "$status_code" 200
	assert_equal "$body" '{"status":"ok"}'
}

@test "apache: GET /readyz answers 200 ready" {
	http GET "$APACHE_URL/readyz"
	assert_equal "$status_code" 200
	assert_equal "$(json .status)" ready
}

@test "apache: GET /metrics from 127.0.0.1 answers Prometheus text" {
	http GET "$APACHE_URL/metrics"
	assert_equal "$status_code" 200
	assert_regex "$body" '# TYPE '
}

@test "apache: an unknown path answers 404 NOT_FOUND with a request id and nosniff" {
	http GET "$APACHE_URL/api/v1/nope"
	assert_equal "$status_code" 404
	assert_equal "$(json .error.code)" NOT_FOUND
	rid=$(header X-Request-ID)
	assert_equal "$(json .error.request_id)" "$rid"
	assert_equal "$(header X-Content-Type-Options)" nosniff
}

@test "apache: an incoming X-Request-ID is kept" {
	http GET "$APACHE_URL/healthz" -H 'X-Request-ID: apache-test-1'
	assert_equal "$status_code" 200
	assert_equal "$(header X-Request-ID)" apache-test-1
}

@test "apache: Host: acme.example.com reaches the app with TENANT_SLUG=acme" {
	http GET "$APACHE_URL/healthz" -H 'Host: acme.example.com'
	assert_equal "$status_code" 200
	rid=$(header X-Request-ID)
	# Apache logs once the answer is out: give it a moment.
	wait_for 5 grep -q "rid=$rid tenant=acme\$" "$APACHE_DIR/access.log"
}
