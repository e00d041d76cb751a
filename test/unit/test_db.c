/*
 * lib/db against a real PostgreSQL: tenant transactions in one round trip,
 * the search path that ends with its transaction, schema names that stay
 * one identifier, rollback on failure, unique violations mapped to the
 * contract's codes, interactive transactions, reconnection, and recycling.
 *
 * Needs DATABASE_URL (the application role, e.g. saas_app with an empty
 * search_path) and DATABASE_OWNER_URL (the owner role, on a database the
 * lobby migration has made);
 * without them every test that needs a server is skipped. The tests make
 * their own schemas tenant_unit_a, tenant_unit_b and tenant_unit_c (with
 * their roles), and drop them at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "arena.h"
#include "db.h"

#define SCHEMA_A "tenant_unit_a"
#define SCHEMA_B "tenant_unit_b"
#define SCHEMA_C "tenant_unit_c"

struct ctx {
	const char *url, *owner_url;
	PGconn *owner;
	int enabled;
	struct db *db;
	struct arena *arena;
};

/* Runs sql as the owner; fails the test (or setup) unless it succeeds. */
static int
owner_exec(struct ctx *c, const char *sql)
{
	PGresult *res = PQexec(c->owner, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		print_error("owner: %s: %s", sql, PQerrorMessage(c->owner));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The single integer sql gives, as the owner. */
static long
owner_long(struct ctx *c, const char *sql)
{
	PGresult *res = PQexec(c->owner, sql);
	long v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		print_error("owner: %s: %s", sql, PQerrorMessage(c->owner));
		PQclear(res);
		fail();
	}
	v = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/*
 * Tenant schemas made as saas-jobs makes them (public.tenant_schema_create):
 * each with its own role, which alone may use it, and which the
 * application's tenant transactions take on.
 */
static const char setup_sql[] =
    "SELECT public.tenant_schema_drop('" SCHEMA_A "');"
    "SELECT public.tenant_schema_drop('" SCHEMA_B "');"
    "SELECT public.tenant_schema_drop('" SCHEMA_C "');"
    "SELECT public.tenant_schema_create('" SCHEMA_A "');"
    "CREATE TABLE " SCHEMA_A ".items (id int PRIMARY KEY, name text);"
    "SELECT public.tenant_schema_create('" SCHEMA_B "');"
    "CREATE TABLE " SCHEMA_B ".items (id int PRIMARY KEY, name text);"
    /* Index names are per schema: this one has the lobby's name. */
    "SELECT public.tenant_schema_create('" SCHEMA_C "');"
    "CREATE TABLE " SCHEMA_C ".users (email text NOT NULL);"
    "CREATE UNIQUE INDEX users_email_key ON " SCHEMA_C ".users (email);";

static const char teardown_sql[] = "SELECT public.tenant_schema_drop('" SCHEMA_A "');"
                                   "SELECT public.tenant_schema_drop('" SCHEMA_B "');"
                                   "SELECT public.tenant_schema_drop('" SCHEMA_C "');";

static int
group_setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	*state = c;
	c->url = getenv("DATABASE_URL");
	c->owner_url = getenv("DATABASE_OWNER_URL");
	if (c->url == NULL || *c->url == '\0' || c->owner_url == NULL || *c->owner_url == '\0')
		return 0; /* the tests skip */
	c->owner = PQconnectdb(c->owner_url);
	if (PQstatus(c->owner) != CONNECTION_OK) {
		print_error("DATABASE_OWNER_URL: %s", PQerrorMessage(c->owner));
		return -1;
	}
	PQclear(PQexec(c->owner, "SET client_min_messages = warning"));
	if (owner_exec(c, setup_sql) == -1)
		return -1;
	c->enabled = 1;
	return 0;
}

static int
group_teardown(void **state)
{
	struct ctx *c = *state;

	if (c->owner != NULL) {
		if (c->enabled)
			owner_exec(c, teardown_sql);
		PQfinish(c->owner);
	}
	free(c);
	return 0;
}

/* A fresh handle and arena; empty tables. */
static int
test_setup(void **state)
{
	struct ctx *c = *state;

	c->db = NULL;
	c->arena = arena_new();
	if (!c->enabled)
		return 0;
	if (owner_exec(c, "TRUNCATE " SCHEMA_A ".items, " SCHEMA_B ".items, " SCHEMA_C ".users") ==
	    -1)
		return -1;
	c->db = db_new(c->url, "unit-db", 5000, 100);
	return 0;
}

static int
test_teardown(void **state)
{
	struct ctx *c = *state;

	arena_free(c->arena);
	c->arena = NULL;
	db_free(c->db);
	c->db = NULL;
	return 0;
}

#define NEED_DB(c)                                                                                 \
	do {                                                                                       \
		if (!(c)->enabled)                                                                 \
			skip();                                                                    \
	} while (0)

/* The single value a query gives on the handle, in the arena. */
static const char *
one_value(struct ctx *c, const char *sql)
{
	struct db_stmt st = {sql, 0, NULL};
	PGresult *res = NULL;

	assert_int_equal(db_query(c->db, c->arena, &st, &res), APP_OK);
	assert_non_null(res);
	assert_int_equal(PQntuples(res), 1);
	return db_value(res, 0, 0);
}

/* Terminates the handle's server process from another connection. */
static void
kill_backend(struct ctx *c)
{
	char sql[128];
	int pid;

	assert_non_null(db_conn(c->db));
	pid = PQbackendPID(db_conn(c->db));
	assert_true(pid > 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 5000)::int", pid);
	/* The application role may end its own role's sessions. */
	{
		PGconn *app = PQconnectdb(c->url);
		PGresult *res;

		assert_int_equal(PQstatus(app), CONNECTION_OK);
		res = PQexec(app, sql);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(res, 0, 0), "1");
		PQclear(res);
		PQfinish(app);
	}
}

