/*
 * Authentication of requests and the start of sessions (see session.h).
 */
#include "session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "routes.h"
#include "token.h"
#include "validate.h"

/* Clock skew allowed on exp, nbf and iat (API.md: 60 s at most). */
#define LEEWAY 30

static const char sql_who[] =
    "SELECT u.email, u.full_name, u.is_superuser, u.email_verified_at IS NOT NULL,"
    " public.rfc3339(u.created_at), t.id, t.slug, t.name, t.status, t.schema_name, m.role,"
    " t.plan, public.rfc3339(t.created_at),"
    " (SELECT d.slug FROM public.tenants d WHERE lower(d.custom_domain) = lower($6))"
    " FROM public.sessions s"
    " JOIN public.users u ON u.id = s.user_id"
    " LEFT JOIN public.tenants t ON t.id = s.tenant_id"
    " LEFT JOIN public.user_tenant_membership m"
    "  ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id"
    " WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL"
    "  AND s.expires_at > now() AND u.is_active"
    "  AND $3::bigint >= floor(extract(epoch FROM u.tokens_valid_after))"
    "  AND s.tenant_id IS NOT DISTINCT FROM $4::uuid"
    "  AND s.impersonator_id IS NOT DISTINCT FROM $5::uuid";

static const char sql_start[] =
    "WITH s AS ("
    "  INSERT INTO public.sessions (user_id, tenant_id, impersonator_id, expires_at)"
    "  VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id, expires_at)"
    " INSERT INTO public.refresh_tokens (session_id, token_hash, expires_at)"
    " SELECT id, $5, least(now() + make_interval(secs => $6), expires_at) FROM s"
    " RETURNING session_id";

/* An impersonation session: no refresh token, and it ends with its one access token. */
static const char sql_start_impersonation[] =
    "INSERT INTO public.sessions (user_id, tenant_id, impersonator_id, expires_at)"
    " VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id";

static const char sql_lock_user[] = "SELECT public.lock_user($1, $2)";
static const char sql_lock_session[] = "SELECT public.lock_session($1)";

struct db_stmt
session_lock_user(struct request *req, const char *user_id, const char *hash)
{
	const char **p = arena_alloc(req->arena, 2 * sizeof(*p));

	p[0] = user_id;
	p[1] = hash;
	return (struct db_stmt){sql_lock_user, 2, p};
}

struct db_stmt
session_lock_session(struct request *req, const char *session_id)
{
	const char **p = arena_alloc(req->arena, sizeof(*p));

	p[0] = session_id;
	return (struct db_stmt){sql_lock_session, 1, p};
}

