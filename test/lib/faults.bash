# Helpers for the fault and restart suites (test/e2e/faults.bats,
# test/e2e/restarts.bats): `load ../lib/common`, `load ../lib/auth`, then
# `load ../lib/faults`. Call faults_teardown in every teardown: it ends what
# these started.
#
#   front_start [NAME=VALUE...]   a pool of its own (app_start, with these
#                    settings) and an nginx of its own in front of it
#                    (app_nginx_start): FCGI_SOCKET and BASE_URL point at
#                    them, APP_PID is the master; front_stop ends both
#   workers_of PID   the worker pids of master PID, one a line, sorted as text (for comm)
#   lobby_token      a fresh user's lobby access token in TOKEN, for
#                    GET /api/v1/auth/me: one lobby query, public.sessions first
#   load_start SECONDS PATH [wrk args...]   wrk through $BASE_URL in the
#                    background: 2 threads, 8 connections, TOKEN as bearer
#   load_wait        waits for it; sets LOAD (its status lines, e.g.
#                    "status 200 5012"), LOAD_2XX, LOAD_NON2XX, LOAD_ERRORS
#                    (socket errors and timeouts) and LOAD_CODES (the
#                    statuses seen, sorted, e.g. "200 503")
#   assert_load_clean   at least 100 answers, every one 2xx, no socket error
#   lock_table TABLE    holds ACCESS EXCLUSIVE on TABLE from a session of its
#                    own (statements on it wait) until unlock
#   unlock           ends that session, and with it the lock
#   waiting_on_lock  whether some statement waits for a lock
#   psql_super SQL   SQL as the cluster's superuser (sees every session)
#   app_backends     the backend pids of the application's connections, sorted as text
#   slow_request SOCKET SECONDS OUT   POST /api/v1/auth/forgot-password
#                    straight to the pool at SOCKET, its body arriving over
#                    SECONDS, so a worker holds it that long; the answer goes
#                    to OUT; SLOW_PID is the client
#   timed CMD...     runs CMD, ELAPSED_MS its duration in milliseconds
#
# It also gives the suite its setup_file (one lobby user's TOKEN for every
# test) and HTTP_TIMEOUT=10: a request that hangs fails its test in
# seconds, not in curl's default 30.

WRK_SCRIPT=$REPO/test/lib/wrk_status.lua
export HTTP_TIMEOUT=10

setup_file() {
	lobby_token
	export TOKEN
}

front_start() {
	app_start "$@"
	app_nginx_start
}

front_stop() {
	app_stop
}

workers_of() {
	pgrep -P "$1" | LC_ALL=C sort
}

lobby_token() {
	new_user
	TOKEN=$ACCESS
}

load_start() {
	local secs=$1 path=$2
	shift 2
	LOAD_OUT=$BATS_TEST_TMPDIR/wrk.out
	(
		close_fds
		exec wrk -t 2 -c 8 -d "${secs}s" --timeout 10s -s "$WRK_SCRIPT" \
			-H "Authorization: Bearer ${TOKEN:-}" "$@" "$BASE_URL$path" >"$LOAD_OUT" 2>&1
	) &
	LOAD_PID=$!
}

load_wait() {
	wait "$LOAD_PID" || true
	unset LOAD_PID
	LOAD=$(grep -E '^(status|errors) ' "$LOAD_OUT" || true)
	echo "wrk: $(tr '\n' ' ' <<<"$LOAD")" >&2
	LOAD_2XX=$(awk '$1 == "status" && $2 ~ /^2/ { n += $3 } END { print n + 0 }' <<<"$LOAD")
	LOAD_NON2XX=$(awk '$1 == "status" && $2 !~ /^2/ { n += $3 } END { print n + 0 }' <<<"$LOAD")
	LOAD_ERRORS=$(awk '$1 == "errors" { print $3 + $5 + $7 + $9 }' <<<"$LOAD")
	LOAD_CODES=$(awk '$1 == "status" { print $2 }' <<<"$LOAD" | sort -n | tr '\n' ' ')
	LOAD_CODES=${LOAD_CODES% }
	[[ -n $LOAD_ERRORS ]] || {
		echo "load_wait: wrk printed no summary:" >&2
		cat "$LOAD_OUT" >&2
		return 1
	}
}

assert_load_clean() {
	((LOAD_2XX + LOAD_NON2XX >= 100)) || {
		echo "only $((LOAD_2XX + LOAD_NON2XX)) answers: the load did not run" >&2
		return 1
	}
	assert_equal "$LOAD_NON2XX non-2xx, $LOAD_ERRORS socket errors" "0 non-2xx, 0 socket errors"
}

lock_table() {
	(
		close_fds
		exec env PGAPPNAME=faults-lock psql "$DATABASE_OWNER_URL" -XAtq \
			-c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120)" >/dev/null 2>&1
	) &
	LOCK_PID=$!
	wait_for 10 lock_granted
}

lock_granted() {
	[[ $(psql_super "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	    WHERE a.application_name = 'faults-lock' AND l.mode = 'AccessExclusiveLock'
	    AND l.granted AND l.locktype = 'relation'") -ge 1 ]]
}

unlock() {
	[[ -n ${LOCK_PID:-} ]] || return 0
	psql_super "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'faults-lock'" >/dev/null || true
	wait "$LOCK_PID" 2>/dev/null || true
	unset LOCK_PID
}

waiting_on_lock() {
	[[ $(psql_super "SELECT count(*) FROM pg_locks WHERE NOT granted") -ge 1 ]]
}

psql_super() {
	psql "postgresql:///saas?host=$PGHOST&port=$PGPORT&user=postgres" -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

app_backends() {
	# Sorted as comm(1) wants them, as text.
	psql_super "SELECT pid FROM pg_stat_activity WHERE application_name = 'saas-fcgi'" | LC_ALL=C sort
}

slow_request() {
	local sock=$1 secs=$2 out=$3 email body
	email="slow-$RANDOM@example.com"
	body="{\"email\":\"$email\"}"
	(
		close_fds
		(printf '{"email":'; sleep "$secs"; printf '"%s"}' "$email") |
			exec env -i REQUEST_METHOD=POST REQUEST_URI=/api/v1/auth/forgot-password \
				CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} REMOTE_ADDR=127.0.0.1 \
				cgi-fcgi -bind -connect "$sock" >"$out" 2>&1
	) &
	SLOW_PID=$!
}

timed() {
	local t0 rc=0
	t0=$(date +%s%N)
	"$@" || rc=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	return "$rc"
}

faults_teardown() {
	[[ -z ${LOAD_PID:-} ]] || { kill -TERM "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null || true; }
	[[ -z ${SLOW_PID:-} ]] || { kill -TERM "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null || true; }
	unlock
	front_stop
}