static const char sql_insert[] = "INSERT INTO items (id, name) VALUES ($1, $2)";
static const char sql_insert_ret[] =
    "INSERT INTO items (id, name) VALUES ($1, $2) RETURNING id, name";
static const char sql_select_name[] = "SELECT name FROM items WHERE id = $1";
static const char sql_count[] = "SELECT count(*) FROM items";
static const char sql_path[] = "SELECT current_setting('search_path')";

/* db_tx */

static void
db_tx_runs_statements_in_tenant_schema(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"1", "apple"};
	const char *const sel[] = {"1"};
	struct db_stmt st[3] = {
	    {sql_insert_ret, 2, ins},
	    {sql_select_name, 1, sel},
	    {sql_path, 0, NULL},
	};
	PGresult *res[3] = {NULL, NULL, NULL};

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 3, res), APP_OK);
	assert_non_null(res[0]);
	assert_int_equal(PQresultStatus(res[0]), PGRES_TUPLES_OK);
	assert_string_equal(db_value(res[0], 0, 0), "1");
	assert_string_equal(db_value(res[0], 0, 1), "apple");
	assert_non_null(res[1]);
	assert_int_equal(PQntuples(res[1]), 1);
	assert_string_equal(db_value(res[1], 0, 0), "apple");
	assert_string_equal(db_value(res[2], 0, 0), SCHEMA_A);
	/* Committed, in that schema only. */
	assert_int_equal(
	    owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items WHERE name = 'apple'"), 1);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_B ".items"), 0);
}

static void
db_tx_each_schema_sees_its_own_table(void **state)
{
	struct ctx *c = *state;
	const char *const ia[] = {"1", "in-a"}, *const ib[] = {"1", "in-b"};
	const char *const sel[] = {"1"};
	struct db_stmt wa[1] = {{sql_insert, 2, ia}};
	struct db_stmt wb[1] = {{sql_insert, 2, ib}};
	struct db_stmt rd[2] = {{sql_select_name, 1, sel}, {sql_count, 0, NULL}};
	PGresult *res[2];

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, wa, 1, NULL), APP_OK);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_B, wb, 1, NULL), APP_OK);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, rd, 2, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), "in-a");
	assert_string_equal(db_value(res[1], 0, 0), "1");
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_B, rd, 2, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), "in-b");
	assert_string_equal(db_value(res[1], 0, 0), "1");
}

