#!/usr/bin/env bats
#
# scripts/migrate against the stack's database. Needs DATABASE_OWNER_URL
# (the owner role, which may create schemas) and REPO; test/run sets both
# once the stack is up. Each test makes its own tenant row and schema and
# drops them again.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	: "${DATABASE_OWNER_URL:?set by test/run}" "${REPO:?set by test/run}"
	migrate="$REPO/scripts/migrate"
	unset MIGRATIONS_DIR
	slug="mig-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	schema="tenant_${slug//-/_}"
	ntenant=$(find "$REPO/schema/tenant" -name '[0-9]*.sql' | wc -l)
	# Leave nothing pending from elsewhere, so each test sees only its own.
	"$migrate" >/dev/null
}

teardown() {
	sql "SET client_min_messages = warning" "SELECT public.tenant_schema_drop('$schema')" \
	    "DELETE FROM public.tenants WHERE slug = '$slug'"
}

# sql STATEMENT...: runs each statement as the owner, prints bare rows.
sql() {
	local args=() s

	for s in "$@"; do
		args+=(-c "$s")
	done
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_OWNER_URL" "${args[@]}"
}

# A tenant row and its empty schema, as provisioning would leave them just
# before it migrates.
make_tenant() {
	sql "INSERT INTO public.tenants (slug, name, schema_name, status)
	     VALUES ('$slug', 'Migrate test', '$schema', 'ready')" \
	    "SELECT public.tenant_schema_create('$schema')"
}

# One checksum of everything migrate records.
recorded_state() {
	sql "SELECT md5(string_agg(m::text, ',' ORDER BY filename)) FROM public.schema_migrations m" \
	    "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM public.tenants t"
	"$migrate" status | md5sum
}

@test "migrate with nothing pending applies nothing and changes nothing" {
	before=$(recorded_state)
	run "$migrate"
	assert_success
	assert_output "nothing to apply"
	assert_equal "$(recorded_state)" "$before"
}

@test "migrate applies the tenant migrations to a new tenant schema" {
	make_tenant
	run "$migrate"
	assert_success
	assert_line "applied $schema 0001_projects.sql"
	refute_line --partial "applied public"
	assert_equal "$(sql "SELECT to_regclass('$schema.projects') IS NOT NULL")" t
	assert_equal "$(sql "SELECT schema_version FROM public.tenants WHERE slug = '$slug'")" "$ntenant"
	assert_equal "$(sql "SELECT count(*) FROM $schema.schema_migrations")" "$ntenant"
	assert_equal "$(sql "SELECT has_table_privilege('$schema', '$schema.projects', 'INSERT'),
	    has_table_privilege('saas_app', '$schema.projects', 'INSERT')")" "t|f"
	run "$migrate"
	assert_output "nothing to apply"
}

@test "migrate --dry-run lists the pending file and applies nothing" {
	make_tenant
	run "$migrate" --dry-run
	assert_success
	assert_line "would apply $schema 0001_projects.sql"
	refute_line --partial "applied"
	assert_equal "$(sql "SELECT to_regclass('$schema.schema_migrations') IS NULL
	    AND to_regclass('$schema.projects') IS NULL")" t
	assert_equal "$(sql "SELECT schema_version FROM public.tenants WHERE slug = '$slug'")" 0
}

@test "migrate status shows each schema's applied and pending files" {
	make_tenant
	run "$migrate" status
	assert_success
	assert_line --regexp "^public +0001_lobby\.sql +applied$"
	assert_line --regexp "^$schema +0001_projects\.sql +pending$"
	"$migrate" >/dev/null
	run "$migrate" status
	assert_line --regexp "^$schema +0001_projects\.sql +applied$"
}

@test "migrate refuses an applied migration that was edited, and applies nothing" {
	make_tenant
	cp -R "$REPO/schema" "$BATS_TEST_TMPDIR/schema"
	echo "-- edited after the fact" >>"$BATS_TEST_TMPDIR/schema/public/0001_lobby.sql"
	MIGRATIONS_DIR="$BATS_TEST_TMPDIR/schema" run "$migrate"
	assert_failure 1
	assert_output --partial "public/0001_lobby.sql was changed after it was applied"
	assert_output --partial "write a new migration instead"
	assert_equal "$(sql "SELECT to_regclass('$schema.projects') IS NULL")" t
	MIGRATIONS_DIR="$BATS_TEST_TMPDIR/schema" run "$migrate" status
	assert_line --regexp "^public +0001_lobby\.sql +changed$"
}

@test "two migrate runs at once apply each file once" {
	make_tenant
	"$migrate" >"$BATS_TEST_TMPDIR/a" 2>&1 &
	a=$!
	"$migrate" >"$BATS_TEST_TMPDIR/b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c "^applied $schema ")" 1
	assert_equal "$(sql "SELECT count(*) FROM $schema.schema_migrations")" "$ntenant"
}

