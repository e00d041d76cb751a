/*
 * Tenants (API.md, "Tenants and jobs"): the caller's list, a new tenant,
 * the current one, its name, its deletion. A new tenant is provisioned and a
 * deleted one dropped by jobs in the outbox; the request only records the
 * intent, in the same transaction as its audit entry.
 */
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "list.h"
#include "routes.h"
#include "session.h"
#include "validate.h"

static const char sql_mine[] =
    "SELECT t.id, t.slug, t.name, t.status, m.role, public.rfc3339(t.created_at)"
    " FROM public.user_tenant_membership m JOIN public.tenants t ON t.id = m.tenant_id"
    " WHERE m.user_id = $1 AND t.status <> 'deleted'"
    " ORDER BY t.created_at, t.id";

static json_t *
mine_json(const PGresult *res, int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", db_value(res, i, 0), "slug",
	    db_value(res, i, 1), "name", db_value(res, i, 2), "status", db_value(res, i, 3), "role",
	    db_value(res, i, 4), "created_at", db_value(res, i, 5));
}

/* GET /tenants: 200 {items: [{id, slug, name, status, role, created_at}]}, the caller's. */
enum app_err
tenants_list(struct app *app, struct request *req, struct response *resp)
{
	return list_reply(
	    app, req, resp, &(struct db_stmt){sql_mine, 1, &req->who->user_id}, mine_json);
}

static const struct field create_fields[] = {
    {"name", FIELD_STRING, 1, 1, 200, NULL},
    {"slug", FIELD_STRING, 1, 3, 56, slug_is_allowed},
};

/* The tenant, its owner and its provisioning job: all or nothing. */
static const char sql_create[] =
    "WITH t AS ("
    "  INSERT INTO public.tenants (slug, name) VALUES ($2, $3)"
    "  RETURNING id, slug, name, status, plan, created_at),"
    " m AS ("
    "  INSERT INTO public.user_tenant_membership (user_id, tenant_id, role)"
    "  SELECT $1, id, 'owner' FROM t),"
    " j AS ("
    "  INSERT INTO public.jobs (kind, tenant_id, payload, idempotency_key, created_by)"
    "  SELECT 'provision_tenant', id, jsonb_build_object('tenant_id', id), id::text, $1"
    "  FROM t RETURNING id),"
    " a AS ("
    "  INSERT INTO public.audit_logs (action, outcome, actor_id, impersonator_id,"
    "   tenant_id, target_type, target_id, ip, user_agent, request_id)"
    "  SELECT 'tenant.create', 'success', $1, $4, id, 'tenant', id::text, $5, $6, $7 FROM t)"
    " SELECT t.id, t.slug, t.name, t.status, t.plan, public.rfc3339(t.created_at), j.id"
    " FROM t, j";

static json_t *
tenant_json(const PGresult *res)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", db_value(res, 0, 0), "slug",
	    db_value(res, 0, 1), "name", db_value(res, 0, 2), "status", db_value(res, 0, 3), "plan",
	    db_value(res, 0, 4), "created_at", db_value(res, 0, 5));
}

/* POST /tenants {name, slug}: 202 {tenant, job_id}, the caller its owner; 409, 422. */
enum app_err
tenants_create(struct app *app, struct request *req, struct response *resp)
{
	const char *p[7];
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, create_fields, 2)) != APP_OK)
		return err;
	p[0] = req->who->user_id;
	p[1] = json_str(req->json, "slug");
	p[2] = json_str(req->json, "name");
	p[3] = req->who->impersonator_id;
	p[4] = req->remote_addr;
	p[5] = req->user_agent;
	p[6] = req->request_id;
	if ((err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_create, 7, p}, 1,
	         &res)) != APP_OK)
		return err;
	return response_json(req, resp, 202,
	    json_pack("{s:o, s:s}", "tenant", tenant_json(res), "job_id", db_value(res, 0, 6)));
}

/* GET /tenants/current: 200 {id, slug, name, status, plan, created_at}. */
enum app_err
tenants_current(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;

	(void)app;
	return response_json(req, resp, 200,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", who->tenant_id, "slug",
	        who->tenant_slug, "name", who->tenant_name, "status", who->tenant_status, "plan",
	        who->tenant_plan, "created_at", who->tenant_created_at));
}

static const struct field update_fields[] = {
    {"name", FIELD_STRING, 1, 1, 200, NULL},
};

static const char sql_rename[] =
    "UPDATE public.tenants SET name = $2, updated_at = now() WHERE id = $1"
    " RETURNING id, slug, name, status, plan, public.rfc3339(created_at)";

/* PATCH /tenants/current {name}: 200 the tenant; 403 below admin; 422. */
enum app_err
tenants_update(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	const char *p[2];
	struct db_stmt st[2];
	PGresult *res[2];
	enum app_err err;

	if ((err = request_fields(req, update_fields, 1)) != APP_OK)
		return err;
	p[0] = who->tenant_id;
	p[1] = json_str(req->json, "name");
	st[0] = (struct db_stmt){sql_rename, 2, p};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"tenant.update", who->user_id, who->impersonator_id,
	        who->tenant_id, "tenant", who->tenant_id,
	        req_json(req, json_pack("{s:s}", "name", p[1]))});
	if ((err = db_tx(app->db, req->arena, NULL, st, 2, res)) != APP_OK)
		return err;
	return response_json(req, resp, 200, tenant_json(res[0]));
}

/*
 * Marks a ready tenant deleting and queues its deletion (backup, drop,
 * deleted). The status was ready when the request began; the UPDATE checks
 * it again on the row as it is once locked, so a suspension that commits
 * meanwhile wins.
 */
static const char sql_delete[] =
    "WITH t AS ("
    "  UPDATE public.tenants SET status = 'deleting', updated_at = now()"
    "  WHERE id = $1 AND status = 'ready' RETURNING id)"
    " INSERT INTO public.jobs (kind, tenant_id, payload, idempotency_key, created_by)"
    " SELECT 'delete_tenant', id, jsonb_build_object('tenant_id', id), id::text, $2 FROM t"
    " RETURNING id";

/* The status that refused the deletion: a statement of its own, so it sees the change. */
static const char sql_status[] = "SELECT status FROM public.tenants WHERE id = $1";

/* DELETE /tenants/current: 202 {job_id}, status deleting; 403 below owner. */
enum app_err
tenants_delete(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	const char *p[2] = {who->tenant_id, who->user_id};
	struct db_stmt audit = audit_stmt(req,
	    &(struct audit_entry){"tenant.delete", who->user_id, who->impersonator_id,
	        who->tenant_id, "tenant", who->tenant_id, NULL});
	PGresult *res, *state;
	enum app_err err;

	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_delete, 2, p}, &res)) !=
	    APP_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_status, 1, p},
		         &state)) == APP_OK &&
		    (err = session_tenant_state(db_value(state, 0, 0))) == APP_OK)
			err = APP_ERR_CONFLICT;
		goto fail;
	}
	if ((err = db_command(app->db, req->arena, &audit)) != APP_OK ||
	    (err = db_commit(app->db)) != APP_OK)
		goto fail;
	return response_json(req, resp, 202, json_pack("{s:s}", "job_id", db_value(res, 0, 0)));
fail:
	db_rollback(app->db);
	return err;
}