static void
db_tx_search_path_ends_with_transaction(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"1", "apple"};
	struct db_stmt st[1] = {{sql_insert, 2, ins}};
	struct db_stmt items = {"SELECT * FROM items", 0, NULL};
	PGresult *res = NULL;
	const char *role_path;
	int pid;

	NEED_DB(c);
	/* The role's own setting, on this very connection. */
	role_path = one_value(c, sql_path);
	pid = PQbackendPID(db_conn(c->db));
	assert_string_equal(role_path, "\"\"");

	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, NULL), APP_OK);
	assert_non_null(db_conn(c->db));
	assert_int_equal(PQbackendPID(db_conn(c->db)), pid);
	assert_string_equal(one_value(c, sql_path), "\"\"");
	/* An unqualified tenant table is not found outside a tenant transaction. */
	assert_int_equal(db_query(c->db, c->arena, &items, &res), APP_ERR_INTERNAL);
	assert_null(res);
	assert_int_equal(PQbackendPID(db_conn(c->db)), pid);
}

static void
db_tx_without_schema_uses_role_path(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st[2] = {{sql_path, 0, NULL}, {sql_count, 0, NULL}};
	PGresult *res[2] = {NULL, NULL};

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, NULL, st, 1, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), "\"\"");
	assert_int_equal(db_tx(c->db, c->arena, NULL, st + 1, 1, res), APP_ERR_INTERNAL);
}

/* The SQLSTATE of sql run as is on the handle's connection. */
static const char *
raw_sqlstate(struct ctx *c, const char *sql)
{
	PGresult *res = PQexec(db_conn(c->db), sql);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char *copy = arena_strdup(c->arena, state ? state : "00000");

	PQclear(res);
	return copy;
}

static void
db_tenant_transaction_runs_as_the_tenant_role(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st[1] = {{"SELECT current_user, session_user", 0, NULL}};
	PGresult *res[1];

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), SCHEMA_A);
	/* And only for its transaction. */
	assert_int_equal(db_tx(c->db, c->arena, NULL, st, 1, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), db_value(res[0], 0, 1));
}

static void
db_tenant_transaction_cannot_reach_another_tenant(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	/* PostgreSQL itself refuses, whatever the statement names. */
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_string_equal(raw_sqlstate(c, "SELECT * FROM " SCHEMA_B ".items"), "42501");
	db_rollback(c->db);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_string_equal(
	    raw_sqlstate(c, "INSERT INTO " SCHEMA_B ".items VALUES (1, 'x')"), "42501");
	db_rollback(c->db);
	/* Its own schema, named outright, is fine. */
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_string_equal(raw_sqlstate(c, "SELECT * FROM " SCHEMA_A ".items"), "00000");
	db_rollback(c->db);
	/* Nor does the application role itself hold any tenant's rights. */
	assert_int_equal(db_begin(c->db, c->arena, NULL), APP_OK);
	assert_string_equal(raw_sqlstate(c, "SELECT * FROM " SCHEMA_B ".items"), "42501");
	db_rollback(c->db);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_B ".items"), 0);
}

static void
db_unqualified_table_outside_a_tenant_is_an_error(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	assert_int_equal(db_begin(c->db, c->arena, NULL), APP_OK);
	assert_string_equal(raw_sqlstate(c, "SELECT * FROM items"), "42P01");
	db_rollback(c->db);
	assert_string_equal(raw_sqlstate(c, "SELECT * FROM items"), "42P01");
}

