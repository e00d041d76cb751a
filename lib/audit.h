/*
 * The audit log (API.md, "Audit log"). A change and its success entry commit
 * together: audit_stmt() gives the INSERT to run inside the change's own
 * transaction. A failure entry (a refused login, a denied action) must
 * survive the rollback of what failed: audit_failure() writes it in a
 * transaction of its own. Every entry carries the request's id, address and
 * user agent. Never pass secrets in details.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <jansson.h>

#include "db.h"
#include "http.h"

struct audit_entry {
	const char *action;          /* "auth.login" */
	const char *actor_id;        /* user id, or NULL */
	const char *impersonator_id; /* superuser id under impersonation, or NULL */
	const char *tenant_id;       /* or NULL */
	const char *target_type;     /* "user", "tenant", ... or NULL */
	const char *target_id;
	json_t *details; /* borrowed; NULL for {} */
};

/* The INSERT of a success entry, to run in the change's transaction. */
struct db_stmt audit_stmt(struct request *, const struct audit_entry *);

/* Writes a failure entry on its own; a failure to write is logged, not returned. */
void audit_failure(struct db *, struct request *, const struct audit_entry *);

#endif
