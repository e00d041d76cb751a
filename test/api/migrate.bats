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