static void
db_tx_schema_list_is_one_identifier(void **state)
{
	static const char *const names[] = {
	    SCHEMA_B ", " SCHEMA_A,
	    SCHEMA_A "," SCHEMA_B,
	    SCHEMA_A ", public",
	    SCHEMA_A "\", \"" SCHEMA_B,
	    "\"" SCHEMA_A "\"",
	    SCHEMA_A " ",
	};
	struct ctx *c = *state;
	struct db_stmt st[2] = {{sql_path, 0, NULL}, {sql_count, 0, NULL}};
	PGresult *res[2];
	size_t i;

	NEED_DB(c);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum app_err err = db_tx(c->db, c->arena, names[i], st, 2, res);

		if (err == APP_OK)
			fail_msg("schema \"%s\" found a table \"items\"", names[i]);
		assert_int_equal(err, APP_ERR_INTERNAL);
	}
	/* The path really is the one quoted identifier (seen from the owner's
	 * handle, which sets no role: no role has such a name). */
	{
		struct db *owner = db_new(c->owner_url, "unit-db", 5000, 100);

		db_set_owner(owner, 0);
		assert_int_equal(
		    db_tx(owner, c->arena, SCHEMA_B ", " SCHEMA_A, st, 1, res), APP_OK);
		assert_string_equal(db_value(res[0], 0, 0), "\"" SCHEMA_B ", " SCHEMA_A "\"");
		db_free(owner);
	}
	/* And the handle still works for the real one. */
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st + 1, 1, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), "0");
}

static void
db_tx_unique_violation_rolls_back_everything(void **state)
{
	struct ctx *c = *state;
	const char *const one[] = {"1", "one"}, *const two[] = {"2", "two"};
	const char *const dup[] = {"1", "dup"}, *const three[] = {"3", "three"};
	struct db_stmt st[4] = {
	    {sql_insert, 2, one},
	    {sql_insert, 2, two},
	    {sql_insert, 2, dup},
	    {sql_insert, 2, three},
	};
	PGresult *res[4] = {NULL, NULL, NULL, NULL};
	enum app_err err;

	NEED_DB(c);
	err = db_tx(c->db, c->arena, SCHEMA_A, st, 4, res);
	assert_int_equal(err, APP_ERR_CONFLICT);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 0);
	/* The handle is left idle and usable, its path reset. */
	if (db_conn(c->db) != NULL)
		assert_int_equal(PQtransactionStatus(db_conn(c->db)), PQTRANS_IDLE);
	assert_string_equal(one_value(c, sql_path), "\"\"");
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 2, res), APP_OK);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 2);
}

static void
db_tx_users_email_key_maps_to_email_exists(void **state)
{
	struct ctx *c = *state;
	const char *const e[] = {"alice@example.com"};
	struct db_stmt st[1] = {{"INSERT INTO users (email) VALUES ($1)", 1, e}};

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_C, st, 1, NULL), APP_OK);
	assert_int_equal(
	    db_tx(c->db, c->arena, SCHEMA_C, st, 1, NULL), APP_ERR_EMAIL_ALREADY_EXISTS);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_C ".users"), 1);
}

static void
db_tx_failure_counts_an_error(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st[1] = {{"SELECT * FROM no_such_table", 0, NULL}};
	unsigned long errors = 0;

	NEED_DB(c);
	db_set_error_counter(c->db, &errors);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, NULL), APP_ERR_INTERNAL);
	assert_true(errors >= 1);
}

static void
db_tx_without_statements_commits(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, NULL, 0, NULL), APP_OK);
	assert_int_equal(PQtransactionStatus(db_conn(c->db)), PQTRANS_IDLE);
}

/* Interactive transactions */

static void
db_begin_commit_interactive_transaction(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"7", "seven"};
	const char *const sel[] = {"7"};
	struct db_stmt w = {sql_insert, 2, ins}, r = {sql_select_name, 1, sel};
	PGresult *res = NULL;

	NEED_DB(c);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_int_equal(PQtransactionStatus(db_conn(c->db)), PQTRANS_INTRANS);
	assert_string_equal(one_value(c, sql_path), SCHEMA_A);
	assert_int_equal(db_command(c->db, c->arena, &w), APP_OK);
	assert_int_equal(db_query(c->db, c->arena, &r, &res), APP_OK);
	assert_string_equal(db_value(res, 0, 0), "seven");
	/* Not visible to others before the commit. */
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 0);
	assert_int_equal(db_commit(c->db), APP_OK);
	assert_int_equal(
	    owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items WHERE name = 'seven'"), 1);
	assert_string_equal(one_value(c, sql_path), "\"\"");
}

