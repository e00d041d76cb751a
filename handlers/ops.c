/*
 * Operations endpoints: liveness, readiness, metrics and the OpenAPI
 * document. None of them is rate limited; only /readyz and /metrics touch
 * the database.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cache.h"
#include "db.h"
#include "metrics.h"
#include "routes.h"

/* 200 {"status": "ok"}, always, without touching the database. */
enum app_err
ops_healthz(struct app *app, struct request *req, struct response *resp)
{
	(void)app;
	return response_json(req, resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* 200 when the database and the cache answer, else 503 naming what failed. */
enum app_err
ops_readyz(struct app *app, struct request *req, struct response *resp)
{
	static const struct db_stmt ping = {"SELECT 1", 0, NULL};
	int db_ok = db_query(app->db, req->arena, &ping, NULL) == APP_OK;
	int cache_ok = app->cache != NULL && cache_ping(app->cache) == 0;
	int ready = db_ok && cache_ok;

	if (!ready)
		resp->retry_after = 5;
	return response_json(req, resp, ready ? 200 : 503,
	    json_pack("{s:s, s:{s:s, s:s}}", "status", ready ? "ready" : "unavailable", "checks",
	        "database", db_ok ? "ok" : "failed", "cache", cache_ok ? "ok" : "failed"));
}

static const char *
route_method(size_t i)
{
	return routes[i].method;
}

static const char *
route_path(size_t i)
{
	return routes[i].pattern;
}

/* Job counts by status; none when the database is away (the rest still renders). */
static size_t
job_counts(struct app *app, struct request *req, struct metrics_job_count **out)
{
	static const struct db_stmt st = {
	    "SELECT status, count(*) FROM public.jobs GROUP BY status ORDER BY status",
	    0,
	    NULL,
	};
	struct metrics_job_count *jobs;
	PGresult *res;
	int i, n;

	*out = NULL;
	if (db_query(app->db, req->arena, &st, &res) != APP_OK)
		return 0;
	n = PQntuples(res);
	jobs = arena_alloc(req->arena, (size_t)(n + 1) * sizeof(*jobs));
	for (i = 0; i < n; i++) {
		jobs[i].status = db_value(res, i, 0);
		jobs[i].count = strtol(db_value(res, i, 1), NULL, 10);
	}
	*out = jobs;
	return (size_t)n;
}

/* Prometheus text of every worker's counters, summed. */
enum app_err
ops_metrics(struct app *app, struct request *req, struct response *resp)
{
	struct metrics_job_count *jobs;
	size_t njobs = job_counts(app, req, &jobs);
	char *text = metrics_render(app->metrics, nroutes, route_method, route_path, jobs, njobs);

	if (text == NULL)
		return APP_ERR_INTERNAL;
	arena_defer(req->arena, free, text);
	resp->status = 200;
	resp->text = text;
	resp->text_len = strlen(text);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return APP_OK;
}

/* The OpenAPI 3.1 document, as built into the binary. */
enum app_err
ops_openapi(struct app *app, struct request *req, struct response *resp)
{
	(void)app;
	(void)req;
	resp->status = 200;
	resp->text = openapi_json;
	resp->text_len = openapi_json_len;
	resp->content_type = "application/json";
	return APP_OK;
}
