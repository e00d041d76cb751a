#!/usr/bin/env bats
# Rate limits (API.md "Rate limits"): counted in memcached per window, 429
# RATE_LIMITED with Retry-After, the client address from REMOTE_ADDR or,
# behind a trusted proxy, X-Forwarded-For; memcached down: fail open or 503,
# said once per outage in the log. Each test runs a pool of its own
# (app_start) on memcached servers of its own, so the stack's stay untouched.

load ../lib/common
load ../lib/auth

MC_PIDS=()
MC_PORTS=()

# mc_start: a memcached of this test's on a free port (appended to MC_PORTS).
mc_start() {
	local port=${1:-$(free_port)} user=()
	((EUID != 0)) || user=(-u memcache)
	(
		close_fds
		exec memcached -l 127.0.0.1 -p "$port" -U 0 "${user[@]}" </dev/null >/dev/null 2>&1
	) &
	MC_PIDS+=($!)
	MC_PORTS+=("$port")
	wait_for 10 mc_answers "$port"
}

mc_answers() {
	[[ $(mc_cmd "$1" version) == VERSION* ]]
}

# mc_cmd PORT COMMAND: one ASCII command's answer, up to END or a single line.
mc_cmd() {
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf '%s\r\nquit\r\n' "$2" >&"$fd"
	timeout 5 cat <&"$fd" | tr -d '\r'
	exec {fd}>&-
}

# mc_kill I: stops the I-th memcached (it may be started again on its port).
mc_kill() {
	kill -KILL "${MC_PIDS[$1]}" 2>/dev/null || true
	wait "${MC_PIDS[$1]}" 2>/dev/null || true
}

mc_servers() {
	local p list=()
	for p in "${MC_PORTS[@]}"; do list+=("127.0.0.1:$p"); done
	local IFS=,
	echo "${list[*]}"
}

# The keys memcached holds now (its LRU crawler lists them).
mc_keys() {
	mc_cmd "$1" "lru_crawler metadump all" | sed -n 's/^key=\([^ ]*\).*/\1/p'
}

teardown() {
	local i
	app_stop
	for i in "${!MC_PIDS[@]}"; do mc_kill "$i"; done
}

# limited_app NAME=VALUE...: a pool with these limits (the rest 0) on this
# test's memcached. A loaded machine may keep memcached from answering within
# the default 200 ms, and the limits would fail open: a second here.
limited_app() {
	app_start RATE_LIMIT_PER_SECOND=0 LOGIN_RATE_LIMIT_PER_MINUTE=0 \
		REGISTER_RATE_LIMIT_PER_HOUR=0 MEMCACHED_SERVERS="$(mc_servers)" \
		MEMCACHED_TIMEOUT_MS=1000 "$@"
	APP_LOG=$STACK_DIR/log/app-$$.log
	LOG_START=$(wc -l <"$APP_LOG")
}

# log_count TEXT: lines of this test's part of the pool log holding TEXT.
log_count() {
	tail -n +"$((LOG_START + 1))" "$APP_LOG" | grep -cF -- "$1" || true
}

# fresh_window SECONDS: waits until a window of that length has at least
# 10 s left, so a test's requests all fall in one window.
fresh_window() {
	local left=$(($1 - $(date +%s) % $1))
	((left >= 10)) || sleep "$left"
}

assert_rate_limited() {
	assert_equal "$status_code" 429
	assert_equal "$(json .error.code)" RATE_LIMITED
	assert_equal "$(json .error.request_id)" "$(header X-Request-ID)"
	local after
	after=$(header Retry-After)
	assert_regex "$after" '^[0-9]+$'
	((after >= 1 && after <= $1)) || fail "Retry-After $after not in 1..$1"
}

# raw_status PATH [NAME=VALUE...]: the status of one GET straight to the pool,
# without the tracing of fcgi, so that a burst is quick.
raw_status() {
	local path=$1 out
	shift
	out=$(env -i REQUEST_METHOD=GET REQUEST_URI="$path" DOCUMENT_URI="$path" QUERY_STRING= \
		REMOTE_ADDR=127.0.0.1 "$@" cgi-fcgi -bind -connect "$FCGI_SOCKET" </dev/null | head -c 200)
	out=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' <<<"$out" | head -n 1)
	echo "${out:-none}"
}

# burst N PATH [NAME=VALUE...]: N quick requests; counts 429s in LIMITED,
# the answers of a route that was not limited (2xx, 401, 404, 422) in OK;
# anything else fails.
burst() {
	local i n=$1 code
	shift
	OK=0 LIMITED=0 T0=$(date +%s)
	for ((i = 0; i < n; i++)); do
		code=$(raw_status "$@")
		case $code in
		429) ((LIMITED += 1)) ;;
		2?? | 401 | 404 | 422) ((OK += 1)) ;;
		*) fail "GET $1 answered $code" ;;
		esac
	done
	T1=$(date +%s)
}