static void
db_rollback_discards(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"8", "eight"};
	struct db_stmt w = {sql_insert, 2, ins};

	NEED_DB(c);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_int_equal(db_command(c->db, c->arena, &w), APP_OK);
	db_rollback(c->db);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 0);
	assert_non_null(db_conn(c->db));
	assert_int_equal(PQtransactionStatus(db_conn(c->db)), PQTRANS_IDLE);
	assert_string_equal(one_value(c, sql_path), "\"\"");
}

static void
db_commit_after_failed_statement_reports_failure(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"9", "nine"};
	struct db_stmt w = {sql_insert, 2, ins};
	struct db_stmt bad = {"SELECT * FROM no_such_table", 0, NULL};

	NEED_DB(c);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_int_equal(db_command(c->db, c->arena, &w), APP_OK);
	assert_int_equal(db_query(c->db, c->arena, &bad, NULL), APP_ERR_INTERNAL);
	/* The server rolled back; a COMMIT now must not look like success. */
	assert_int_not_equal(db_commit(c->db), APP_OK);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 0);
}

static void
db_begin_unique_violation_maps_in_interactive_transaction(void **state)
{
	struct ctx *c = *state;
	const char *const e[] = {"bob@example.com"};
	struct db_stmt st = {"INSERT INTO users (email) VALUES ($1)", 1, e};

	NEED_DB(c);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_C), APP_OK);
	assert_int_equal(db_command(c->db, c->arena, &st), APP_OK);
	assert_int_equal(db_command(c->db, c->arena, &st), APP_ERR_EMAIL_ALREADY_EXISTS);
	db_rollback(c->db);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_C ".users"), 0);
}

/* Statement kinds and values */

static void
db_command_refuses_rows(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st = {"SELECT 1", 0, NULL};

	NEED_DB(c);
	assert_int_equal(db_command(c->db, c->arena, &st), APP_ERR_INTERNAL);
	/* The handle is still fine. */
	assert_string_equal(one_value(c, "SELECT 2"), "2");
}

static void
db_query_refuses_commands(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st = {"DO $$ BEGIN END $$", 0, NULL};
	PGresult *res = (PGresult *)&res;

	NEED_DB(c);
	assert_int_equal(db_query(c->db, c->arena, &st, &res), APP_ERR_INTERNAL);
	assert_null(res);
}

static void
db_query_binds_parameters_as_text(void **state)
{
	struct ctx *c = *state;
	const char *const p[] = {"it's \"quoted\"; DROP TABLE x; --", NULL};
	struct db_stmt st = {"SELECT $1::text, $2::text IS NULL", 2, p};
	PGresult *res = NULL;

	NEED_DB(c);
	assert_int_equal(db_query(c->db, c->arena, &st, &res), APP_OK);
	assert_string_equal(db_value(res, 0, 0), p[0]);
	assert_string_equal(db_value(res, 0, 1), "t");
}

static void
db_value_null_and_out_of_range(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st = {"SELECT NULL::text, 'x'", 0, NULL};
	PGresult *res = NULL;

	NEED_DB(c);
	assert_int_equal(db_query(c->db, c->arena, &st, &res), APP_OK);
	assert_null(db_value(res, 0, 0));
	assert_string_equal(db_value(res, 0, 1), "x");
	assert_null(db_value(res, 1, 0));
	assert_null(db_value(res, 0, 2));
	assert_null(db_value(NULL, 0, 0));
}

static void
db_sets_application_name_and_statement_timeout(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	assert_string_equal(one_value(c, "SELECT current_setting('application_name')"), "unit-db");
	assert_string_equal(one_value(c, "SELECT current_setting('statement_timeout')"), "5s");
}

