#!/usr/bin/env bats
# The prefork pool: a dead worker is replaced, SIGHUP replaces every worker,
# SIGTERM lets a request in flight finish, and a database that goes away and
# comes back costs 503s meanwhile but no restart.

load ../lib/common

SAAS_FCGI=${SAAS_FCGI:-$REPO/${BUILD:-build}/saas-fcgi}

# A pool a test started for itself never outlives the test.
teardown() {
	if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
	fi
}

master() { cat "$STACK_DIR/run/saas-fcgi.pid"; }
workers() { pgrep -P "$(master)" | sort; }

children_of_are() { [ "$(pgrep -P "$1" | wc -l)" -eq "$2" ]; }
worker_count_is() { [ "$(workers | wc -l)" -eq "$1" ]; }

@test "a worker killed with SIGKILL is replaced and requests keep succeeding" {
	before=$(workers)
	n=$(wc -l <<<"$before")
	victim=$(head -1 <<<"$before")
	kill -9 "$victim"
	for i in $(seq 20); do
		fcgi GET /healthz
		assert_equal "$status_code" 200
	done
	wait_for 5 worker_count_is "$n"
	run grep -qx "$victim" <<<"$(workers)"
	assert_failure
	grep -q "worker $victim killed by signal 9" "$STACK_DIR/log/saas-fcgi.log"
}

@test "SIGHUP replaces every worker one at a time and requests keep succeeding" {
	before=$(workers)
	n=$(wc -l <<<"$before")
	kill -HUP "$(master)"
	replaced() {
		local now; now=$(workers)
		[ "$(wc -l <<<"$now")" -eq "$n" ] && [ -z "$(comm -12 <(echo "$before") <(echo "$now"))" ]
	}
	deadline=$((SECONDS + 15))
	until replaced; do
		fcgi GET /healthz
		assert_equal "$status_code" 200
		((SECONDS < deadline))
	done
	grep -q 'configuration reloaded' "$STACK_DIR/log/saas-fcgi.log"
}

@test "SIGHUP with a bad configuration keeps the running one" {
	dir=$(pool_dir)
	conf="$dir/saas.conf"
	sock="$dir/hup.sock"
	echo 'WORKERS=2' > "$conf"
	# The file decides WORKERS here, not the suite's environment.
	env -u WORKERS "$SAAS_FCGI" --listen "unix:$sock" --config "$conf" 2>"$BATS_TEST_TMPDIR/log" 3>&- &
	pid=$!
	wait_for 5 test -S "$sock"
	wait_for 5 children_of_are "$pid" 2
	before=$(pgrep -P "$pid" | sort)
	echo 'WORKERS=many' > "$conf"
	kill -HUP "$pid"
	wait_for 5 grep -q 'reload refused.*WORKERS' "$BATS_TEST_TMPDIR/log"
	FCGI_SOCKET=$sock fcgi GET /healthz
	assert_equal "$status_code" 200
	assert_equal "$(pgrep -P "$pid" | sort)" "$before"
	kill -TERM "$pid"
	wait "$pid"
}

@test "SIGTERM lets a request in flight finish, then the pool exits" {
	sock="$(pool_dir)/drain.sock"
	"$SAAS_FCGI" --listen "unix:$sock" --workers 2 2>"$BATS_TEST_TMPDIR/log" 3>&- &
	pid=$!
	wait_for 5 test -S "$sock"
	email="nobody-$RANDOM@example.com"
	body="{\"email\":\"$email\"}"
	# The body arrives over two seconds, so the request is in a worker's hands
	# when SIGTERM comes.
	( (printf '{"email":'; sleep 2; printf '"%s"}' "$email") |
	    env -i REQUEST_METHOD=POST REQUEST_URI=/api/v1/auth/forgot-password \
	    CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 \
	    cgi-fcgi -bind -connect "$sock" > "$BATS_TEST_TMPDIR/out" ) 3>&- &
	client=$!
	sleep 0.7
	kill -TERM "$pid"
	wait "$client"
	run head -1 "$BATS_TEST_TMPDIR/out"
	assert_output --partial "Status: 202"
	wait "$pid"
	assert_equal "$?" 0
	[ ! -e "$sock" ]
	grep -q 'pool: stopped' "$BATS_TEST_TMPDIR/log"
}

@test "SIGTERM with nothing in flight exits at once" {
	sock="$(pool_dir)/idle.sock"
	"$SAAS_FCGI" --listen "unix:$sock" --workers 3 2>/dev/null 3>&- &
	pid=$!
	wait_for 5 test -S "$sock"
	kill -TERM "$pid"
	wait_for 3 bash -c "! kill -0 $pid 2>/dev/null"
}

@test "a bad configuration value stops the program with one line naming the key" {
	run env JWT_SECRET=short "$SAAS_FCGI" --listen "unix:$BATS_TEST_TMPDIR/x.sock"
	assert_failure
	assert_output "saas-fcgi: JWT_SECRET: must be at least 32 bytes"
	run env WORKERS=0 "$SAAS_FCGI" --listen "unix:$BATS_TEST_TMPDIR/x.sock"
	assert_failure
	assert_output --partial "WORKERS"
}

@test "PostgreSQL stopped answers 503, and started again is used without restarting the pool" {
	pool=$(master)
	"$REPO/scripts/stack" pg-stop
	fcgi GET /readyz
	assert_equal "$status_code" 503
	assert_equal "$(json .checks.database)" failed
	assert_equal "$(header Retry-After)" 5
	fcgi POST /api/v1/auth/forgot-password '{"email":"nobody@example.com"}'
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
	refute_regex "$body" 'postgres|socket|PGSQL'
	fcgi GET /healthz
	assert_equal "$status_code" 200
	"$REPO/scripts/stack" pg-start 3>&-	# the server must not hold bats' output open
	# Every worker reconnects on its own next request.
	for i in $(seq 12); do
		fcgi GET /readyz
		assert_equal "$status_code" 200
		fcgi POST /api/v1/auth/forgot-password '{"email":"nobody@example.com"}'
		assert_equal "$status_code" 202
	done
	assert_equal "$(master)" "$pool"
}