@test "every request counts per client address: over the limit answers 429 with Retry-After" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=1
	local i
	burst 12 /api/v1/auth/me
	# Limits that failed open would count nothing: memcached must have answered.
	assert_equal "$(log_count 'memcached is unreachable')" 0
	((LIMITED > 0)) || fail "12 requests in $((T1 - T0 + 1)) s, none limited"
	# At most the limit in each second the burst touched.
	((OK <= T1 - T0 + 1)) || fail "$OK answered in $((T1 - T0 + 1)) s"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		burst 1 /api/v1/auth/me
		fcgi GET /api/v1/auth/me
		[[ $status_code != 429 ]] || break
	done
	assert_rate_limited 1
	# An unknown path counts too.
	burst 6 /api/v1/no-such-thing
	((LIMITED > 0)) || fail "unknown paths were not limited"
	# Another client is not held back by this one.
	REMOTE_ADDR=198.51.100.7 fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	# The next window lets the first client in again.
	sleep 2
	fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	fcgi GET /metrics
	grep -Eq '^saas_rate_limited_total [1-9]' <<<"$body"
}

@test "health, readiness and metrics are never limited" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=1
	local path
	for path in /healthz /readyz /metrics; do
		burst 6 "$path"
		assert_equal "$LIMITED" 0
	done
}

@test "login and the token grant share a limit per address and email, in any case" {
	mc_start
	limited_app LOGIN_RATE_LIMIT_PER_MINUTE=2
	fresh_window 60
	local email
	email=$(new_email)
	post_json_fcgi /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"wrong-password-1\"}"
	assert_equal "$status_code" 401
	CONTENT_TYPE=application/x-www-form-urlencoded fcgi POST /api/v1/auth/token \
		"grant_type=password&username=${email^^}&password=wrong-password-2"
	assert_equal "$status_code" 400
	assert_equal "$(json .error)" invalid_grant
	post_json_fcgi /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"wrong-password-3\"}"
	assert_rate_limited 60
	CONTENT_TYPE=application/x-www-form-urlencoded fcgi POST /api/v1/auth/token \
		"grant_type=password&username=$email&password=wrong-password-4"
	assert_rate_limited 60
	# The same address with another email, and the same email from another address.
	post_json_fcgi /api/v1/auth/login "{\"email\":\"$(new_email)\",\"password\":\"wrong-password-5\"}"
	assert_equal "$status_code" 401
	REMOTE_ADDR=198.51.100.8 post_json_fcgi /api/v1/auth/login \
		"{\"email\":\"$email\",\"password\":\"wrong-password-6\"}"
	assert_equal "$status_code" 401
}

@test "forgot-password is limited per address and email" {
	mc_start
	limited_app LOGIN_RATE_LIMIT_PER_MINUTE=2
	fresh_window 60
	local email
	email=$(new_email)
	post_json_fcgi /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	assert_equal "$status_code" 202
	post_json_fcgi /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	assert_equal "$status_code" 202
	post_json_fcgi /api/v1/auth/forgot-password "{\"email\":\"$email\"}"
	assert_rate_limited 60
	post_json_fcgi /api/v1/auth/forgot-password "{\"email\":\"$(new_email)\"}"
	assert_equal "$status_code" 202
}

@test "register is limited per address, invalid attempts included" {
	mc_start
	limited_app REGISTER_RATE_LIMIT_PER_HOUR=2
	fresh_window 3600
	post_json_fcgi /api/v1/auth/register '{"email":"not-an-address"}'
	assert_equal "$status_code" 422
	post_json_fcgi /api/v1/auth/register '{"email":"not-an-address"}'
	assert_equal "$status_code" 422
	post_json_fcgi /api/v1/auth/register '{"email":"not-an-address"}'
	assert_rate_limited 3600
	REMOTE_ADDR=198.51.100.9 post_json_fcgi /api/v1/auth/register '{"email":"not-an-address"}'
	assert_equal "$status_code" 422
}

@test "X-Forwarded-For names the client only behind a trusted proxy" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=1 TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8"
	local i code limited=0
	# From the trusted proxy: each forwarded client has its own count.
	for i in 1 2 3 4 5 6; do
		HTTP_X_FORWARDED_FOR="203.0.113.$i, 10.0.0.5" fcgi GET /api/v1/auth/me
		assert_equal "$status_code" 401
	done
	# A client's own claim left of the hop the proxy wrote is not believed.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		code=$(raw_status /api/v1/auth/me HTTP_X_FORWARDED_FOR="192.0.2.$i, 203.0.113.50")
		[[ $code != 429 ]] || ((limited += 1))
	done
	((limited > 0)) || fail "spoofed left-hand hops escaped the limit"
	# From a peer not trusted, X-Forwarded-For is ignored altogether.
	limited=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		code=$(raw_status /api/v1/auth/me HTTP_X_FORWARDED_FOR="192.0.2.$i" \
			REMOTE_ADDR=198.51.100.10)
		[[ $code != 429 ]] || ((limited += 1))
	done
	((limited > 0)) || fail "an untrusted peer's X-Forwarded-For escaped the limit"
}