static void
db_statement_timeout_is_unavailable(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st = {"SELECT pg_sleep(3)", 0, NULL};

	NEED_DB(c);
	db_free(c->db);
	c->db = db_new(c->url, "unit-db", 100, 100);
	assert_int_equal(db_query(c->db, c->arena, &st, NULL), APP_ERR_SERVICE_UNAVAILABLE);
	assert_string_equal(one_value(c, "SELECT 1"), "1");
}

/* Connections */

static void
db_connects_lazily(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	assert_null(db_conn(c->db));
	assert_int_equal(db_ensure(c->db), APP_OK);
	assert_non_null(db_conn(c->db));
	assert_int_equal(PQstatus(db_conn(c->db)), CONNECTION_OK);
}

static void
db_reconnects_after_disconnect(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"1", "again"};
	struct db_stmt st[1] = {{sql_insert, 2, ins}};

	NEED_DB(c);
	assert_string_equal(one_value(c, "SELECT 1"), "1");
	db_disconnect(c->db);
	assert_null(db_conn(c->db));
	assert_string_equal(one_value(c, "SELECT 2"), "2");
	assert_non_null(db_conn(c->db));
	db_disconnect(c->db);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, NULL), APP_OK);
	db_disconnect(c->db);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_int_equal(db_commit(c->db), APP_OK);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 1);
}

static void
db_reconnects_after_server_closed_connection(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st = {"SELECT 1", 0, NULL};
	enum app_err err;
	int pid;

	NEED_DB(c);
	assert_string_equal(one_value(c, "SELECT 1"), "1");
	pid = PQbackendPID(db_conn(c->db));
	kill_backend(c);
	/* The call that finds it broken may fail; the next one must work. */
	err = db_query(c->db, c->arena, &st, NULL);
	assert_true(err == APP_OK || err == APP_ERR_SERVICE_UNAVAILABLE);
	assert_string_equal(one_value(c, "SELECT 2"), "2");
	assert_int_not_equal(PQbackendPID(db_conn(c->db)), pid);
}

static void
db_tx_reconnects_after_server_closed_connection(void **state)
{
	struct ctx *c = *state;
	const char *const ins[] = {"1", "x"};
	struct db_stmt st[1] = {{sql_insert, 2, ins}};
	enum app_err err;

	NEED_DB(c);
	assert_int_equal(db_ensure(c->db), APP_OK);
	kill_backend(c);
	err = db_tx(c->db, c->arena, SCHEMA_A, st, 1, NULL);
	assert_true(err == APP_OK || err == APP_ERR_SERVICE_UNAVAILABLE);
	if (err != APP_OK)
		assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, NULL), APP_OK);
	assert_int_equal(owner_long(c, "SELECT count(*) FROM " SCHEMA_A ".items"), 1);
}

static void
db_closed_port_is_unavailable(void **state)
{
	struct ctx *c = *state;
	struct db *db = db_new("postgresql:///saas?host=/nonexistent&port=1", "unit-db", 5000, 100);
	struct db_stmt st = {"SELECT 1", 0, NULL};
	PGresult *res = (PGresult *)&res;
	unsigned long errors = 0;

	db_set_error_counter(db, &errors);
	assert_int_equal(db_ensure(db), APP_ERR_SERVICE_UNAVAILABLE);
	assert_null(db_conn(db));
	assert_int_equal(db_query(db, c->arena, &st, &res), APP_ERR_SERVICE_UNAVAILABLE);
	assert_null(res);
	assert_int_equal(db_command(db, c->arena, &st), APP_ERR_SERVICE_UNAVAILABLE);
	assert_int_equal(db_tx(db, c->arena, SCHEMA_A, &st, 1, NULL), APP_ERR_SERVICE_UNAVAILABLE);
	assert_int_equal(db_begin(db, c->arena, SCHEMA_A), APP_ERR_SERVICE_UNAVAILABLE);
	assert_int_equal(db_commit(db), APP_ERR_SERVICE_UNAVAILABLE);
	db_rollback(db);
	assert_null(db_conn(db));
	assert_true(errors >= 1);
	db_free(db);
}

