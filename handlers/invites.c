/*
 * Invitations (API.md, "Members and invites"). An admin invites an address
 * with a role (owner and admin only by an owner); the invitee gets a
 * single-use token by email, valid seven days and stored only as its hash.
 * Accepting it as a signed-in user (same address) adds a membership;
 * accepting it without a token creates the account, its address counted as
 * verified, and signs it in.
 */
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "audit.h"
#include "credentials.h"
#include "db.h"
#include "json.h"
#include "list.h"
#include "mail.h"
#include "routes.h"
#include "session.h"
#include "token.h"
#include "validate.h"

static const struct field invite_fields[] = {
    {"email", FIELD_STRING, 1, 3, 254, email_is_valid},
    {"role", FIELD_STRING, 1, 1, 16, role_is_valid},
};

static const char sql_is_member[] =
    "SELECT 1 FROM public.user_tenant_membership m JOIN public.users u ON u.id = m.user_id"
    " WHERE m.tenant_id = $1 AND lower(u.email) = lower($2)";

/* Expired invitations stop blocking a new one; then the invitation and its email. */
static const char sql_expire[] =
    "UPDATE public.tenant_invites SET status = 'expired'"
    " WHERE tenant_id = $1 AND lower(email) = lower($2) AND status = 'pending'"
    "  AND expires_at <= now()";

static const char sql_invite[] =
    "WITH i AS ("
    "  INSERT INTO public.tenant_invites (tenant_id, email, role, token_hash, invited_by,"
    "   expires_at) VALUES ($1, $2, $3, $4, $5, now() + interval '7 days')"
    "  RETURNING id, email, role, status, expires_at),"
    " j AS ("
    "  INSERT INTO public.jobs (kind, tenant_id, payload, created_by)"
    "  SELECT 'send_email', $1, jsonb_set($6::jsonb, '{to}', to_jsonb(email)), $5 FROM i)"
    " SELECT id, email, role, status, public.rfc3339(expires_at) FROM i";

static json_t *
invite_json(const PGresult *res, int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", db_value(res, i, 0), "email",
	    db_value(res, i, 1), "role", db_value(res, i, 2), "status", db_value(res, i, 3),
	    "expires_at", db_value(res, i, 4));
}

/* POST /invites {email, role}: 201 the invitation; 403, 409 ALREADY_MEMBER, INVITE_PENDING. */
enum app_err
invites_create(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	char hash[TOKEN_HASH_HEX];
	const char *email, *role, *token, **p;
	struct db_stmt st[3];
	PGresult *res[3];
	enum app_err err;

	if ((err = request_fields(req, invite_fields, 2)) != APP_OK)
		return err;
	email = json_str(req->json, "email");
	role = json_str(req->json, "role");
	if (strcmp(role, "member") != 0 && strcmp(who->role, "owner") != 0)
		return APP_ERR_FORBIDDEN;
	p = arena_alloc(req->arena, 6 * sizeof(*p));
	p[0] = who->tenant_id;
	p[1] = email;
	if ((err = db_query(
	         app->db, req->arena, &(struct db_stmt){sql_is_member, 2, p}, &res[0])) != APP_OK)
		return err;
	if (PQntuples(res[0]) > 0)
		return APP_ERR_ALREADY_MEMBER;
	token = token_random(req->arena);
	token_hash(token, hash);
	p[2] = role;
	p[3] = hash;
	p[4] = who->user_id;
	p[5] = mail_token_payload(req->arena, &app->cfg,
	    arena_printf(req->arena, "You are invited to %s", who->tenant_name),
	    arena_printf(req->arena, "You have been invited to join %s as %s %s.", who->tenant_name,
	        strcmp(role, "admin") == 0 || strcmp(role, "owner") == 0 ? "an" : "a", role),
	    "/accept-invite", token, "7 days");
	st[0] = (struct db_stmt){sql_expire, 2, p};
	st[1] = (struct db_stmt){sql_invite, 6, p};
	st[2] = audit_stmt(req,
	    &(struct audit_entry){"invite.create", who->user_id, who->impersonator_id,
	        who->tenant_id, "invite", NULL,
	        req_json(req, json_pack("{s:s, s:s}", "email", email, "role", role))});
	if ((err = db_tx(app->db, req->arena, NULL, st, 3, res)) != APP_OK)
		return err;
	response_header(resp, "Location",
	    arena_printf(req->arena, "/api/v1/invites/%s", db_value(res[1], 0, 0)));
	return response_json(req, resp, 201, invite_json(res[1], 0));
}

