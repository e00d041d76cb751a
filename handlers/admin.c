/*
 * Superuser administration (API.md, "Superuser administration"): every
 * tenant listed, suspended and resumed, and impersonation of a tenant's
 * member. The route table's NEED_SUPERUSER has already refused everyone
 * else, impersonation tokens included. Each change commits with its audit
 * entry, the superuser its actor and the tenant its tenant, so the
 * tenant's own admins see it in their log.
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

/* A tenant as a superuser sees it; the columns of tenant_json(). */
#define TENANT_COLS                                                                                \
	"id, slug, name, status, plan, custom_domain, suspended_reason,"                           \
	" public.rfc3339(created_at), public.rfc3339(updated_at)"

static json_t *
tenant_json(const PGresult *res, int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}", "id",
	    db_value(res, i, 0), "slug", db_value(res, i, 1), "name", db_value(res, i, 2), "status",
	    db_value(res, i, 3), "plan", db_value(res, i, 4), "custom_domain", db_value(res, i, 5),
	    "suspended_reason", db_value(res, i, 6), "created_at", db_value(res, i, 7),
	    "updated_at", db_value(res, i, 8));
}

/* The page macros sit inside the text, which clang-format would take for their arguments. */
/* clang-format off */
static const char sql_tenants[] =
    "SELECT " TENANT_COLS ", " PAGE_KEY("created_at") ", id FROM public.tenants"
    " WHERE ($4::text IS NULL OR status = $4)"
    "  AND " PAGE_AFTER("created_at", "id", "$2", "$3")
    " ORDER BY created_at DESC, id DESC LIMIT $1";
/* clang-format on */

static const struct page_filter tenant_filters[] = {
    {"status", tenant_status_is_valid},
};

/* GET /admin/tenants?status&limit&cursor: 200 every tenant, newest first; 422. */
enum app_err
admin_tenants_list(struct app *app, struct request *req, struct response *resp)
{
	const char *status;
	struct page page;
	enum app_err err;

	if ((err = page_parse_filters(req, tenant_filters, 1, &status, &page)) != APP_OK)
		return err;
	return page_reply(app, req, resp, NULL,
	    &(struct db_stmt){sql_tenants, 4, page_params(req->arena, &page, &status, 1)}, &page,
	    tenant_json, 9);
}

static const char sql_lock_tenant[] =
    "SELECT id, status FROM public.tenants WHERE slug = $1 FOR UPDATE";

static const char sql_set_status[] =
    "UPDATE public.tenants SET status = $2, suspended_reason = $3, updated_at = now()"
    " WHERE id = $1 RETURNING " TENANT_COLS;

/*
 * Moves the tenant of the path's slug from status `from` to `to` (with
 * reason, or NULL) and audits it as action with details; answers 200 the
 * tenant. 404 TENANT_NOT_FOUND for an unknown or malformed slug, 409
 * CONFLICT when the tenant is not in status `from`.
 */
static enum app_err
transition(struct app *app, struct request *req, struct response *resp, const char *from,
    const char *to, const char *reason, const char *action, json_t *details)
{
	const char *slug = req->params[0], *id, **p;
	struct db_stmt audit;
	PGresult *res;
	enum app_err err;

	if (!slug_is_wellformed(slug))
		return APP_ERR_TENANT_NOT_FOUND;
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_lock_tenant, 1, &slug},
	         &res)) != APP_OK)
		goto fail;
	err = PQntuples(res) != 1                    ? APP_ERR_TENANT_NOT_FOUND
	    : strcmp(db_value(res, 0, 1), from) != 0 ? APP_ERR_CONFLICT
	                                             : APP_OK;
	if (err != APP_OK)
		goto fail;
	id = db_value(res, 0, 0);
	p = arena_alloc(req->arena, 3 * sizeof(*p));
	p[0] = id;
	p[1] = to;
	p[2] = reason;
	audit = audit_stmt(
	    req, &(struct audit_entry){action, req->who->user_id, NULL, id, "tenant", id, details});
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_set_status, 3, p}, &res)) !=
	        APP_OK ||
	    (err = db_command(app->db, req->arena, &audit)) != APP_OK ||
	    (err = db_commit(app->db)) != APP_OK)
		goto fail;
	return response_json(req, resp, 200, tenant_json(res, 0));
