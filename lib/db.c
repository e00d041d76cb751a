/*
 * The database connection of one process (see db.h). The connection is made
 * on first use and made again after it broke; a server that is away is
 * SERVICE_UNAVAILABLE to the caller and a reconnect on the next call.
 */
#include "db.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "log.h"

#define SQLSTATE_UNIQUE "23505"
#define SQLSTATE_FOREIGN_KEY "23503"
#define SQLSTATE_CHECK "23514"
#define SQLSTATE_ACCOUNT_CHANGED "SA001"
#define SQLSTATE_SESSION_ENDED "SA002"

/* Unique constraints that have a code of their own in the contract. */
static const struct {
	const char *constraint;
	enum app_err err;
} unique_codes[] = {
    {"users_email_key", APP_ERR_EMAIL_ALREADY_EXISTS},
    {"tenants_slug_key", APP_ERR_SLUG_TAKEN},
    {"tenants_schema_name_key", APP_ERR_SLUG_TAKEN},
    {"projects_name_key", APP_ERR_PROJECT_NAME_TAKEN},
    {"tenant_invites_pending_key", APP_ERR_INVITE_PENDING},
    {"user_tenant_membership_pkey", APP_ERR_ALREADY_MEMBER},
};

struct db {
	char *conninfo;
	char *application_name;
	char options[128];
	PGconn *conn;
	unsigned long *errors;
	/* Distinct tenant schemas this connection has touched, by hash. */
	uint64_t *seen;
	long nseen, recycle;
	int recycle_due;
	int owner; /* tenant transactions keep this role: no SET ROLE */
};

struct db *
db_new(const char *conninfo, const char *application_name, long statement_timeout_ms,
    long recycle_tenants)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->conninfo = strdup(conninfo)) == NULL ||
	    (db->application_name = strdup(application_name)) == NULL ||
	    (db->seen = calloc((size_t)recycle_tenants, sizeof(uint64_t))) == NULL)
		abort();
	snprintf(
	    db->options, sizeof(db->options), "-c statement_timeout=%ld", statement_timeout_ms);
	db->recycle = recycle_tenants;
	return db;
}

void
db_disconnect(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->nseen = 0;
	db->recycle_due = 0;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db->seen);
	free(db->conninfo);
	free(db->application_name);
	free(db);
}

void
db_set_owner(struct db *db, long idle_tx_timeout_ms)
{
	size_t n = strlen(db->options);

	db->owner = 1;
	if (idle_tx_timeout_ms > 0)
		snprintf(db->options + n, sizeof(db->options) - n,
		    " -c idle_in_transaction_session_timeout=%ld", idle_tx_timeout_ms);
	db_disconnect(db);
}

void
db_set_error_counter(struct db *db, unsigned long *counter)
{
	db->errors = counter;
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}

static void
count_error(struct db *db)
{
	if (db->errors != NULL)
		__atomic_fetch_add(db->errors, 1, __ATOMIC_RELAXED);
}

/*
 * Whether an idle connection is still there. An idle connection has nothing
 * to say: these connections never LISTEN, so if its socket is readable the
 * server has sent a farewell (a restart, an administrator ending the
 * session) or closed it. Reading the farewell does not tell libpq the
 * connection is gone (PQconsumeInput is content with the bytes; only a
 * read that meets the end would say so, and the end may not have arrived
 * yet), so anything unasked counts as a goodbye: at worst a stray notice
 * costs a new connection. One poll(2) per transaction spares the first
 * request after a database restart a 503.
 */
static int
idle_alive(PGconn *conn)
{
	struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

	return poll(&pfd, 1, 0) == 0;
}

enum app_err
db_ensure(struct db *db)
{
	/* Later keywords override what the connection string says. */
	const char *const keys[] = {
	    "dbname", "application_name", "options", "connect_timeout", NULL};
	const char *const vals[] = {db->conninfo, db->application_name, db->options, "3", NULL};

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE && idle_alive(db->conn))
		return APP_OK;
	db_disconnect(db);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* The message can name hosts and users, never passwords. */
		log_msg(
		    LOG_ERROR, NULL, "database connection failed: %s", PQerrorMessage(db->conn));
		count_error(db);
		db_disconnect(db);
		return APP_ERR_SERVICE_UNAVAILABLE;
	}
	return APP_OK;
}