static const char sql_list[] =
    "SELECT id, email, role, CASE WHEN status = 'pending' AND expires_at <= now()"
    "  THEN 'expired' ELSE status END, public.rfc3339(expires_at)"
    " FROM public.tenant_invites WHERE tenant_id = $1"
    " ORDER BY created_at DESC, id DESC LIMIT 500";

/* GET /invites: 200 {items: [...]}, newest first. */
enum app_err
invites_list(struct app *app, struct request *req, struct response *resp)
{
	return list_reply(
	    app, req, resp, &(struct db_stmt){sql_list, 1, &req->who->tenant_id}, invite_json);
}

static const char sql_revoke[] =
    "UPDATE public.tenant_invites SET status = 'revoked'"
    " WHERE id = $1 AND tenant_id = $2 AND status = 'pending' RETURNING id";

/* DELETE /invites/{id}: 204 revoked; 404 (also another tenant's). */
enum app_err
invites_revoke(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	const char **p;
	struct db_stmt st[2];
	PGresult *res[2];
	enum app_err err;

	if (!uuid_is_valid(req->params[0]))
		return APP_ERR_NOT_FOUND;
	p = arena_alloc(req->arena, 2 * sizeof(*p));
	p[0] = req->params[0];
	p[1] = who->tenant_id;
	st[0] = (struct db_stmt){sql_revoke, 2, p};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"invite.revoke", who->user_id, who->impersonator_id,
	        who->tenant_id, "invite", req->params[0], NULL});
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &st[0], &res[0])) != APP_OK)
		goto fail;
	if (PQntuples(res[0]) != 1) {
		err = APP_ERR_NOT_FOUND;
		goto fail;
	}
	if ((err = db_command(app->db, req->arena, &st[1])) != APP_OK ||
	    (err = db_commit(app->db)) != APP_OK)
		goto fail;
	resp->status = 204;
	return APP_OK;
fail:
	db_rollback(app->db);
	return err;
}

/* ---- accepting ------------------------------------------------------ */

static const char sql_lookup[] =
    "SELECT i.email, i.tenant_id, i.role, t.slug, t.name, t.status"
    " FROM public.tenant_invites i JOIN public.tenants t ON t.id = i.tenant_id"
    " WHERE i.token_hash = $1 AND i.status = 'pending' AND i.expires_at > now()"
    "  AND t.status NOT IN ('deleting', 'deleted')";

/* Consumes the invitation: single use even when two accept at once. */
static const char sql_consume[] =
    "UPDATE public.tenant_invites SET status = 'accepted', accepted_at = now()"
    " WHERE token_hash = $1 AND status = 'pending' AND expires_at > now() RETURNING id";

static const char sql_join[] =
    "INSERT INTO public.user_tenant_membership (user_id, tenant_id, role)"
    " VALUES ($1, $2, $3)";

/*
 * The invitation consumed, the account and its membership, in one
 * statement: a token already used makes no account, and the session that
 * follows in the same transaction then fails (a lost race answers 409).
 */
static const char sql_new_user[] =
    "WITH c AS ("
    "  UPDATE public.tenant_invites SET status = 'accepted', accepted_at = now()"
    "  WHERE token_hash = $5 AND status = 'pending' AND expires_at > now() RETURNING id),"
    " u AS ("
    "  INSERT INTO public.users (id, email, password_hash, full_name, email_verified_at)"
    "  SELECT $1, $2, $3, $4, now() FROM c RETURNING id)"
    " INSERT INTO public.user_tenant_membership (user_id, tenant_id, role)"
    " SELECT id, $6, $7 FROM u";

static const struct field accept_fields[] = {
    {"token", FIELD_STRING, 1, 1, 8192, NULL},
    {"password", FIELD_STRING, 0, 1, 4096, NULL},
    {"full_name", FIELD_STRING, 0, 1, 200, NULL},
};

struct invite {
	const char *hash, *email, *tenant_id, *role, *slug, *name, *status;
};

/* A signed-in user accepts: the address must be theirs. */
static enum app_err
accept_as_member(
    struct app *app, struct request *req, struct response *resp, const struct invite *inv)
{
	const struct principal *who = req->who;
	const char **p = arena_alloc(req->arena, 3 * sizeof(*p));
	struct db_stmt st[3];
	PGresult *res;
	enum app_err err;

