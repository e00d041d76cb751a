#!/usr/bin/env bats
# The short soak of make test: test/soak on this stack for SOAK_TEST_SECONDS
# (default 15, a 5 s warm-up) at full speed through nginx. make soak runs the
# long one (60 s) on a stack of its own. Each test reads one verdict of the
# same run; a failure shows every sample.

load ../lib/common

setup_file() {
	export SOAK_OUT=$BATS_FILE_TMPDIR/soak.out
	# AddressSanitizer keeps freed memory in quarantine, and valgrind its
	# own books: RSS grows by design under either.
	if ldd "${SAAS_FCGI_BIN:-$REPO/${BUILD:-build}/saas-fcgi}" | grep -q libasan ||
		[[ -n ${SAAS_FCGI_WRAPPER:-} ]]; then
		echo skip >"$SOAK_OUT"
		return 0
	fi
	SOAK_SECONDS=${SOAK_TEST_SECONDS:-15} SOAK_WARMUP=5 SOAK_INTERVAL=5 \
		"$REPO/test/soak" --stack "$STACK_DIR" >"$SOAK_OUT" 2>&1 3>&- || true
}

# verdict N: passes when the soak's TAP says "ok N"; prints the whole run.
verdict() {
	[[ $(<"$SOAK_OUT") != skip ]] || skip "saas-fcgi runs under AddressSanitizer or a wrapper"
	cat "$SOAK_OUT" >&2
	grep -q "^ok $1 " "$SOAK_OUT"
}

@test "soak: no worker's RSS grows more than 1 MiB after the warm-up" {
	verdict 1
}

@test "soak: no worker holds more file descriptors than after the warm-up" {
	verdict 2
}

@test "soak: every answer at full speed is 2xx" {
	verdict 3
}
