#!/usr/bin/env bats
# Restarts without failures, on a pool and an nginx of their own under wrk
# load through nginx: SIGHUP replaces every worker, a new binary is deployed
# as the README says (installed over the old one, then SIGUSR2), and SIGTERM
# drains and exits within SHUTDOWN_TIMEOUT. wrk counts every answer that is
# not 2xx and every socket error (test/lib/faults.bash); a request held in a
# worker while it happens must be answered too.

load ../lib/common
load ../lib/auth
load ../lib/faults

teardown() {
	faults_teardown
}

# Whether master has n workers, none of them among before.
replaced() {
	local master=$1 n=$2 before=$3 now
	now=$(workers_of "$master")
	[[ $(wc -l <<<"$now") -eq $n && -z $(LC_ALL=C comm -12 <(echo "$before") <(echo "$now")) ]]
}

# The inode of the program pid runs.
exe_inode() {
	stat -L -c %i "/proc/$1/exe"
}

# Whether master and all its n workers run the file bin is now.
runs_file() {
	local master=$1 n=$2 bin=$3 want pid count=0
	want=$(stat -c %i "$bin")
	[[ $(exe_inode "$master") == "$want" ]] || return 1
	for pid in $(workers_of "$master"); do
		[[ $(exe_inode "$pid") == "$want" ]] || return 1
		count=$((count + 1))
	done
	((count == n))
}

@test "SIGHUP under load replaces every worker with no failed request" {
	front_start WORKERS=2
	before=$(workers_of "$APP_PID")
	slow_request "$APP_SOCKET" 2 "$BATS_TEST_TMPDIR/slow"
	load_start 3 /api/v1/auth/me
	sleep 0.5
	kill -HUP "$APP_PID"
	wait_for 8 replaced "$APP_PID" 2 "$before"
	load_wait
	assert_load_clean
	# The request a worker held when the signal came was answered.
	wait "$SLOW_PID"
	unset SLOW_PID
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/slow" | tr -d '\r')" "Status: 202 Accepted"
	grep -q 'configuration reloaded' "$STACK_DIR/log/app-$$.log"
}

@test "a new binary deployed as the README says (install, then SIGUSR2) under load: no failed request" {
	# Where the pool's user (RUN_AS_USER) may run it from.
	bin=$(pool_dir)/saas-fcgi
	install -m 0755 "$SAAS_FCGI_BIN" "$bin"
	SAAS_FCGI_BIN=$bin front_start WORKERS=2
	master=$APP_PID
	old=$(exe_inode "$master")
	before=$(workers_of "$master")
	# The deployment: the new binary in place of the old (install unlinks
	# the old file, which the running processes keep), then the signal.
	install -m 0755 "$SAAS_FCGI_BIN" "$bin"
	[ "$(stat -c %i "$bin")" != "$old" ]
	slow_request "$APP_SOCKET" 2 "$BATS_TEST_TMPDIR/slow"
	load_start 3 /api/v1/auth/me
	sleep 0.5
	kill -USR2 "$master"
	wait_for 8 replaced "$master" 2 "$before"
	wait_for 5 runs_file "$master" 2 "$bin"
	load_wait
	assert_load_clean
	wait "$SLOW_PID"
	unset SLOW_PID
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/slow" | tr -d '\r')" "Status: 202 Accepted"
	# The same master, the same socket: nothing for nginx or systemd to notice.
	assert_equal "$APP_PID" "$master"
	grep -q 'pool: upgrade: exec' "$STACK_DIR/log/app-$$.log"
	grep -q 'replacing the 2 workers of the old binary' "$STACK_DIR/log/app-$$.log"
}

@test "a new binary that refuses to start (its --check fails) is not run; the old one keeps serving" {
	# Where the pool's user (RUN_AS_USER) may run it from.
	bin=$(pool_dir)/saas-fcgi
	install -m 0755 "$SAAS_FCGI_BIN" "$bin"
	SAAS_FCGI_BIN=$bin front_start WORKERS=2
	before=$(workers_of "$APP_PID")
	printf '#!/bin/sh\necho "saas-fcgi: JWT_SECRET: must be at least 32 bytes" >&2\nexit 1\n' \
	    >"$bin.new"
	chmod 0755 "$bin.new"
	mv "$bin.new" "$bin"
	load_start 2 /api/v1/auth/me
	sleep 0.2
	kill -USR2 "$APP_PID"
	load_wait
	assert_load_clean
	kill -0 "$APP_PID"
	assert_equal "$(workers_of "$APP_PID")" "$before"
	http GET /api/v1/auth/me -H "Authorization: Bearer $TOKEN"
	assert_equal "$status_code" 200
	grep 'upgrade refused' "$STACK_DIR/log/app-$$.log"
}

@test "SIGTERM: the request a worker holds is answered, then the pool exits at once" {
	front_start WORKERS=2 SHUTDOWN_TIMEOUT=10
	slow_request "$APP_SOCKET" 1.5 "$BATS_TEST_TMPDIR/slow"
	sleep 0.5
	kill -TERM "$APP_PID"
	wait "$SLOW_PID"
	unset SLOW_PID
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/slow" | tr -d '\r')" "Status: 202 Accepted"
	# Drained well before SHUTDOWN_TIMEOUT: gone as soon as the request was.
	wait_for 4 bash -c "! kill -0 $APP_PID 2>/dev/null"
	[ ! -e "$APP_SOCKET" ]
	grep -q 'pool: stopped' "$STACK_DIR/log/app-$$.log"
}

@test "SIGTERM with a request stuck past SHUTDOWN_TIMEOUT: the pool exits on time all the same" {
	app_start WORKERS=1 SHUTDOWN_TIMEOUT=2 STATEMENT_TIMEOUT=0
	lock_table public.sessions
	( close_fds; HTTP_AUTHORIZATION="Bearer $TOKEN" fcgi GET /api/v1/auth/me >/dev/null 2>&1 ) &
	stuck=$!
	wait_for 5 waiting_on_lock
	kill -TERM "$APP_PID"
	# SHUTDOWN_TIMEOUT (2 s) and the master's one-second tick, with room
	# for a busy machine; without the bound it would wait for ever.
	timed wait_for 8 bash -c "! kill -0 $APP_PID 2>/dev/null"
	echo "exited after $ELAPSED_MS ms" >&2
	((ELAPSED_MS >= 1500 && ELAPSED_MS < 5000))
	grep -q 'SHUTDOWN_TIMEOUT passed' "$STACK_DIR/log/app-$$.log"
	wait "$stuck" || true
}
