/*
 * The signed-in account (API.md, "Auth"): refresh, logout, logout-all, me
 * and switch-tenant. Refresh tokens rotate: each is single use, and one
 * presented again revokes its whole family (the session).
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "routes.h"
#include "session.h"
#include "token.h"
#include "validate.h"

/*
 * Consumes a live refresh token and issues its successor, atomically: of
 * several concurrent refreshes of one token exactly one matches
 * "used_at IS NULL". The successor expires after REFRESH_TOKEN_TTL idle,
 * never after its session.
 */
static const char sql_rotate[] =
    "WITH c AS ("
    "  UPDATE public.refresh_tokens r SET used_at = now()"
    "  FROM public.sessions s, public.users u"
    "  WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.revoked_at IS NULL"
    "   AND r.expires_at > now() AND s.id = r.session_id AND s.revoked_at IS NULL"
    "   AND s.expires_at > now() AND u.id = s.user_id AND u.is_active"
    "   AND (s.tenant_id IS NULL OR EXISTS (SELECT 1 FROM public.user_tenant_membership m"
    "    WHERE m.tenant_id = s.tenant_id AND m.user_id = s.user_id))"
    "  RETURNING r.id AS rid, s.id AS sid, s.user_id, s.tenant_id, s.impersonator_id,"
    "   s.expires_at),"
    " n AS ("
    "  INSERT INTO public.refresh_tokens (session_id, parent_id, token_hash, expires_at)"
    "  SELECT sid, rid, $2, least(now() + make_interval(secs => $3), expires_at) FROM c),"
    " l AS (UPDATE public.sessions SET last_used_at = now() WHERE id IN (SELECT sid FROM c))"
    " SELECT c.sid, c.user_id, c.tenant_id, t.slug, m.role, c.impersonator_id, t.status"
    " FROM c LEFT JOIN public.tenants t ON t.id = c.tenant_id"
    " LEFT JOIN public.user_tenant_membership m"
    "  ON m.tenant_id = c.tenant_id AND m.user_id = c.user_id";

/* Why a token did not rotate. */
static const char sql_refresh_why[] =
    "SELECT r.used_at IS NOT NULL, r.expires_at <= now() OR s.expires_at <= now(),"
    " r.session_id, s.user_id, s.tenant_id"
    " FROM public.refresh_tokens r JOIN public.sessions s ON s.id = r.session_id"
    " WHERE r.token_hash = $1";

static const char sql_revoke_family[] =
    "WITH s AS (UPDATE public.sessions SET revoked_at = coalesce(revoked_at, now())"
    "  WHERE id = $1)"
    " UPDATE public.refresh_tokens SET revoked_at = now()"
    " WHERE session_id = $1 AND revoked_at IS NULL";

static const struct field refresh_fields[] = {
    {"refresh_token", FIELD_STRING, 1, 1, 8192, NULL},
};

/* The token did not rotate: expired, unknown, or used before (a theft). */
static enum app_err
refresh_refused(struct app *app, struct request *req, const char *hash)
{
	struct db_stmt st[2];
	const char *sid, *uid;
	PGresult *res;
	enum app_err err;

	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_refresh_why, 1, &hash},
	         &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_INVALID_TOKEN;
	if (strcmp(db_value(res, 0, 0), "t") != 0)
		return strcmp(db_value(res, 0, 1), "t") == 0 ? APP_ERR_TOKEN_EXPIRED
		                                             : APP_ERR_INVALID_TOKEN;
	/* A used token again: whoever holds the family, it is compromised. */
	sid = db_value(res, 0, 2);
	uid = db_value(res, 0, 3);
	st[0] = (struct db_stmt){sql_revoke_family, 1, &sid};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"auth.refresh_reuse_detected", uid, NULL, db_value(res, 0, 4),
	        "session", sid, NULL});
	if ((err = db_tx(app->db, req->arena, NULL, st, 2, NULL)) != APP_OK)
		return err;
	return APP_ERR_REFRESH_TOKEN_REUSED;
}

/* POST /auth/refresh {refresh_token}: 200 a new pair; 401 INVALID_TOKEN,
 * TOKEN_EXPIRED, REFRESH_TOKEN_REUSED (a tenant session whose membership
 * is gone no longer rotates: INVALID_TOKEN). */
enum app_err
auth_refresh(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX], next_hash[TOKEN_HASH_HEX];
	struct session_subject s;
	struct session_pair pair;
	const char *p[3];
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, refresh_fields, 1)) != APP_OK)
		return err;
	token_hash(json_str(req->json, "refresh_token"), hash);
	memset(&pair, 0, sizeof(pair));
	pair.refresh_token = token_random(req->arena);
	token_hash(pair.refresh_token, next_hash);
	p[0] = hash;
	p[1] = next_hash;
	p[2] = arena_printf(req->arena, "%ld", app->cfg.refresh_token_ttl);
	if ((err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_rotate, 3, p}, 1,
	         &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return refresh_refused(app, req, hash);
	memset(&s, 0, sizeof(s));
	s.user_id = db_value(res, 0, 1);
	s.tenant_id = db_value(res, 0, 2);
	s.tenant_slug = db_value(res, 0, 3);
	s.role = db_value(res, 0, 4);
	s.impersonator_id = db_value(res, 0, 5);
	req->log_user = s.user_id;
	if ((err = session_access_token(app, req, &s, db_value(res, 0, 0), &pair)) != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}

static const char sql_logout[] =
    "WITH s AS ("
    "  UPDATE public.sessions SET revoked_at = now()"
    "  WHERE user_id = $1 AND revoked_at IS NULL AND (id = $2 OR id = ("
    "   SELECT session_id FROM public.refresh_tokens WHERE token_hash = $3))"
    "  RETURNING id)"
    " UPDATE public.refresh_tokens SET revoked_at = now()"
    " WHERE session_id IN (SELECT id FROM s) AND revoked_at IS NULL";

/* POST /auth/logout {refresh_token}: 204; this session and that family end. */
enum app_err
auth_logout(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	char hash[TOKEN_HASH_HEX];
	struct db_stmt st[2];
	const char **p = arena_alloc(req->arena, 3 * sizeof(*p));
	enum app_err err;

	if ((err = request_fields(req, refresh_fields, 1)) != APP_OK)
		return err;
	token_hash(json_str(req->json, "refresh_token"), hash);
	p[0] = who->user_id;
	p[1] = who->session_id;
	p[2] = hash;
	st[0] = (struct db_stmt){sql_logout, 3, p};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"auth.logout", who->user_id, who->impersonator_id, who->tenant_id,
	        "session", who->session_id, NULL});
	if ((err = db_tx(app->db, req->arena, NULL, st, 2, NULL)) != APP_OK)
		return err;
	resp->status = 204;
	return APP_OK;
}