	if (strcasecmp(who->email, inv->email) != 0)
		return APP_ERR_INVITE_EMAIL_MISMATCH;
	p[0] = who->user_id;
	p[1] = inv->tenant_id;
	p[2] = inv->role;
	st[0] = (struct db_stmt){sql_consume, 1, &inv->hash};
	st[1] = (struct db_stmt){sql_join, 3, p};
	st[2] = audit_stmt(req,
	    &(struct audit_entry){"invite.accept", who->user_id, who->impersonator_id,
	        inv->tenant_id, "user", who->user_id,
	        req_json(req, json_pack("{s:s}", "role", inv->role))});
	if ((err = db_begin(app->db, req->arena, NULL)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &st[0], &res)) != APP_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		err = APP_ERR_INVALID_LINK_TOKEN; /* used a moment ago */
		goto fail;
	}
	if ((err = db_command(app->db, req->arena, &st[1])) != APP_OK ||
	    (err = db_command(app->db, req->arena, &st[2])) != APP_OK ||
	    (err = db_commit(app->db)) != APP_OK)
		goto fail;
	return response_json(req, resp, 200,
	    json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}", "tenant", "id", inv->tenant_id, "slug",
	        inv->slug, "name", inv->name, "status", inv->status, "role", inv->role));
fail:
	db_rollback(app->db);
	return err;
}

/* No token: the invitation makes the account and signs it in. */
static enum app_err
accept_as_new_user(
    struct app *app, struct request *req, struct response *resp, const struct invite *inv)
{
	const char *password = json_str(req->json, "password");
	const char *full_name = json_str(req->json, "full_name");
	const char *words[3] = {full_name, inv->name, NULL};
	const char **p = arena_alloc(req->arena, 7 * sizeof(*p));
	char *uid = arena_alloc(req->arena, 37);
	struct session_subject s = {uid, inv->tenant_id, inv->slug, inv->role, NULL};
	struct session_pair pair;
	struct db_stmt st[2];
	enum app_err err;

	if (password == NULL || full_name == NULL) {
		req->err_details = req_json(req,
		    json_pack("[{s:s, s:s}]", "field", password == NULL ? "password" : "full_name",
		        "issue", "required"));
		return APP_ERR_VALIDATION_FAILED;
	}
	if ((err = credentials_strong(req, "password", password, inv->email, words)) != APP_OK)
		return err;
	if (token_uuid(uid) == -1 || (p[2] = credentials_hash(app, req, password)) == NULL)
		return APP_ERR_INTERNAL;
	p[0] = uid;
	p[1] = inv->email;
	p[3] = full_name;
	p[4] = inv->hash;
	p[5] = inv->tenant_id;
	p[6] = inv->role;
	/* The account comes before the session that needs it, the audit after. */
	st[0] = (struct db_stmt){sql_new_user, 7, p};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"invite.accept", uid, NULL, inv->tenant_id, "user", uid,
	        req_json(req, json_pack("{s:s, s:b}", "role", inv->role, "new_user", 1))});
	if ((err = session_start(app, req, &s, st, 2, 1, &pair)) != APP_OK)
		return err == APP_ERR_CONFLICT ? APP_ERR_INVALID_LINK_TOKEN : err;
	return session_reply(req, resp, 201, &s, &pair);
}

/*
 * POST /invites/accept {token} with a bearer token, or {token, password,
 * full_name} without: 200 {tenant, role}, or 201 a token pair for the new
 * account; 400 INVALID_TOKEN, 403 INVITE_EMAIL_MISMATCH, 409 ALREADY_MEMBER,
 * EMAIL_ALREADY_EXISTS.
 */
enum app_err
invites_accept(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX];
	struct invite inv;
	const char *h = hash;
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, accept_fields, 3)) != APP_OK)
		return err;
	token_hash(json_str(req->json, "token"), hash);
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_lookup, 1, &h}, &res)) !=
	    APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_INVALID_LINK_TOKEN;
	inv = (struct invite){arena_strdup(req->arena, hash), db_value(res, 0, 0),
	    db_value(res, 0, 1), db_value(res, 0, 2), db_value(res, 0, 3), db_value(res, 0, 4),
	    db_value(res, 0, 5)};
	if (req->who != NULL)
		return accept_as_member(app, req, resp, &inv);
	return accept_as_new_user(app, req, resp, &inv);
}