/* Recycling */

static void
db_recycles_after_distinct_tenants(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st[1] = {{sql_count, 0, NULL}};
	PGresult *res[1];

	NEED_DB(c);
	db_free(c->db);
	c->db = db_new(c->url, "unit-db", 5000, 2);
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, res), APP_OK);
	assert_non_null(db_conn(c->db));
	/* The same schema again is not a new one. */
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, res), APP_OK);
	assert_non_null(db_conn(c->db));
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_B, st, 1, res), APP_OK);
	assert_null(db_conn(c->db));
	/* And the next call works on a new connection, counting afresh. */
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, res), APP_OK);
	assert_string_equal(db_value(res[0], 0, 0), "0");
	assert_non_null(db_conn(c->db));
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_A, st, 1, res), APP_OK);
	assert_non_null(db_conn(c->db));
	assert_int_equal(db_tx(c->db, c->arena, SCHEMA_B, st, 1, res), APP_OK);
	assert_null(db_conn(c->db));
}

static void
db_recycle_counts_interactive_transactions(void **state)
{
	struct ctx *c = *state;

	NEED_DB(c);
	db_free(c->db);
	c->db = db_new(c->url, "unit-db", 5000, 2);
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_A), APP_OK);
	assert_int_equal(db_commit(c->db), APP_OK);
	assert_non_null(db_conn(c->db));
	assert_int_equal(db_begin(c->db, c->arena, SCHEMA_B), APP_OK);
	assert_int_equal(db_commit(c->db), APP_OK);
	assert_null(db_conn(c->db));
	assert_string_equal(one_value(c, "SELECT 3"), "3");
}

static void
db_lobby_transactions_do_not_count_for_recycle(void **state)
{
	struct ctx *c = *state;
	struct db_stmt st[1] = {{"SELECT 1", 0, NULL}};
	int i;

	NEED_DB(c);
	db_free(c->db);
	c->db = db_new(c->url, "unit-db", 5000, 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(db_tx(c->db, c->arena, NULL, st, 1, NULL), APP_OK);
		assert_non_null(db_conn(c->db));
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
	    T(db_tx_runs_statements_in_tenant_schema),
	    T(db_tx_each_schema_sees_its_own_table),
	    T(db_tx_search_path_ends_with_transaction),
	    T(db_tx_without_schema_uses_role_path),
	    T(db_tx_schema_list_is_one_identifier),
	    T(db_tenant_transaction_runs_as_the_tenant_role),
	    T(db_tenant_transaction_cannot_reach_another_tenant),
	    T(db_unqualified_table_outside_a_tenant_is_an_error),
	    T(db_tx_unique_violation_rolls_back_everything),
	    T(db_tx_users_email_key_maps_to_email_exists),
	    T(db_tx_failure_counts_an_error),
	    T(db_tx_without_statements_commits),
	    T(db_begin_commit_interactive_transaction),
	    T(db_rollback_discards),
	    T(db_commit_after_failed_statement_reports_failure),
	    T(db_begin_unique_violation_maps_in_interactive_transaction),
	    T(db_command_refuses_rows),
	    T(db_query_refuses_commands),
	    T(db_query_binds_parameters_as_text),
	    T(db_value_null_and_out_of_range),
	    T(db_sets_application_name_and_statement_timeout),
	    T(db_statement_timeout_is_unavailable),
	    T(db_connects_lazily),
	    T(db_reconnects_after_disconnect),
	    T(db_reconnects_after_server_closed_connection),
	    T(db_tx_reconnects_after_server_closed_connection),
	    T(db_closed_port_is_unavailable),
	    T(db_recycles_after_distinct_tenants),
	    T(db_recycle_counts_interactive_transactions),
	    T(db_lobby_transactions_do_not_count_for_recycle),
	};
#undef T

	return cmocka_run_group_tests_name("db", tests, group_setup, group_teardown);
}