static const char sql_logout_all[] =
    "WITH u AS (UPDATE public.users SET tokens_valid_after = now() WHERE id = $1),"
    " s AS (UPDATE public.sessions SET revoked_at = now()"
    "  WHERE user_id = $1 AND revoked_at IS NULL RETURNING id)"
    " UPDATE public.refresh_tokens SET revoked_at = now()"
    " WHERE session_id IN (SELECT id FROM s) AND revoked_at IS NULL";

/* POST /auth/logout-all: 204, every session of the user ends; 403 under impersonation. */
enum app_err
auth_logout_all(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	struct db_stmt st[3];
	enum app_err err;

	if (who->impersonator_id != NULL)
		return APP_ERR_IMPERSONATION_FORBIDDEN;
	/* Locked first, so no session being made right now escapes the revocation. */
	st[0] = session_lock_user(req, who->user_id, NULL);
	st[1] = (struct db_stmt){sql_logout_all, 1, &who->user_id};
	st[2] = audit_stmt(req,
	    &(struct audit_entry){
	        "auth.logout_all", who->user_id, NULL, who->tenant_id, "user", who->user_id, NULL});
	if ((err = db_tx(app->db, req->arena, NULL, st, 3, NULL)) != APP_OK)
		return err;
	resp->status = 204;
	return APP_OK;
}

/* GET /auth/me: 200 {user, tenant, role, impersonator}. */
enum app_err
auth_me(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	json_t *tenant = json_null(), *imp = json_null();

	(void)app;
	if (who->tenant_id != NULL)
		tenant = json_pack("{s:s, s:s, s:s, s:s}", "id", who->tenant_id, "slug",
		    who->tenant_slug, "name", who->tenant_name, "status", who->tenant_status);
	if (who->impersonator_id != NULL)
		imp = json_pack("{s:s}", "id", who->impersonator_id);
	resp->no_store = 1;
	return response_json(req, resp, 200,
	    json_pack("{s:{s:s, s:s, s:s, s:b, s:b, s:s}, s:o, s:s?, s:o}", "user", "id",
	        who->user_id, "email", who->email, "full_name", who->full_name, "email_verified",
	        who->email_verified, "is_superuser", who->is_superuser, "created_at",
	        who->created_at, "tenant", tenant, "role", who->role, "impersonator", imp));
}

static const struct field switch_fields[] = {
    {"tenant_slug", FIELD_STRING, 1, 3, 56, slug_is_wellformed},
};

static const char sql_switch[] =
    "SELECT t.id, t.slug, t.status, m.role FROM public.tenants t"
    " LEFT JOIN public.user_tenant_membership m ON m.tenant_id = t.id AND m.user_id = $1"
    " WHERE t.slug = $2 AND t.status NOT IN ('deleting', 'deleted')";

static const char sql_end_session[] = "UPDATE public.sessions SET revoked_at = now() WHERE id = $1";

/* POST /auth/switch-tenant {tenant_slug}: 200 a pair for that tenant; 403, 404. */
enum app_err
auth_switch_tenant(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	struct session_subject s;
	struct session_pair pair;
	struct db_stmt before[3];
	const char *p[2];
	PGresult *res;
	enum app_err err;

	if (who->impersonator_id != NULL)
		return APP_ERR_IMPERSONATION_FORBIDDEN;
	if ((err = request_fields(req, switch_fields, 1)) != APP_OK)
		return err;
	p[0] = who->user_id;
	p[1] = json_str(req->json, "tenant_slug");
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_switch, 2, p}, &res)) !=
	    APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_TENANT_NOT_FOUND;
	if (db_value(res, 0, 3) == NULL)
		return APP_ERR_NOT_A_MEMBER;
	if (strcmp(db_value(res, 0, 2), "suspended") == 0)
		return APP_ERR_TENANT_SUSPENDED;
	memset(&s, 0, sizeof(s));
	s.user_id = who->user_id;
	s.tenant_id = db_value(res, 0, 0);
	s.tenant_slug = db_value(res, 0, 1);
	s.role = db_value(res, 0, 3);
	/* The session it switches from, still alive, ends; the new one replaces it. */
	before[0] = session_lock_user(req, who->user_id, NULL);
	before[1] = session_lock_session(req, who->session_id);
	before[2] = (struct db_stmt){sql_end_session, 1, &who->session_id};
	if ((err = session_start(app, req, &s, before, 3, 3, &pair)) != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}
