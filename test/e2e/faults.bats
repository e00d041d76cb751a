#!/usr/bin/env bats
# Faults under way, through nginx: PostgreSQL restarted under load,
# memcached killed, stopped and restarted, a worker killed in the middle of
# a request, a statement that outlives STATEMENT_TIMEOUT, the disk under a
# table full, and a client that sends its body slowly. Each scenario names what may fail, how, and that
# nothing fails once the fault is over. The load is wrk (test/lib/faults.bash
# counts every answer by status); requests that must wait are held with a
# table lock taken from psql, so no test-only endpoint exists.

load ../lib/common
load ../lib/auth
load ../lib/faults

teardown() {
	[[ -z ${slow:-} ]] || exec {slow}<&-
	faults_teardown
	disk_free
	[[ -z ${MC_PID:-} ]] || { kill -KILL "$MC_PID" 2>/dev/null; wait "$MC_PID" 2>/dev/null || true; }
	# The stack's PostgreSQL is everybody's: never leave it stopped.
	"$REPO/scripts/stack" pg-start >/dev/null 3>&-
}

me_ok() {
	http GET /api/v1/auth/me -H "Authorization: Bearer $TOKEN" && [[ $status_code == 200 ]]
}

# disk_small TABLE: TABLE moved to a tablespace of its own on a tmpfs of
# 1 MiB (DISK, a mount point under STACK_DIR), where it soon cannot grow;
# disk_free moves it back and takes the tablespace and the tmpfs away.
disk_small() {
	DISK=$STACK_DIR/disk-$$ DISK_TABLE=$1
	mkdir -p "$DISK"
	mount -t tmpfs -o "size=1m,mode=0700,uid=$(id -u postgres),gid=$(id -g postgres)" \
	    saas-test-disk "$DISK" || skip "no tmpfs can be mounted here"
	psql_super "CREATE TABLESPACE saas_test_disk LOCATION '$DISK'"
	psql_super "ALTER TABLE $DISK_TABLE SET TABLESPACE saas_test_disk"
}

disk_free() {
	[[ -n ${DISK:-} ]] || return 0
	psql_super "ALTER TABLE $DISK_TABLE SET TABLESPACE pg_default" || true
	psql_super "DROP TABLESPACE IF EXISTS saas_test_disk" || true
	! mountpoint -q "$DISK" || umount "$DISK"
	rmdir "$DISK"
	unset DISK
}

@test "PostgreSQL restarted while the workers are idle: not one request fails afterwards" {
	# Every worker of the stack's pool holds a connection, idle.
	load_start 1 /api/v1/auth/me
	load_wait
	[ "$(app_backends | wc -l)" -ge "$WORKERS" ]
	"$REPO/scripts/stack" pg-stop >/dev/null
	"$REPO/scripts/stack" pg-start >/dev/null 3>&-
	# Each worker finds its connection closed before using it, and reconnects.
	load_start 2 /api/v1/auth/me
	load_wait
	assert_load_clean
}

@test "PostgreSQL restarted under load: only 503s while it is away, none once it is back" {
	load_start 3 /api/v1/auth/me
	sleep 0.7
	"$REPO/scripts/stack" pg-stop >/dev/null
	http GET /api/v1/auth/me -H "Authorization: Bearer $TOKEN"
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
	assert_equal "$(header Retry-After)" 5
	refute_regex "$body" 'postgres|socket|PGSQL'
	sleep 0.5
	"$REPO/scripts/stack" pg-start >/dev/null 3>&-
	load_wait
	# The requests the restart met answered 503; nothing else failed.
	assert_equal "$LOAD_CODES" "200 503"
	assert_equal "$LOAD_ERRORS" 0
	# Back: every worker reconnected on its own, not one answer fails.
	load_start 2 /api/v1/auth/me
	load_wait
	assert_load_clean
}

@test "memcached stopped, killed and restarted: requests keep succeeding, /readyz says so and recovers" {
	mc_port=$(free_port)
	mc_start() {
		( close_fds; exec memcached -l 127.0.0.1 -p "$mc_port" -U 0 -u memcache ) &
		MC_PID=$!
		wait_for 5 bash -c "ss -Htln 'sport = :$mc_port' | grep -q ."
	}
	mc_start
	front_start WORKERS=2 MEMCACHED_SERVERS="127.0.0.1:$mc_port"
	http GET /readyz
	assert_equal "$status_code" 200
	load_start 3 /api/v1/auth/me
	sleep 0.5
	# A memcached that hangs costs a round trip its timeout, not the request.
	kill -STOP "$MC_PID"
	timed http GET /readyz
	assert_equal "$status_code" 503
	assert_equal "$(json .checks.cache)" failed
	assert_equal "$(json .checks.database)" ok
	# POLL_TIMEOUT is 200 ms; libmemcached's default would be 5 s.
	echo "/readyz took $ELAPSED_MS ms" >&2
	((ELAPSED_MS < 4000))
	kill -KILL "$MC_PID"
	wait "$MC_PID" 2>/dev/null || true
	http GET /readyz
	assert_equal "$status_code" 503
	assert_equal "$(json .checks.cache)" failed
	sleep 0.5
	mc_start
	# Every worker finds it again within its retry timeout, no restart.
	ready_everywhere() {
		local i
		for i in 1 2 3 4 5 6; do
			http GET /readyz && [[ $status_code == 200 ]] || return 1
		done
	}
	wait_for 10 ready_everywhere
	load_wait
	assert_load_clean
}

