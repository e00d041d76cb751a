/* Audit entries (see audit.h): one fixed INSERT, parameters from the request. */
#include "audit.h"

#include <stdlib.h>

#include "arena.h"
#include "log.h"

static const char sql_insert[] =
    "INSERT INTO public.audit_logs (action, outcome, actor_id, impersonator_id,"
    " tenant_id, target_type, target_id, ip, user_agent, request_id, details)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::jsonb, '{}'))";

static struct db_stmt
entry_stmt(struct request *req, const struct audit_entry *e, const char *outcome)
{
	const char **p = arena_alloc(req->arena, 11 * sizeof(*p));
	char *details = NULL;

	if (e->details != NULL)
		details = arena_defer(req->arena, free, json_dumps(e->details, JSON_COMPACT));
	p[0] = e->action;
	p[1] = outcome;
	p[2] = e->actor_id;
	p[3] = e->impersonator_id;
	p[4] = e->tenant_id;
	p[5] = e->target_type;
	p[6] = e->target_id;
	p[7] = req->remote_addr;
	p[8] = req->user_agent;
	p[9] = req->request_id;
	p[10] = details;
	return (struct db_stmt){sql_insert, 11, p};
}

struct db_stmt
audit_stmt(struct request *req, const struct audit_entry *e)
{
	return entry_stmt(req, e, "success");
}

void
audit_failure(struct db *db, struct request *req, const struct audit_entry *e)
{
	struct db_stmt st = entry_stmt(req, e, "failure");

	if (db_command(db, req->arena, &st) != APP_OK)
		log_msg(
		    LOG_ERROR, req->request_id, "audit: could not record %s failure", e->action);
}
