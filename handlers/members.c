/*
 * Members of the current tenant (API.md, "Members and invites"). Admins and
 * owners manage members; only an owner grants or removes owner or admin;
 * anyone may leave. The last owner can be neither demoted nor removed: each
 * change locks the tenant row first, so two owners demoting each other at
 * once cannot leave the tenant with none.
 */
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "list.h"
#include "routes.h"
#include "validate.h"

static const char sql_list[] =
    "SELECT m.user_id, u.email, u.full_name, m.role, public.rfc3339(m.created_at)"
    " FROM public.user_tenant_membership m JOIN public.users u ON u.id = m.user_id"
    " WHERE m.tenant_id = $1 ORDER BY m.created_at, m.user_id";

static json_t *
member_json(const PGresult *res, int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "user_id", db_value(res, i, 0), "email",
	    db_value(res, i, 1), "full_name", db_value(res, i, 2), "role", db_value(res, i, 3),
	    "joined_at", db_value(res, i, 4));
}

/* GET /members: 200 {items: [{user_id, email, full_name, role, joined_at}]}. */
enum app_err
members_list(struct app *app, struct request *req, struct response *resp)
{
	return list_reply(
	    app, req, resp, &(struct db_stmt){sql_list, 1, &req->who->tenant_id}, member_json);
}

/*
 * Every membership change starts by locking the tenant row for the rest of
 * the transaction, then reads the roles in a statement of its own: under
 * READ COMMITTED a statement sees the data as of its start, so roles read in
 * the locking statement itself could predate a change that committed while
 * it waited for the lock.
 */
static const char sql_lock[] = "SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE";

/* The target's role, the caller's role and the number of owners. */
static const char sql_roles[] = "SELECT (SELECT role FROM public.user_tenant_membership"
                                "   WHERE tenant_id = $1 AND user_id = $2),"
                                " (SELECT role FROM public.user_tenant_membership"
                                "   WHERE tenant_id = $1 AND user_id = $3),"
                                " (SELECT count(*) FROM public.user_tenant_membership"
                                "   WHERE tenant_id = $1 AND role = 'owner')";

static const char sql_set_role[] =
    "UPDATE public.user_tenant_membership m SET role = $3"
    " FROM public.users u WHERE m.tenant_id = $1 AND m.user_id = $2 AND u.id = m.user_id"
    " RETURNING m.user_id, u.email, u.full_name, m.role, public.rfc3339(m.created_at)";

static const char sql_remove[] =
    "DELETE FROM public.user_tenant_membership WHERE tenant_id = $1 AND user_id = $2";

/* Ends the removed member's sessions for this tenant at once. */
static const char sql_end_sessions[] =
    "UPDATE public.sessions SET revoked_at = now()"
    " WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL";

static int
is_privileged(const char *role)
{
	return strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0;
}

/*
 * Whether the caller may move target from role `from` to role `to` (NULL:
 * remove). Admins manage members; owner and admin are an owner's to give
 * and take.
 */
static enum app_err
may_change(const char *caller, const char *from, const char *to)
{
	if (strcmp(caller, "owner") == 0)
		return APP_OK;
	if (strcmp(caller, "admin") != 0)
		return APP_ERR_FORBIDDEN;
	if (is_privileged(from) || (to != NULL && is_privileged(to)))
		return APP_ERR_FORBIDDEN;
	return APP_OK;
}

/*
 * Locks the tenant, reads the target's and the caller's roles, and decides:
 * 404 for a user who is not a member (or no id at all), 403 when the caller
 * may not make this change, 409 LAST_OWNER when it would leave no owner. to
 * is the new role, or NULL for a removal; self allows leaving. The caller's
 * role is the one read under the lock, not the one the request began with.
 */