@test "a pool refuses a TRUSTED_PROXIES that is not a list of addresses" {
	run env TRUSTED_PROXIES="10.0.0.0/8, proxy.example" "$REPO/${BUILD:-build}/saas-fcgi" --listen unix:/nonexistent/x.sock
	assert_equal "$status" 1
	assert_output --partial "TRUSTED_PROXIES"
}

@test "keys are HMACs: no email or address reaches memcached" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=100 LOGIN_RATE_LIMIT_PER_MINUTE=100
	local email=probe-$(fresh_id)@keys.example.test keys key n=0
	REMOTE_ADDR=198.51.100.77 post_json_fcgi /api/v1/auth/login \
		"{\"email\":\"$email\",\"password\":\"wrong-password-1\"}"
	assert_equal "$status_code" 401
	keys=$(mc_keys "${MC_PORTS[0]}")
	while read -r key; do
		[[ -n $key ]] || continue
		((n += 1))
		assert_regex "$key" '^saas(%3A|:)rl(%3A|:)[alfr](%3A|:)[0-9]+(%3A|:)[0-9a-f]{32}$'
	done <<<"$keys"
	((n >= 2)) || fail "expected the request and the login counters, found $n keys"
	! grep -qiE 'probe|198\.51|keys\.example' <<<"$keys"
}

@test "counters spread over several memcached servers by consistent hashing" {
	mc_start
	mc_start
	# Hour-long windows: the keys stay while they are counted.
	limited_app REGISTER_RATE_LIMIT_PER_HOUR=1000 TRUSTED_PROXIES=127.0.0.1
	local i a b
	for i in $(seq 1 40); do
		HTTP_X_FORWARDED_FOR=203.0.113.$i fcgi POST /api/v1/auth/register '{}'
		assert_equal "$status_code" 422
	done
	a=$(mc_keys "${MC_PORTS[0]}" | grep -c '^saas' || true)
	b=$(mc_keys "${MC_PORTS[1]}" | grep -c '^saas' || true)
	((a > 0 && b > 0)) || fail "keys on the servers: $a and $b"
	assert_equal "$((a + b))" 40
}

@test "memcached down, failing open: requests are served, the log says so once, and limits return with it" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=1
	burst 2 /api/v1/auth/me
	mc_kill 0
	burst 20 /api/v1/auth/me
	assert_equal "$OK" 20
	fcgi GET /readyz
	assert_equal "$status_code" 503
	assert_equal "$(json .checks.cache)" failed
	assert_equal "$(log_count 'memcached is unreachable; serving without rate limits')" 1
	fcgi GET /metrics
	grep -qx 'saas_cache_up 0' <<<"$body"
	# Back on the same port: counted again, and the log says that once too.
	mc_start "${MC_PORTS[0]}"
	sleep 2 # libmemcached tries a failed server again after RETRY_TIMEOUT
	burst 20 /api/v1/auth/me
	((LIMITED > 0)) || fail "limits did not return with memcached"
	assert_equal "$(log_count 'memcached answers again')" 1
	assert_equal "$(log_count 'memcached is unreachable')" 1
}

@test "a memcached that does not answer costs a request MEMCACHED_TIMEOUT_MS, then the limits fail open" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=100 MEMCACHED_TIMEOUT_MS=1500
	fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	kill -STOP "${MC_PIDS[0]}"
	local t0 ms
	t0=$(date +%s%N)
	fcgi GET /api/v1/auth/me
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill -CONT "${MC_PIDS[0]}"
	assert_equal "$status_code" 401
	echo "answered after $ms ms" >&2
	((ms >= 1500 && ms < 10000))
	assert_equal "$(log_count 'memcached is unreachable; serving without rate limits')" 1
}

@test "memcached down, failing closed: limited routes answer 503, health still answers" {
	mc_start
	limited_app RATE_LIMIT_PER_SECOND=100 RATE_LIMIT_FAIL_OPEN=false
	fcgi GET /api/v1/auth/me
	assert_equal "$status_code" 401
	mc_kill 0
	local i
	for i in 1 2 3 4 5 6; do
		fcgi GET /api/v1/auth/me
		assert_equal "$status_code" 503
		assert_equal "$(json .error.code)" SERVICE_UNAVAILABLE
		assert_regex "$(header Retry-After)" '^[0-9]+$'
	done
	fcgi GET /healthz
	assert_equal "$status_code" 200
	assert_equal "$(log_count 'answering 503 where a rate limit applies')" 1
}

# post_json_fcgi PATH JSON: a JSON POST straight to the pool.
post_json_fcgi() {
	fcgi POST "$1" "$2"
}