@test "a worker killed in the middle of a request: that client gets 502 from nginx, the next request works" {
	front_start WORKERS=1
	me_ok
	worker=$(workers_of "$APP_PID")
	lock_table public.sessions
	( close_fds; exec curl -sS -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/head" \
	    -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/v1/auth/me" \
	    >"$BATS_TEST_TMPDIR/code" ) &
	client=$!
	wait_for 5 waiting_on_lock
	kill -KILL "$worker"
	wait "$client"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/code")" 502
	body=$(cat "$BATS_TEST_TMPDIR/body")
	assert_equal "$(json .error.code)" BAD_GATEWAY
	headers=$(tr -d '\r' <"$BATS_TEST_TMPDIR/head")
	assert_equal "$(json .error.request_id)" "$(header X-Request-ID)"
	unlock
	# The master replaced it; the very next request is served.
	me_ok
	[ "$(workers_of "$APP_PID")" != "$worker" ]
	grep -q "worker $worker killed by signal 9" "$STACK_DIR/log/app-$$.log"
}

@test "a statement past STATEMENT_TIMEOUT answers 503, and the worker's connection serves the next request" {
	before=$(app_backends)
	front_start WORKERS=1 STATEMENT_TIMEOUT=300
	me_ok
	mine=$(LC_ALL=C comm -13 <(echo "$before") <(app_backends))
	assert_equal "$(wc -w <<<"$mine")" 1
	lock_table public.users
	# A single statement, then a whole transaction in a pipeline (db_tx).
	timed http GET /api/v1/auth/me -H "Authorization: Bearer $TOKEN"
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
	assert_equal "$(header Retry-After)" 5
	echo "answered after $ELAPSED_MS ms" >&2
	((ELAPSED_MS >= 300 && ELAPSED_MS < 5000))
	post_json /api/v1/auth/forgot-password '{"email":"nobody@example.com"}'
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
	unlock
	me_ok
	post_json /api/v1/auth/forgot-password '{"email":"nobody@example.com"}'
	assert_equal "$status_code" 202
	# The same backend: the timeout cost the statement, not the connection.
	assert_equal "$(LC_ALL=C comm -13 <(echo "$before") <(app_backends))" "$mine"
	[ "$(grep -c 'database error 57014' "$STACK_DIR/log/app-$$.log")" -eq 2 ]
}

@test "the disk under a table full answers 503, and the worker's connection serves the next request once there is room" {
	# POST /auth/forgot-password for a known address adds a row to
	# public.email_tokens; the table moves to a disk of 1 MiB.
	new_user
	user_id=$(psql_owner "SELECT id FROM public.users WHERE email = '$EMAIL'")
	disk_small public.email_tokens
	before=$(app_backends)
	front_start WORKERS=1
	me_ok
	mine=$(LC_ALL=C comm -13 <(echo "$before") <(app_backends))
	assert_equal "$(wc -w <<<"$mine")" 1
	# Rows the size of the request's fill the disk, so the request's row
	# fits on no page and the table cannot grow.
	run psql_super "INSERT INTO public.email_tokens (user_id, kind, token_hash, expires_at)
	    SELECT '$user_id', 'reset_password', sha256(i::text::bytea), now()
	    FROM generate_series(1, 1000000) i"
	assert_failure
	assert_output --partial 'No space left on device'
	post_json /api/v1/auth/forgot-password "{\"email\":\"$EMAIL\"}"
	assert_equal "$status_code" 503
	assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
	assert_equal "$(header Retry-After)" 5
	refute_regex "$body" 'space|extend|pg_tblspc|53100'
	# Room again: the table back on the stack's disk.
	psql_super "ALTER TABLE public.email_tokens SET TABLESPACE pg_default"
	post_json /api/v1/auth/forgot-password "{\"email\":\"$EMAIL\"}"
	assert_equal "$status_code" 202
	assert_equal "$(psql_owner "SELECT count(*) FROM public.email_tokens
	    WHERE user_id = '$user_id' AND kind = 'reset_password'")" 1
	# The same backend: the full disk cost the transaction, not the connection.
	assert_equal "$(LC_ALL=C comm -13 <(echo "$before") <(app_backends))" "$mine"
	[ "$(grep -c 'database error 53100' "$STACK_DIR/log/app-$$.log")" -eq 1 ]
}

@test "a client sending its body slowly holds nginx, not the only worker" {
	front_start WORKERS=1
	port=${BASE_URL##*:}
	email="slow-$RANDOM@example.com"
	payload="{\"email\":\"$email\"}"
	exec {slow}<>"/dev/tcp/127.0.0.1/$port"
	printf 'POST /api/v1/auth/forgot-password HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	    "${#payload}" "${payload:0:10}" >&"$slow"
	sleep 0.5
	# Half a body in nginx's hands; the worker is free for others. (Were the
	# worker reading that body, these would wait for the rest of it, which
	# comes only after them: they would time out.)
	for _ in 1 2 3; do
		http GET /api/v1/auth/me -H "Authorization: Bearer $TOKEN" --max-time 5
		assert_equal "$status_code" 200
	done
	printf '%s' "${payload:10}" >&"$slow"
	answer=$(timeout 5 cat <&"$slow")
	exec {slow}<&-
	unset slow
	assert_regex "$(head -1 <<<"$answer")" '^HTTP/1.1 202 '
}