static enum app_err
lock_and_check(struct app *app, struct request *req, const char *user_id, const char *to, int self,
    const char **role)
{
	const char *p[3] = {req->who->tenant_id, user_id, req->who->user_id};
	const char *caller;
	PGresult *res;
	enum app_err err;

	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_lock, 1, p}, &res)) !=
	        APP_OK ||
	    (err = db_query(app->db, req->arena, &(struct db_stmt){sql_roles, 3, p}, &res)) !=
	        APP_OK)
		return err;
	if ((*role = db_value(res, 0, 0)) == NULL)
		return APP_ERR_NOT_FOUND;
	if (!self) {
		if ((caller = db_value(res, 0, 1)) == NULL)
			return APP_ERR_FORBIDDEN;
		if ((err = may_change(caller, *role, to)) != APP_OK)
			return err;
	}
	if (strcmp(*role, "owner") == 0 && (to == NULL || strcmp(to, "owner") != 0) &&
	    strcmp(db_value(res, 0, 2), "1") == 0)
		return APP_ERR_LAST_OWNER;
	return APP_OK;
}

static const struct field role_fields[] = {
    {"role", FIELD_STRING, 1, 1, 16, role_is_valid},
};

/* Runs the change that lock_and_check() allowed, and its audit entry; commits. */
static enum app_err
change(struct app *app, struct request *req, const struct db_stmt *st, size_t n, const char *action,
    const char *user_id, json_t *details, PGresult **res)
{
	const struct principal *who = req->who;
	struct db_stmt audit = audit_stmt(req,
	    &(struct audit_entry){action, who->user_id, who->impersonator_id, who->tenant_id,
	        "user", user_id, details});
	enum app_err err = APP_OK;
	size_t i;

	for (i = 0; i < n && err == APP_OK; i++)
		err = i == 0 && res != NULL ? db_query(app->db, req->arena, &st[i], res)
		                            : db_command(app->db, req->arena, &st[i]);
	if (err == APP_OK)
		err = db_command(app->db, req->arena, &audit);
	if (err == APP_OK)
		err = db_commit(app->db);
	return err;
}

/* PATCH /members/{user_id} {role}: 200 the member; 403, 404, 409 LAST_OWNER, 422. */
enum app_err
members_update(struct app *app, struct request *req, struct response *resp)
{
	const char *user_id = req->params[0], *to, *from, **p;
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, role_fields, 1)) != APP_OK)
		return err;
	if (!uuid_is_valid(user_id))
		return APP_ERR_NOT_FOUND;
	to = json_str(req->json, "role");
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = lock_and_check(app, req, user_id, to, 0, &from)) != APP_OK)
		goto fail;
	p = arena_alloc(req->arena, 3 * sizeof(*p));
	p[0] = req->who->tenant_id;
	p[1] = user_id;
	p[2] = to;
	err = change(app, req, &(struct db_stmt){sql_set_role, 3, p}, 1, "member.role_change",
	    user_id, req_json(req, json_pack("{s:s, s:s}", "from", from, "to", to)), &res);
	if (err != APP_OK)
		goto fail;
	return response_json(req, resp, 200, member_json(res, 0));
fail:
	db_rollback(app->db);
	return err;
}

/* DELETE /members/{user_id}: 204; an admin's or one's own; 403, 404, 409 LAST_OWNER. */
enum app_err
members_remove(struct app *app, struct request *req, struct response *resp)
{
	const char *user_id = req->params[0], *from, **p;
	struct db_stmt st[2];
	int self;
	enum app_err err;

	if (!uuid_is_valid(user_id))
		return APP_ERR_NOT_FOUND;
	self = strcmp(user_id, req->who->user_id) == 0;
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = lock_and_check(app, req, user_id, NULL, self, &from)) != APP_OK)
		goto fail;
	p = arena_alloc(req->arena, 2 * sizeof(*p));
	p[0] = req->who->tenant_id;
	p[1] = user_id;
	st[0] = (struct db_stmt){sql_remove, 2, p};
	st[1] = (struct db_stmt){sql_end_sessions, 2, p};
	if ((err = change(app, req, st, 2, "member.remove", user_id,
	         req_json(req, json_pack("{s:s, s:b}", "role", from, "self", self)), NULL)) !=
	    APP_OK)
		goto fail;
	resp->status = 204;
	return APP_OK;
fail:
	db_rollback(app->db);
	return err;
}