/* Maps a failed result (or a dead connection) to the contract's error. */
static enum app_err
classify(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint;
	size_t i;

	count_error(db);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_msg(LOG_ERROR, NULL, "database connection lost");
		db_disconnect(db);
		return APP_ERR_SERVICE_UNAVAILABLE;
	}
	if (state != NULL && strcmp(state, SQLSTATE_UNIQUE) == 0) {
		constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
		for (i = 0; constraint && i < sizeof(unique_codes) / sizeof(unique_codes[0]); i++)
			if (strcmp(constraint, unique_codes[i].constraint) == 0)
				return unique_codes[i].err;
		return APP_ERR_CONFLICT;
	}
	if (state != NULL && strcmp(state, SQLSTATE_FOREIGN_KEY) == 0)
		return APP_ERR_CONFLICT;
	/* public.lock_user() and lock_session(): the ground moved under the request. */
	if (state != NULL && strcmp(state, SQLSTATE_ACCOUNT_CHANGED) == 0)
		return APP_ERR_INVALID_CREDENTIALS;
	if (state != NULL && strcmp(state, SQLSTATE_SESSION_ENDED) == 0)
		return APP_ERR_INVALID_TOKEN;
	if (state != NULL)
		log_msg(LOG_ERROR, NULL, "database error %s: %s", state,
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	else
		log_msg(LOG_ERROR, NULL, "database: unexpected result %s",
		    res ? PQresStatus(PQresultStatus(res)) : "(none)");
	/* 57014 statement timeout, 40001/40P01 serialization, 53xxx resources. */
	if (state != NULL &&
	    (strcmp(state, "57014") == 0 || strncmp(state, "40", 2) == 0 ||
	        strncmp(state, "53", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	        strncmp(state, "08", 2) == 0))
		return APP_ERR_SERVICE_UNAVAILABLE;
	return APP_ERR_INTERNAL;
}

static void
result_release(void *p)
{
	PQclear(p);
}

/* Runs one statement and checks its status; the result goes to the arena. */
static enum app_err
exec(struct db *db, struct arena *a, const struct db_stmt *st, ExecStatusType want, PGresult **out)
{
	PGresult *res;

	if (out != NULL)
		*out = NULL;
	/* Outside a transaction, make sure there is a live connection. */
	if (db->conn == NULL || PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
		enum app_err err = db_ensure(db);

		if (err != APP_OK)
			return err;
	}
	res = PQexecParams(db->conn, st->sql, st->nparams, NULL, st->params, NULL, NULL, 0);
	if (PQresultStatus(res) != want) {
		enum app_err err = classify(db, res);

		PQclear(res);
		return err;
	}
	arena_defer(a, result_release, res);
	if (out != NULL)
		*out = res;
	return APP_OK;
}

enum app_err
db_query(struct db *db, struct arena *a, const struct db_stmt *st, PGresult **out)
{
	return exec(db, a, st, PGRES_TUPLES_OK, out);
}

enum app_err
db_command(struct db *db, struct arena *a, const struct db_stmt *st)
{
	return exec(db, a, st, PGRES_COMMAND_OK, NULL);
}

/* Remembers schema; past DB_RECYCLE_TENANTS distinct ones, the connection
 * is closed after the transaction so the server's catalog caches go too. */
static void
note_tenant(struct db *db, const char *schema)
{
	uint64_t h = 1469598103934665603ULL;
	long i;

	for (; *schema != '\0'; schema++)
		h = (h ^ (unsigned char)*schema) * 1099511628211ULL;
	for (i = 0; i < db->nseen; i++)
		if (db->seen[i] == h)
			return;
	if (db->nseen < db->recycle)
		db->seen[db->nseen++] = h;
	if (db->nseen >= db->recycle)
		db->recycle_due = 1;
}

static const char sql_begin[] = "BEGIN";
/*
 * A tenant transaction's path and role, both local to the transaction: the
 * schema named by the tenants row, and the role of the same name (see
 * schema/roles.sql). The owner's connection (db_set_owner) keeps its role.
 */
static const char sql_path[] = "SELECT set_config('search_path', quote_ident($1), true),"
                               " set_config('role', $1, true)";
static const char sql_owner_path[] = "SELECT set_config('search_path', quote_ident($1), true)";

static const char *
path_sql(const struct db *db)
{
	return db->owner ? sql_owner_path : sql_path;
}
static const char sql_commit[] = "COMMIT";

/*
 * Sends every statement in pipeline mode and reads every result. results[i]
 * gets stmts[i]'s result; the first failure decides the error.
 */
static enum app_err
pipeline(struct db *db, struct arena *a, const struct db_stmt *stmts, size_t n, PGresult **results)
{
	enum app_err err = APP_OK;
	const PGresult *failed = NULL;
	PGresult *res;
	size_t i;

	if (PQenterPipelineMode(db->conn) != 1)
		return classify(db, NULL);
	for (i = 0; i < n; i++) {
		if (PQsendQueryParams(db->conn, stmts[i].sql, stmts[i].nparams, NULL,
		        stmts[i].params, NULL, NULL, 0) != 1)
			break;
	}
	if (i < n || PQpipelineSync(db->conn) != 1) {
		err = classify(db, NULL);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ExecStatusType st;

		if ((res = PQgetResult(db->conn)) == NULL) {
			err = classify(db, NULL);
			goto out;
		}
		arena_defer(a, result_release, res);
		st = PQresultStatus(res);
		if (results != NULL)
			results[i] = res;
		if (failed == NULL && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			failed = res;
		/* Each query's results end with a NULL. */
		while ((res = PQgetResult(db->conn)) != NULL)
			PQclear(res);
	}
	if ((res = PQgetResult(db->conn)) == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PQclear(res);
		err = classify(db, NULL);
		goto out;
	}
	PQclear(res);
	if (failed != NULL)
		err = classify(db, failed);
out:
	if (db->conn != NULL && PQexitPipelineMode(db->conn) != 1)
		db_disconnect(db);
	return err;
}

enum app_err
db_begin(struct db *db, struct arena *a, const char *schema)
{
	const char *path[1] = {schema};
	struct db_stmt stmts[2] = {
	    {sql_begin, 0, NULL},
	    {path_sql(db), 1, path},
	};
	enum app_err err;

	if ((err = db_ensure(db)) != APP_OK)
		return err;
	if (schema != NULL)
		note_tenant(db, schema);
	if ((err = pipeline(db, a, stmts, schema ? 2 : 1, NULL)) != APP_OK)
		db_rollback(db);
	return err;
}

enum app_err
db_commit(struct db *db)
{
	PGresult *res;
	enum app_err err = APP_OK;

	if (db->conn == NULL)
		return APP_ERR_SERVICE_UNAVAILABLE;
	res = PQexec(db->conn, sql_commit);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		err = classify(db, res);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		/* A transaction that had failed answers COMMIT with ROLLBACK. */
		log_msg(LOG_ERROR, NULL, "database: commit of a failed transaction");
		err = APP_ERR_INTERNAL;
	}
	PQclear(res);
	if (err == APP_OK && db->recycle_due)
		db_disconnect(db);
	return err;
}

void
db_rollback(struct db *db)
{
	if (db->conn == NULL)
		return;
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
	if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_disconnect(db);
}

enum app_err
db_tx(struct db *db, struct arena *a, const char *schema, const struct db_stmt *stmts, size_t n,
    PGresult **results)
{
	const char *path[1] = {schema};
	struct db_stmt *all;
	PGresult **res;
	size_t head = schema ? 2 : 1, i;
	enum app_err err;

	if ((err = db_ensure(db)) != APP_OK)
		return err;
	if (schema != NULL)
		note_tenant(db, schema);
	all = arena_alloc(a, (n + head + 1) * sizeof(*all));
	res = arena_alloc(a, (n + head + 1) * sizeof(*res));
	all[0] = (struct db_stmt){sql_begin, 0, NULL};
	all[1] = (struct db_stmt){path_sql(db), 1, path};
	for (i = 0; i < n; i++)
		all[head + i] = stmts[i];
	all[head + n] = (struct db_stmt){sql_commit, 0, NULL};
	err = pipeline(db, a, all, n + head + 1, res);
	if (err != APP_OK) {
		db_rollback(db);
		return err;
	}
	for (i = 0; results != NULL && i < n; i++)
		results[i] = res[head + i];
	if (db->recycle_due)
		db_disconnect(db);
	return APP_OK;
}

const char *
db_value(const PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}