fail:
	db_rollback(app->db);
	return err;
}

static const struct field suspend_fields[] = {
    {"reason", FIELD_STRING, 1, 1, 1000, NULL},
};

/* POST /admin/tenants/{slug}/suspend {reason}: 200 the tenant; 404, 409 unless ready, 422. */
enum app_err
admin_tenants_suspend(struct app *app, struct request *req, struct response *resp)
{
	const char *reason;
	enum app_err err;

	if ((err = request_fields(req, suspend_fields, 1)) != APP_OK)
		return err;
	reason = json_str(req->json, "reason");
	return transition(app, req, resp, "ready", "suspended", reason, "tenant.suspend",
	    req_json(req, json_pack("{s:s}", "reason", reason)));
}

/* POST /admin/tenants/{slug}/resume: 200 the tenant, ready again; 404, 409 unless suspended. */
enum app_err
admin_tenants_resume(struct app *app, struct request *req, struct response *resp)
{
	return transition(app, req, resp, "suspended", "ready", NULL, "tenant.resume", NULL);
}

static const struct field impersonate_fields[] = {
    {"user_id", FIELD_STRING, 1, 36, 36, uuid_is_valid},
    {"tenant_slug", FIELD_STRING, 1, 3, 56, slug_is_wellformed},
    {"reason", FIELD_STRING, 1, 1, 1000, NULL},
};

/* The tenant, and the target's role and superuser flag when an active member of it. */
static const char sql_target[] =
    "SELECT t.id, t.slug, t.status, m.role, u.is_superuser FROM public.tenants t"
    " LEFT JOIN public.user_tenant_membership m ON m.tenant_id = t.id AND m.user_id = $1"
    " LEFT JOIN public.users u ON u.id = m.user_id AND u.is_active"
    " WHERE t.slug = $2";

/*
 * POST /admin/impersonate {user_id, tenant_slug, reason}: 200 {access_token,
 * token_type, expires_in, tenant} for a session of that member in that
 * tenant, on the superuser's behalf (claim act), at most 15 minutes, with
 * no refresh token. 404 TENANT_NOT_FOUND; the tenant states' answers
 * (503, 403 TENANT_SUSPENDED, 410); 404 NOT_FOUND unless the user is an
 * active member; 403 FORBIDDEN for a superuser; 422.
 */
enum app_err
admin_impersonate(struct app *app, struct request *req, struct response *resp)
{
	const char *p[2], *reason;
	struct session_subject s;
	struct session_pair pair;
	struct db_stmt audit;
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, impersonate_fields, 3)) != APP_OK)
		return err;
	p[0] = json_str(req->json, "user_id");
	p[1] = json_str(req->json, "tenant_slug");
	reason = json_str(req->json, "reason");
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_target, 2, p}, &res)) !=
	    APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_TENANT_NOT_FOUND;
	if ((err = session_tenant_state(db_value(res, 0, 2))) != APP_OK)
		return err;
	if (db_value(res, 0, 3) == NULL || db_value(res, 0, 4) == NULL)
		return APP_ERR_NOT_FOUND;
	if (strcmp(db_value(res, 0, 4), "t") == 0)
		return APP_ERR_FORBIDDEN;
	s = (struct session_subject){
	    p[0], db_value(res, 0, 0), db_value(res, 0, 1), db_value(res, 0, 3), req->who->user_id};
	audit = audit_stmt(req,
	    &(struct audit_entry){"admin.impersonate", req->who->user_id, NULL, s.tenant_id, "user",
	        s.user_id, req_json(req, json_pack("{s:s}", "reason", reason))});
	if ((err = session_start(app, req, &s, &audit, 1, 0, &pair)) != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}
