#!/usr/bin/env bats
# No password and no token reaches a log. The Auth suites (auth, tokens,
# sessions: this file runs after them, its name sorts last) append every
# password and token they used to $STACK_DIR/secrets-used (remember_secret in
# test/lib/auth.bash); here the service's and nginx's logs are searched for
# each of them. Run alone, it fails: it has nothing to look for.

load ../lib/common
load ../lib/auth

setup() {
	secrets=$STACK_DIR/secrets-used
	# Distinct, non-trivial values only: an empty line would match anything.
	patterns=$BATS_TEST_TMPDIR/patterns
	if [[ -r $secrets ]]; then
		awk 'length($0) >= 12' "$secrets" | sort -u >"$patterns"
	else
		: >"$patterns"
	fi
}

# leaks FILE...: prints the log lines (cut short) that hold a secret; fails
# when there are none.
leaks() {
	local f found=1
	for f in "$@"; do
		[[ -r $f ]] || continue
		if grep -F -f "$patterns" "$f" | cut -c 1-400 | sed "s|^|${f##*/}: |" | head -n 20 | grep .; then
			found=0
		fi
	done
	return "$found"
}

@test "the Auth suites recorded enough passwords and tokens to look for" {
	assert [ -s "$secrets" ]
	total=$(wc -l <"$patterns")
	echo "distinct secrets: $total" >&2
	((total >= 100))
	(($(grep -c '^correct horse battery staple ' "$patterns") >= 20))
	(($(grep -cE "$JWT_RE" "$patterns") >= 30))
	(($(grep -cE '^[A-Za-z0-9_-]{43,}$' "$patterns") >= 30))
}

@test "the saas-fcgi log is there and logged the suites' requests" {
	log=$STACK_DIR/log/saas-fcgi.log
	assert [ -s "$log" ]
	(($(grep -c 'auth/login' "$log") >= 20))
}

@test "no password or token appears in the saas-fcgi logs" {
	[[ -s $patterns ]]
	shopt -s nullglob
	if leaks "$STACK_DIR"/log/saas-fcgi.log "$STACK_DIR"/log/app-*.log; then
		echo "secrets found in the logs above" >&2
		return 1
	fi
}

@test "no password or token appears in the nginx logs" {
	[[ -s $patterns ]]
	shopt -s nullglob
	if leaks "$STACK_DIR"/log/nginx*.log; then
		echo "secrets found in the logs above" >&2
		return 1
	fi
}
