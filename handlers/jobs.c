/*
 * The outbox's jobs (API.md, "Tenants and jobs", "Superuser
 * administration"): a job for its tenant's members and for whoever made it,
 * every job for a superuser, and a dead or failed job put back to run. The
 * runner (jobs/) owns the rows otherwise; a retry only hands one back to it
 * (the jobs_notify_retry trigger wakes a waiting runner).
 */
#include <limits.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "list.h"
#include "outbox.h"
#include "routes.h"
#include "validate.h"

/* A job as every answer shows it; the columns of job_json(). */
#define JOB_COLS                                                                                   \
	"j.id, j.kind, j.status, j.step, j.attempts, j.last_error, j.tenant_id,"                   \
	" public.rfc3339(j.run_after), public.rfc3339(j.created_at),"                              \
	" public.rfc3339(j.updated_at)"

/* {id, kind, status, step, steps, attempts, last_error, tenant_id, run_after, created_at,
 * updated_at}. */
static json_t *
job_json(const PGresult *res, int i)
{
	const struct workflow *w = outbox_workflow(db_value(res, i, 1));
	json_t *steps = json_array();
	long step = 0, attempts = 0;
	size_t k;

	for (k = 0; w != NULL && k < w->nsteps; k++)
		json_array_append_new(steps, json_string(w->steps[k]));
	parse_long(db_value(res, i, 3), 0, LONG_MAX, &step);
	parse_long(db_value(res, i, 4), 0, LONG_MAX, &attempts);
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:I, s:s?, s:s?, s:s, s:s, s:s}", "id",
	    db_value(res, i, 0), "kind", db_value(res, i, 1), "status", db_value(res, i, 2), "step",
	    (json_int_t)step, "steps", steps, "attempts", (json_int_t)attempts, "last_error",
	    db_value(res, i, 5), "tenant_id", db_value(res, i, 6), "run_after", db_value(res, i, 7),
	    "created_at", db_value(res, i, 8), "updated_at", db_value(res, i, 9));
}

/* The job, if the caller made it or is a member of its tenant. */
static const char sql_job[] = "SELECT " JOB_COLS " FROM public.jobs j"
                              " WHERE j.id = $1 AND (j.created_by = $2 OR EXISTS ("
                              "  SELECT 1 FROM public.user_tenant_membership m"
                              "  WHERE m.tenant_id = j.tenant_id AND m.user_id = $2))";

/* GET /jobs/{id}: 200 the job; 404 for anyone not its creator or a member of its tenant. */
enum app_err
jobs_get(struct app *app, struct request *req, struct response *resp)
{
	const char **p;
	PGresult *res;
	enum app_err err;

	if (!uuid_is_valid(req->params[0]))
		return APP_ERR_NOT_FOUND;
	p = arena_alloc(req->arena, 2 * sizeof(*p));
	p[0] = req->params[0];
	p[1] = req->who->user_id;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_job, 2, p}, &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_NOT_FOUND;
	resp->no_store = 1;
	return response_json(req, resp, 200, job_json(res, 0));
}

/* The page macros sit inside the text, which clang-format would take for their arguments. */
/* clang-format off */
static const char sql_jobs[] =
    "SELECT " JOB_COLS ", " PAGE_KEY("j.created_at") ", j.id FROM public.jobs j"
    " WHERE ($4::text IS NULL OR j.status = $4) AND ($5::text IS NULL OR j.kind = $5)"
    "  AND " PAGE_AFTER("j.created_at", "j.id", "$2", "$3")
    " ORDER BY j.created_at DESC, j.id DESC LIMIT $1";
/* clang-format on */

/* A kind as the OpenAPI document bounds it: 1..100 bytes. */
static int
kind_is_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 100;
}

static const struct page_filter job_filters[] = {
    {"status", job_status_is_valid},
    {"kind", kind_is_valid},
};

/* GET /admin/jobs?status&kind&limit&cursor: 200 every job, newest first; 422. */
enum app_err
jobs_admin_list(struct app *app, struct request *req, struct response *resp)
{
	const char *filters[2];
	struct page page;
	enum app_err err;

	if ((err = page_parse_filters(req, job_filters, 2, filters, &page)) != APP_OK)
		return err;
	return page_reply(app, req, resp, NULL,
	    &(struct db_stmt){sql_jobs, 5, page_params(req->arena, &page, filters, 2)}, &page,
	    job_json, 10);
}

static const char sql_lock_job[] =
    "SELECT status, attempts, tenant_id FROM public.jobs WHERE id = $1 FOR UPDATE";

/* Back to the runner: due now, no lease; a dead job's attempts start again. */
static const char sql_retry[] =
    "UPDATE public.jobs j SET status = 'pending', run_after = now(),"
    " attempts = CASE WHEN j.status = 'dead' THEN 0 ELSE j.attempts END,"
    " locked_by = NULL, locked_until = NULL, lease_token = NULL, finished_at = NULL,"
    " updated_at = now()"
    " WHERE j.id = $1 RETURNING " JOB_COLS;

/*
 * POST /admin/jobs/{id}/retry: 202 the job, pending again, last_error kept;
 * audited as job.retry. 404 for an unknown or malformed id, 409 CONFLICT
 * unless the job is dead or failed.
 */
enum app_err
jobs_admin_retry(struct app *app, struct request *req, struct response *resp)
{
	const char *id = req->params[0], *status;
	struct db_stmt audit;
	long attempts = 0;
	PGresult *res;
	enum app_err err;

	if (!uuid_is_valid(id))
		return APP_ERR_NOT_FOUND;
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_lock_job, 1, &id}, &res)) !=
	    APP_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		err = APP_ERR_NOT_FOUND;
		goto fail;
	}
	status = db_value(res, 0, 0);
	if (strcmp(status, "dead") != 0 && strcmp(status, "failed") != 0) {
		err = APP_ERR_CONFLICT;
		goto fail;
	}
	parse_long(db_value(res, 0, 1), 0, LONG_MAX, &attempts);
	audit = audit_stmt(req,
	    &(struct audit_entry){"job.retry", req->who->user_id, NULL, db_value(res, 0, 2), "job",
	        id,
	        req_json(req,
	            json_pack("{s:s, s:I}", "status", status, "attempts", (json_int_t)attempts))});
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_retry, 1, &id}, &res)) !=
	        APP_OK ||
	    (err = db_command(app->db, req->arena, &audit)) != APP_OK ||
	    (err = db_commit(app->db)) != APP_OK)
		goto fail;
	return response_json(req, resp, 202, job_json(res, 0));
fail:
	db_rollback(app->db);
	return err;
}
