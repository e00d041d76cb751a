#!/usr/bin/env bats
# Privileges and the socket: started as root the pool serves as RUN_AS_USER;
# its socket is a unix socket of mode 0660 in the web server's group, never
# a TCP port on every address; nginx passes no client "Proxy:" header as
# HTTP_PROXY and never replays a request on another upstream server.

load ../lib/common

SAAS_FCGI=${SAAS_FCGI:-$REPO/${BUILD:-build}/saas-fcgi}
FCGI_ECHO=$REPO/${BUILD:-build}/test/fcgi_echo

teardown() {
	local p
	for p in ${STARTED:-}; do kill -TERM "$p" 2>/dev/null || true; done
	if [[ -n ${ECHO_NGINX_DIR:-} && -s $ECHO_NGINX_DIR/nginx.pid ]]; then
		kill -QUIT "$(cat "$ECHO_NGINX_DIR/nginx.pid")" 2>/dev/null || true
	fi
}

# ids PID Uid|Gid: the real, effective, saved and filesystem user ids of a process.
ids() {
	awk -v what="$2:" '$1 == what { print $2, $3, $4, $5 }' "/proc/$1/status"
}

@test "the pool and every worker serve as RUN_AS_USER, never as root" {
	local master uid gid pid n=0
	master=$(cat "$STACK_DIR/run/saas-fcgi.pid")
	uid=$(id -u "$RUN_AS_USER")
	gid=$(id -g "$RUN_AS_USER")
	((uid != 0))
	for pid in "$master" $(pgrep -P "$master"); do
		assert_equal "$(ids "$pid" Uid)" "$uid $uid $uid $uid"
		assert_equal "$(ids "$pid" Gid)" "$gid $gid $gid $gid"
		! awk '$1 == "Groups:"' "/proc/$pid/status" | grep -qw 0
		((n += 1))
	done
	((n >= 2)) || fail "found $n processes"
}

@test "the socket is 0660 in the web server's group: nginx's user connects, others do not" {
	assert_equal "$(stat -c '%a %G' "$FCGI_SOCKET")" "660 www-data"
	local params=(REQUEST_METHOD=GET REQUEST_URI=/healthz REMOTE_ADDR=127.0.0.1)
	runuser -u www-data -- env -i "${params[@]}" cgi-fcgi -bind -connect "$FCGI_SOCKET" \
		</dev/null >"$BATS_TEST_TMPDIR/web" 2>&1
	grep -q '"status":"ok"' "$BATS_TEST_TMPDIR/web"
	run runuser -u nobody -- env -i "${params[@]}" cgi-fcgi -bind -connect "$FCGI_SOCKET" </dev/null
	refute_output --partial '"status":"ok"'
	# Not even the pool's own user, who is not in the web server's group.
	run runuser -u "$RUN_AS_USER" -- env -i "${params[@]}" cgi-fcgi -bind -connect "$FCGI_SOCKET" </dev/null
	refute_output --partial '"status":"ok"'
}

@test "started as root, the pool will not serve without RUN_AS_USER, as root, or as nobody known" {
	local dir
	dir=$(pool_dir)
	run timeout 10 env RUN_AS_USER= "$SAAS_FCGI" --listen "unix:$dir/a.sock"
	assert_equal "$status" 1
	assert_output --partial "started as root: set RUN_AS_USER"
	[[ ! -e $dir/a.sock ]]
	run timeout 10 env RUN_AS_USER=root "$SAAS_FCGI" --listen "unix:$dir/b.sock"
	assert_equal "$status" 1
	assert_output "saas-fcgi: RUN_AS_USER: must not be root"
	run timeout 10 env RUN_AS_USER=no-such-user-here "$SAAS_FCGI" --listen "unix:$dir/c.sock"
	assert_equal "$status" 1
	assert_output "saas-fcgi: RUN_AS_USER: no such user"
}

@test "the pool will not listen on every address, only on one it is given" {
	local port addr
	port=$(free_port)
	for addr in "0.0.0.0:$port" "*:$port" "[::]:$port"; do
		run timeout 10 "$SAAS_FCGI" --listen "$addr"
		assert_equal "$status" 1
		assert_output --partial "not on every address"
	done
	run timeout 10 "$SAAS_FCGI" --listen ":$port"
	assert_equal "$status" 1
	assert_output --partial "give unix:PATH or HOST:PORT"
	"$SAAS_FCGI" --listen "127.0.0.1:$port" --workers 1 </dev/null >/dev/null 2>&1 3>&- &
	STARTED=$!
	wait_for 10 bash -c "ss -Hltn 'sport = :$port' | grep -q '127.0.0.1:$port'"
	! ss -Hltn "sport = :$port" | grep -qE '(\*|0\.0\.0\.0|\[::\]):'"$port"
	env -i REQUEST_METHOD=GET REQUEST_URI=/healthz REMOTE_ADDR=127.0.0.1 \
		cgi-fcgi -bind -connect "127.0.0.1:$port" </dev/null >"$BATS_TEST_TMPDIR/out"
	grep -q '"status":"ok"' "$BATS_TEST_TMPDIR/out"
}

