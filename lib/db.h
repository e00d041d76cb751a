/*
 * The database, one libpq connection per process. Connected lazily, and
 * re-established on the next call after it broke. Every statement is fixed
 * text with bound parameters. Tenant work runs in a transaction that first
 * sets the search path and the role, local to that transaction, to the
 * schema named by the tenants row and that tenant's role; pipeline mode sends a whole short
 * transaction in one round trip. Failures come back as enum app_err: a dead server is
 * SERVICE_UNAVAILABLE, a unique violation the code chosen for that
 * constraint, anything else INTERNAL (logged in full, shown to nobody).
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <libpq-fe.h>

#include "err.h"

struct arena;
struct db;

struct db_stmt {
	const char *sql;
	int nparams;
	const char *const *params; /* text values; NULL is SQL NULL */
};

/* A handle that will connect on first use. Never NULL. */
struct db *db_new(const char *conninfo, const char *application_name, long statement_timeout_ms,
    long recycle_tenants);
void db_free(struct db *);

/* Where database errors are counted (shared memory for /metrics); may be NULL. */
void db_set_error_counter(struct db *, unsigned long *);

/*
 * Marks the handle as the owner's (saas-jobs, tools): its tenant
 * transactions set the search path but stay in the owner's role. On the
 * application's handles, a tenant transaction also runs as the tenant's own
 * role, which alone may reach that tenant's schema. A transaction left idle
 * longer than idle_tx_timeout_ms (0: no limit) is ended by the server.
 */
void db_set_owner(struct db *, long idle_tx_timeout_ms);

/* Connects if needed. APP_OK or APP_ERR_SERVICE_UNAVAILABLE. */
enum app_err db_ensure(struct db *);
/* Closes the connection (the next call reconnects). */
void db_disconnect(struct db *);
/* The raw connection for tests and tools, or NULL. */
PGconn *db_conn(struct db *);

/*
 * One statement in its own implicit transaction, or inside the transaction
 * opened by db_begin(). db_query expects rows, db_command a command (a
 * command with RETURNING counts as rows: use db_query). *out, when given, is
 * owned by the arena.
 */
enum app_err db_query(struct db *, struct arena *, const struct db_stmt *, PGresult **out);
enum app_err db_command(struct db *, struct arena *, const struct db_stmt *);

/*
 * BEGIN and, when schema is not NULL, the transaction-local search path,
 * in one round trip. Ends with db_commit() or db_rollback().
 */
enum app_err db_begin(struct db *, struct arena *, const char *schema);
enum app_err db_commit(struct db *);
void db_rollback(struct db *);

/*
 * A whole transaction in one round trip: BEGIN, the search path (schema may
 * be NULL for the lobby), stmts[0..n-1], COMMIT. results[i] receives the
 * result of stmts[i] (owned by the arena). Any failure rolls everything back.
 */
enum app_err db_tx(struct db *, struct arena *, const char *schema, const struct db_stmt *stmts,
    size_t n, PGresult **results);

/* A value of a result, or NULL for SQL NULL or out of range. */
const char *db_value(const PGresult *, int row, int col);

#endif