@test "migrate reads DATABASE_OWNER_URL from --config" {
	make_tenant
	printf '# saas.conf\nDATABASE_OWNER_URL = "%s"\n' "$DATABASE_OWNER_URL" >"$BATS_TEST_TMPDIR/saas.conf"
	run env -u DATABASE_OWNER_URL "$migrate" --config "$BATS_TEST_TMPDIR/saas.conf" --dry-run
	assert_success
	assert_line "would apply $schema 0001_projects.sql"
}

@test "migrate rejects an unknown argument with status 2" {
	run "$migrate" --frobnicate
	assert_failure 2
	assert_output --partial "unknown argument"
}

# The database's committed transactions so far.
commits() {
	sql "SELECT pg_stat_force_next_flush()" \
	    "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()" | tail -n 1
}

# Every tenant of this test at version N (the number of tenant files).
at_version() {
	sql "SELECT count(*) FROM public.tenants WHERE slug LIKE '$1-%' AND schema_version = $2"
}

@test "migrate over 1,000 tenant schemas: all migrated; killed half way, resumed; then one query" {
	local prefix="scale${slug#mig}" i
	for i in 0 1 2 3 4; do
		sql "INSERT INTO public.tenants (slug, name, status)
		     SELECT '$prefix-' || g, 'Scale', 'ready' FROM generate_series($((i * 200 + 1)), $((i * 200 + 200))) g" \
		    "SELECT count(public.tenant_schema_create(schema_name)) FROM public.tenants
		     WHERE slug LIKE '$prefix-%' AND to_regnamespace(schema_name) IS NULL" >/dev/null
	done
	run "$migrate" --jobs 4
	assert_success
	assert_equal "$(grep -c "^applied tenant_${prefix//-/_}_" <<<"$output")" 1000
	assert_equal "$(at_version "$prefix" "$ntenant")" 1000

	# A new one-table migration, and a run killed half way through.
	cp -R "$REPO/schema" "$BATS_TEST_TMPDIR/schema"
	echo "CREATE TABLE scale_notes (id integer PRIMARY KEY);" \
	    >"$BATS_TEST_TMPDIR/schema/tenant/9000_scale_notes.sql"
	export MIGRATIONS_DIR=$BATS_TEST_TMPDIR/schema
	setsid "$migrate" --jobs 4 >"$BATS_TEST_TMPDIR/first" 2>&1 3>&- &
	first=$!
	for _ in $(seq 600); do
		(($(at_version "$prefix" $((ntenant + 1))) >= 300)) && break
		sleep 0.05
	done
	kill -KILL -- "-$first" 2>/dev/null || true
	wait "$first" || true
	done_before=$(at_version "$prefix" $((ntenant + 1)))
	((done_before >= 300 && done_before < 1000)) || fail "killed after $done_before tenants"
	# What was recorded was done: the table exists exactly where the version says.
	assert_equal "$(sql "SELECT count(*) FROM public.tenants t WHERE t.slug LIKE '$prefix-%'
	    AND (t.schema_version = $((ntenant + 1))) <> (to_regclass(t.schema_name || '.scale_notes') IS NOT NULL)")" 0

	run "$migrate" --jobs 4
	assert_success
	assert_equal "$(grep -c "^applied tenant_${prefix//-/_}_.* 9000_scale_notes.sql" <<<"$output")" \
		$((1000 - done_before))
	refute_line --partial "0001_projects.sql"
	assert_equal "$(at_version "$prefix" $((ntenant + 1)))" 1000

	# Nothing to do: the lobby answers in one query (with one to see that the
	# lobby is there, and psql's own), however many tenants there are: it
	# was one query per tenant. Counted in committed transactions, less what
	# counting itself costs.
	before=$(commits)
	idle=$(($(commits) - before))
	before=$(commits)
	run "$migrate" --jobs 4
	assert_output "nothing to apply"
	used=$(($(commits) - before - idle))
	((used <= 3)) || fail "a run with nothing to do took $used transactions"

	for i in 0 1 2 3 4; do
		sql "SET client_min_messages = warning" \
		    "SELECT count(public.tenant_schema_drop(schema_name)) FROM (SELECT schema_name
		     FROM public.tenants WHERE slug LIKE '$prefix-%' AND to_regnamespace(schema_name)
		     IS NOT NULL LIMIT 200) s" >/dev/null
	done
	sql "DELETE FROM public.tenants WHERE slug LIKE '$prefix-%'" \
	    "DELETE FROM public.tenant_migrations WHERE filename = '9000_scale_notes.sql'"
}