# echo_start NAME [--drop]: a fcgi_echo on $ECHO_DIR/NAME.sock logging to NAME.log.
echo_start() {
	local name=$1
	shift
	ECHO_DIR=${ECHO_DIR:-$(pool_dir)}
	(
		close_fds
		exec "$FCGI_ECHO" --listen "$ECHO_DIR/$name.sock" --log "$ECHO_DIR/$name.log" "$@" \
			</dev/null >/dev/null 2>&1
	) &
	STARTED="${STARTED:-} $!"
	wait_for 10 test -S "$ECHO_DIR/$name.sock"
	touch "$ECHO_DIR/$name.log"
}

# echo_nginx SOCKET...: an nginx of the stack's own configuration (conf/)
# whose upstream is these sockets; BASE_URL points at it.
echo_nginx() {
	local port servers='' s
	port=$(free_port)
	for s in "$@"; do servers+="server unix:$s; "; done
	ECHO_NGINX_DIR=$STACK_DIR/nginx-echo-$$
	mkdir -p "$ECHO_NGINX_DIR/tmp"
	chmod 0711 "$ECHO_NGINX_DIR"
	ln -sfn "$REPO/conf" "$ECHO_NGINX_DIR/saas"
	sed -e "s|server unix:$FCGI_SOCKET;|$servers|" \
		-e "s|listen 127.0.0.1:$HTTP_PORT |listen 127.0.0.1:$port |" \
		-e "s|$STACK_DIR/run/nginx.pid|$ECHO_NGINX_DIR/nginx.pid|" \
		-e "s|$STACK_DIR/nginx/tmp|$ECHO_NGINX_DIR/tmp|g" \
		-e "s|nginx-access.log|nginx-echo-access.log|; s|nginx-error.log|nginx-echo-error.log|" \
		"$STACK_DIR/nginx/nginx.conf" >"$ECHO_NGINX_DIR/nginx.conf"
	grep -q "server unix:$1;" "$ECHO_NGINX_DIR/nginx.conf"
	(close_fds; exec nginx -p "$ECHO_NGINX_DIR/" -c "$ECHO_NGINX_DIR/nginx.conf" \
		-e "$STACK_DIR/log/nginx-echo-error.log")
	BASE_URL=http://127.0.0.1:$port
	# Listening is enough: a request now could mark a server failed.
	wait_for 10 bash -c "ss -Hltn 'sport = :$port' | grep -q ."
}

@test "nginx passes no client Proxy header as HTTP_PROXY (httpoxy)" {
	echo_start one
	echo_nginx "$ECHO_DIR/one.sock"
	http GET /api/v1/anything -H 'Proxy: http://evil.example:3128/' -H 'X-Probe: seen'
	assert_equal "$status_code" 200
	grep -qx 'REQUEST_URI=/api/v1/anything' <<<"$body"
	# Other headers do arrive, as HTTP_*; that one never does.
	grep -qx 'HTTP_X_PROBE=seen' <<<"$body"
	! grep -q 'evil\.example' <<<"$body"
}

@test "nginx never replays a request on another upstream server after a failure" {
	local i method codes=''
	echo_start dropper --drop
	echo_start answerer
	echo_nginx "$ECHO_DIR/dropper.sock" "$ECHO_DIR/answerer.sock"
	for i in $(seq 1 8); do
		for method in POST GET; do
			http "$method" "/api/v1/try/$method/$i" -H 'Content-Type: application/json' \
				--data-binary '{}'
			codes+=" $status_code"
			[[ $status_code == 200 || $status_code == 502 ]] ||
				fail "$method $i answered $status_code"
		done
	done
	# Every request reached one server only: none was sent on after a drop.
	local dropped answered
	dropped=$(grep -c ' /api/v1/try/' "$ECHO_DIR/dropper.log" || true)
	answered=$(grep -c ' /api/v1/try/' "$ECHO_DIR/answerer.log" || true)
	assert_equal "$((dropped + answered))" 16
	((dropped > 0)) || fail "round robin never reached the dropping server"
	assert_equal "$(grep -o ' 502' <<<"$codes" | wc -l)" "$dropped"
	assert_equal "$(grep -h ' /api/v1/try/' "$ECHO_DIR/dropper.log" "$ECHO_DIR/answerer.log" | sort | uniq -d)" ""
}