static struct token_keys
keys(const struct app *app)
{
	return (struct token_keys){app->cfg.jwt_secret, strlen(app->cfg.jwt_secret),
	    app->cfg.jwt_issuer, app->cfg.jwt_audience, LEEWAY};
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *
bearer(const struct request *req)
{
	const char *h = req->authorization;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	for (h += 7; *h == ' '; h++)
		;
	return *h == '\0' ? NULL : h;
}

static const char *
opt(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

enum app_err
session_requested_tenant(const struct request *req, const char **slug, const char **host)
{
	const char *p = req->tenant_param, *h = req->tenant_header;
	char *colon;

	*slug = NULL;
	*host = NULL;
	if (p != NULL && h != NULL && strcmp(p, h) != 0)
		return APP_ERR_TENANT_MISMATCH;
	if (p != NULL || h != NULL) {
		*slug = p != NULL ? p : h;
		return slug_is_wellformed(*slug) ? APP_OK : APP_ERR_INVALID_TENANT;
	}
	if (req->host != NULL) {
		*host = arena_strdup(req->arena, req->host);
		if ((colon = strrchr(*host, ':')) != NULL && strchr(*host, ']') == NULL)
			*colon = '\0';
	}
	return APP_OK;
}

enum app_err
session_authenticate(struct app *app, struct request *req)
{
	struct token_keys k = keys(app);
	struct token_claims c;
	struct principal *who;
	const char *token = bearer(req), *params[6], *slug, *host;
	PGresult *res;
	enum app_err err;

	/* Another scheme (Basic, ...) is no bearer token at all. */
	if (token == NULL)
		return APP_ERR_UNAUTHENTICATED;
	if ((err = token_verify(&k, token, (long long)time(NULL), &c)) != APP_OK)
		return err;
	params[0] = c.sid;
	params[1] = c.sub;
	params[2] = arena_printf(req->arena, "%lld", c.iat);
	params[3] = opt(c.tid);
	params[4] = opt(c.act_sub);
	/* A bad slug is the tenant check's answer; here only the host matters. */
	params[5] = session_requested_tenant(req, &slug, &host) == APP_OK ? host : NULL;
	err = db_query(app->db, req->arena, &(struct db_stmt){sql_who, 6, params}, &res);
	if (err != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_INVALID_TOKEN;
	who = arena_alloc(req->arena, sizeof(*who));
	who->user_id = arena_strdup(req->arena, c.sub);
	who->session_id = arena_strdup(req->arena, c.sid);
	who->impersonator_id = arena_strdup(req->arena, opt(c.act_sub));
	who->email = db_value(res, 0, 0);
	who->full_name = db_value(res, 0, 1);
	who->is_superuser = strcmp(db_value(res, 0, 2), "t") == 0;
	who->email_verified = strcmp(db_value(res, 0, 3), "t") == 0;
	who->created_at = db_value(res, 0, 4);
	who->tenant_id = db_value(res, 0, 5);
	who->tenant_slug = db_value(res, 0, 6);
	who->tenant_name = db_value(res, 0, 7);
	who->tenant_status = db_value(res, 0, 8);
	who->schema = db_value(res, 0, 9);
	who->role = db_value(res, 0, 10);
	who->tenant_plan = db_value(res, 0, 11);
	who->tenant_created_at = db_value(res, 0, 12);
	who->domain_slug = db_value(res, 0, 13);
	/* A tenant token outlives nothing: removed from the tenant, refused. */
	if (who->tenant_id != NULL && who->role == NULL)
		return APP_ERR_NOT_A_MEMBER;
	req->who = who;
	req->log_user = who->user_id;
	req->log_tenant = who->tenant_slug;
	return APP_OK;
}

/* The least role a route takes, from its needs (NEED_SELF: or oneself). */
static int
role_enough(const struct request *req, const char *role, unsigned needs)
{
	if ((needs & NEED_SELF) && req->nparams > 0 &&
	    strcmp(req->params[0], req->who->user_id) == 0)
		return 1;
	if ((needs & NEED_OWNER) == NEED_OWNER)
		return strcmp(role, "owner") == 0;
	if ((needs & NEED_ADMIN) == NEED_ADMIN)
		return strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0;
	return 1;
}

enum app_err
session_require_tenant(struct request *req, unsigned needs)
{
	const struct principal *who = req->who;
	const char *slug, *host, *named;
	enum app_err err;

	if ((err = session_requested_tenant(req, &slug, &host)) != APP_OK)
		return err;
	named = slug != NULL ? slug : who->domain_slug;
	if (who->tenant_id == NULL || (named != NULL && strcmp(named, who->tenant_slug) != 0))
		return APP_ERR_TENANT_TOKEN_MISMATCH;
	if ((err = session_tenant_state(who->tenant_status)) != APP_OK)
		return err;
	return role_enough(req, who->role, needs) ? APP_OK : APP_ERR_FORBIDDEN;
}

enum app_err
session_tenant_state(const char *status)
{
	static const struct {
		const char *status;
		enum app_err err;
	} states[] = {
	    {"ready", APP_OK},
	    {"provisioning", APP_ERR_TENANT_NOT_READY},
	    {"failed", APP_ERR_TENANT_NOT_READY},
	    {"suspended", APP_ERR_TENANT_SUSPENDED},
	    {"deleting", APP_ERR_TENANT_DELETED},
	    {"deleted", APP_ERR_TENANT_DELETED},
	};
	size_t i;

	for (i = 0; status != NULL && i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(status, states[i].status) == 0)
			return states[i].err;
	return APP_ERR_TENANT_NOT_READY;
}

enum app_err
session_require_superuser(const struct request *req)
{
	if (req->who->impersonator_id != NULL)
		return APP_ERR_IMPERSONATION_FORBIDDEN;
	return req->who->is_superuser ? APP_OK : APP_ERR_FORBIDDEN;
}

/* An access token's lifetime: ACCESS_TOKEN_TTL, capped for an impersonation. */
static long
access_ttl(const struct app *app, const struct session_subject *s)
{
	long ttl = app->cfg.access_token_ttl;

	return s->impersonator_id != NULL && ttl > SESSION_IMPERSONATION_TTL_MAX
	    ? SESSION_IMPERSONATION_TTL_MAX
	    : ttl;
}

enum app_err
session_access_token(struct app *app, struct request *req, const struct session_subject *s,
    const char *session_id, struct session_pair *out)
{
	struct token_keys k = keys(app);
	struct token_claims c;
	char *jwt;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", s->user_id);
	snprintf(c.sid, sizeof(c.sid), "%s", session_id);
	if (s->tenant_id != NULL) {
		snprintf(c.tid, sizeof(c.tid), "%s", s->tenant_id);
		snprintf(c.ten, sizeof(c.ten), "%s", s->tenant_slug);
		snprintf(c.role, sizeof(c.role), "%s", s->role);
	}
	if (s->impersonator_id != NULL)
		snprintf(c.act_sub, sizeof(c.act_sub), "%s", s->impersonator_id);
	if ((jwt = token_issue(&k, &c, access_ttl(app, s))) == NULL)
		return APP_ERR_INTERNAL;
	out->access_token = arena_defer(req->arena, free, jwt);
	out->session_id = arena_strdup(req->arena, session_id);
	out->expires_in = access_ttl(app, s);
	return APP_OK;
}

enum app_err
session_start(struct app *app, struct request *req, const struct session_subject *s,
    const struct db_stmt *extra, size_t nextra, size_t nbefore, struct session_pair *out)
{
	char hash[TOKEN_HASH_HEX];
	const char *params[6];
	struct db_stmt *stmts = arena_alloc(req->arena, (nextra + 1) * sizeof(*stmts));
	PGresult **res = arena_alloc(req->arena, (nextra + 1) * sizeof(*res));
	enum app_err err;
	size_t i;

	memset(out, 0, sizeof(*out));
	params[0] = s->user_id;
	params[1] = s->tenant_id;
	params[2] = s->impersonator_id;
	if (s->impersonator_id != NULL) {
		params[3] = arena_printf(req->arena, "%ld", access_ttl(app, s));
		stmts[nbefore] = (struct db_stmt){sql_start_impersonation, 4, params};
	} else {
		out->refresh_token = token_random(req->arena);
		token_hash(out->refresh_token, hash);
		params[3] = arena_printf(req->arena, "%ld", app->cfg.session_max_age);
		params[4] = hash;
		params[5] = arena_printf(req->arena, "%ld", app->cfg.refresh_token_ttl);
		stmts[nbefore] = (struct db_stmt){sql_start, 6, params};
	}
	for (i = 0; i < nextra; i++)
		stmts[i < nbefore ? i : i + 1] = extra[i];
	if ((err = db_tx(app->db, req->arena, NULL, stmts, nextra + 1, res)) != APP_OK)
		return err;
	return session_access_token(app, req, s, db_value(res[nbefore], 0, 0), out);
}

enum app_err
session_reply(struct request *req, struct response *resp, int status,
    const struct session_subject *s, const struct session_pair *p)
{
	json_t *tenant = s->tenant_id == NULL
	    ? json_null()
	    : json_pack("{s:s, s:s}", "slug", s->tenant_slug, "role", s->role);
	json_t *body = json_pack("{s:s, s:s*, s:s, s:i, s:o}", "access_token", p->access_token,
	    "refresh_token", p->refresh_token, "token_type", "bearer", "expires_in",
	    (json_int_t)p->expires_in, "tenant", tenant);

	resp->no_store = 1;
	return response_json(req, resp, status, body);
}
