/*
 * Accounts and sign-in (API.md, "Auth"): register, login and the OAuth2
 * password grant, email verification, password reset and change. Sessions
 * and the checks of every authenticated request live in session.c; the
 * refresh, logout and account endpoints in account.c.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "credentials.h"
#include "db.h"
#include "form.h"
#include "json.h"
#include "mail.h"
#include "password.h"
#include "ratelimit.h"
#include "routes.h"
#include "session.h"
#include "token.h"
#include "validate.h"

/* ---- register ------------------------------------------------------- */

static const struct field register_fields[] = {
    {"email", FIELD_STRING, 1, 3, 254, email_is_valid},
    {"password", FIELD_STRING, 1, 1, 4096, NULL},
    {"full_name", FIELD_STRING, 1, 1, 200, NULL},
    {"tenant_name", FIELD_STRING, 1, 1, 200, NULL},
    {"tenant_slug", FIELD_STRING, 1, 3, 56, slug_is_allowed},
};

/*
 * Everything a registration writes, in one statement: all or nothing, and a
 * duplicate email or slug is the unique constraint's answer, so that two
 * registrations racing for one address give one 202 and one 409.
 */
static const char sql_register[] =
    "WITH u AS ("
    "  INSERT INTO public.users (email, password_hash, full_name) VALUES ($1, $2, $3)"
    "  RETURNING id, email, full_name, created_at),"
    " t AS ("
    "  INSERT INTO public.tenants (slug, name) VALUES ($4, $5)"
    "  RETURNING id, slug, name, status, created_at),"
    " m AS ("
    "  INSERT INTO public.user_tenant_membership (user_id, tenant_id, role)"
    "  SELECT u.id, t.id, 'owner' FROM u, t),"
    " e AS ("
    "  INSERT INTO public.email_tokens (user_id, kind, token_hash, expires_at)"
    "  SELECT id, 'verify_email', $6::bytea, now() + interval '24 hours' FROM u),"
    " j AS ("
    "  INSERT INTO public.jobs (kind, tenant_id, payload, idempotency_key, created_by)"
    "  SELECT 'provision_tenant', t.id, jsonb_build_object('tenant_id', t.id), t.id::text, u.id"
    "  FROM u, t RETURNING id),"
    " mail AS ("
    "  INSERT INTO public.jobs (kind, tenant_id, payload, created_by)"
    "  SELECT 'send_email', t.id, jsonb_set($7::jsonb, '{to}', to_jsonb(u.email)), u.id"
    "  FROM u, t),"
    " a AS ("
    "  INSERT INTO public.audit_logs (action, outcome, actor_id, tenant_id, target_type,"
    "   target_id, ip, user_agent, request_id)"
    "  SELECT x.action, 'success', u.id, t.id, x.type,"
    "   CASE x.type WHEN 'user' THEN u.id ELSE t.id END::text, $8, $9, $10"
    "  FROM u, t, (VALUES ('auth.register', 'user'), ('tenant.create', 'tenant')) x (action, type))"
    " SELECT u.id, u.email, u.full_name, public.rfc3339(u.created_at),"
    "  t.id, t.slug, t.name, t.status, public.rfc3339(t.created_at), j.id"
    " FROM u, t, j";

/* POST /auth/register: 202 {user, tenant, job_id}; 409, 422. */
enum app_err
auth_register(struct app *app, struct request *req, struct response *resp)
{
	const char *email, *password, *token, *hash, *p[10], *words[4];
	char thash[TOKEN_HASH_HEX];
	PGresult *res;
	enum app_err err;

	if ((err = ratelimit_hit(app, RATELIMIT_REGISTER, req->remote_addr, NULL,
	         &resp->retry_after)) != APP_OK ||
	    (err = request_fields(req, register_fields, 5)) != APP_OK)
		return err;
	email = json_str(req->json, "email");
	password = json_str(req->json, "password");
	words[0] = json_str(req->json, "full_name");
	words[1] = json_str(req->json, "tenant_name");
	words[2] = json_str(req->json, "tenant_slug");
	words[3] = NULL;
	if ((err = credentials_strong(req, "password", password, email, words)) != APP_OK)
		return err;
	if ((hash = credentials_hash(app, req, password)) == NULL)
		return APP_ERR_INTERNAL;
	token = token_random(req->arena);
	token_hash(token, thash);
	p[0] = email;
	p[1] = hash;
	p[2] = words[0];
	p[3] = words[2];
	p[4] = words[1];
	p[5] = thash;
	p[6] = mail_token_payload(req->arena, &app->cfg, "Verify your email address",
	    "Welcome! Please confirm that this is your email address.", "/verify-email", token,
	    "24 hours");
	p[7] = req->remote_addr;
	p[8] = req->user_agent;
	p[9] = req->request_id;
	err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_register, 10, p}, 1, &res);
	if (err != APP_OK)
		return err;
	resp->no_store = 1;
	return response_json(req, resp, 202,
	    json_pack("{s:{s:s, s:s, s:s, s:b, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s}", "user",
	        "id", db_value(res, 0, 0), "email", db_value(res, 0, 1), "full_name",
	        db_value(res, 0, 2), "email_verified", 0, "created_at", db_value(res, 0, 3),
	        "tenant", "id", db_value(res, 0, 4), "slug", db_value(res, 0, 5), "name",
	        db_value(res, 0, 6), "status", db_value(res, 0, 7), "created_at",
	        db_value(res, 0, 8), "job_id", db_value(res, 0, 9)));
}

/* ---- login ---------------------------------------------------------- */

/*
 * The account and, when the request names one (by slug or by custom
 * domain), the tenant and the membership, in one round trip.
 */
static const char sql_login[] =
    "SELECT u.id, u.password_hash, u.is_active, u.email_verified_at IS NOT NULL,"
    " t.id, t.slug, t.status, m.role"
    " FROM (SELECT 1) one"
    " LEFT JOIN public.users u ON lower(u.email) = lower($1)"
    " LEFT JOIN public.tenants t ON t.slug = $2"
    "  OR ($2::text IS NULL AND lower(t.custom_domain) = lower($3))"
    " LEFT JOIN public.user_tenant_membership m ON m.user_id = u.id AND m.tenant_id = t.id";

/* Compare-and-set: a concurrent password change wins over the upgrade. */
static const char sql_rehash[] = "UPDATE public.users SET password_hash = $3, updated_at = now()"
                                 " WHERE id = $1 AND password_hash = $2";

static enum app_err
tenant_state(const char *status)
{
	if (strcmp(status, "suspended") == 0)
		return APP_ERR_TENANT_SUSPENDED;
	if (strcmp(status, "deleting") == 0 || strcmp(status, "deleted") == 0)
		return APP_ERR_TENANT_DELETED;
	if (strcmp(status, "failed") == 0)
		return APP_ERR_TENANT_NOT_READY;
	return APP_OK; /* ready, or provisioning: login works while it provisions */
}

static void
login_refused(struct app *app, struct request *req, const char *user_id, const char *tenant_id,
    const char *why)
{
	json_t *d = req_json(req, json_pack("{s:s}", "reason", why));

	audit_failure(app->db, req,
	    &(struct audit_entry){"auth.login", user_id, NULL, tenant_id, "user", user_id, d});
}

/*
 * Checks email and password (and the tenant the request names) and starts
 * a session. Unknown email and wrong password answer alike and cost the
 * same Argon2 work.
 */
static enum app_err
login(struct app *app, struct request *req, struct response *resp, const char *email,
    const char *password, struct session_subject *s, struct session_pair *pair)
{
	struct password_params pp = password_params_from_config(&app->cfg);
	const char *slug, *host, *p[3], *uid, *stored, *tid;
	struct db_stmt extra[3];
	enum password_verdict v;
	PGresult *res;
	enum app_err err;
	size_t nextra = 0;

	if ((err = ratelimit_hit(app, RATELIMIT_LOGIN, req->remote_addr, email,
	         &resp->retry_after)) != APP_OK)
		return err;
	if ((err = session_requested_tenant(req, &slug, &host)) != APP_OK)
		return err;
	p[0] = email;
	p[1] = slug;
	p[2] = host;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_login, 3, p}, &res)) !=
	    APP_OK)
		return err;
	uid = db_value(res, 0, 0);
	stored = db_value(res, 0, 1);
	tid = db_value(res, 0, 4);
	if (uid == NULL) {
		password_dummy_verify(&pp, password, strlen(password));
		login_refused(app, req, NULL, tid, "unknown_email");
		return APP_ERR_INVALID_CREDENTIALS;
	}
	if ((v = password_verify(&pp, stored, password, strlen(password))) == PASSWORD_MISMATCH) {
		login_refused(app, req, uid, tid, "wrong_password");
		return APP_ERR_INVALID_CREDENTIALS;
	}
	if (strcmp(db_value(res, 0, 2), "t") != 0) {
		login_refused(app, req, uid, tid, "disabled");
		return APP_ERR_ACCOUNT_DISABLED;
	}
	if (app->cfg.require_verified_email && strcmp(db_value(res, 0, 3), "t") != 0) {
		login_refused(app, req, uid, tid, "email_not_verified");
		return APP_ERR_EMAIL_NOT_VERIFIED;
	}
	if (slug != NULL && tid == NULL)
		return APP_ERR_TENANT_NOT_FOUND;
	if (tid != NULL && (err = tenant_state(db_value(res, 0, 6))) != APP_OK)
		return err;
	if (tid != NULL && db_value(res, 0, 7) == NULL) {
		login_refused(app, req, uid, tid, "not_a_member");
		return APP_ERR_NOT_A_MEMBER;
	}
	memset(s, 0, sizeof(*s));
	s->user_id = uid;
	s->tenant_id = tid;
	s->tenant_slug = db_value(res, 0, 5);
	s->role = db_value(res, 0, 7);
	/* The password verified must still be the account's when the session starts. */
	extra[nextra++] = session_lock_user(req, uid, stored);
	extra[nextra++] =
	    audit_stmt(req, &(struct audit_entry){"auth.login", uid, NULL, tid, "user", uid, NULL});
	if (v == PASSWORD_OK_REHASH) {
		const char **rp = arena_alloc(req->arena, 3 * sizeof(*rp));

		rp[0] = uid;
		rp[1] = stored;
		if ((rp[2] = credentials_hash(app, req, password)) != NULL)
			extra[nextra++] = (struct db_stmt){sql_rehash, 3, rp};
	}
	req->log_user = uid;
	req->log_tenant = s->tenant_slug;
	return session_start(app, req, s, extra, nextra, 1, pair);
}

static const struct field login_fields[] = {
    {"email", FIELD_STRING, 1, 1, 254, NULL},
    {"password", FIELD_STRING, 1, 1, 4096, NULL},
};

/* POST /auth/login: 200 a token pair; 401, 403, 404, 422. */
enum app_err
auth_login(struct app *app, struct request *req, struct response *resp)
{
	struct session_subject s;
	struct session_pair pair;
	enum app_err err;

	if ((err = request_fields(req, login_fields, 2)) != APP_OK)
		return err;
	err = login(app, req, resp, json_str(req->json, "email"), json_str(req->json, "password"),
	    &s, &pair);
	if (err != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}

/* An OAuth2 error answer (RFC 6749, section 5.2). */
static enum app_err
oauth_error(struct request *req, struct response *resp, const char *error, const char *description)
{
	resp->no_store = 1;
	return response_json(req, resp, 400,
	    json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

/*
 * POST /auth/token, the OAuth2 password grant (form-encoded): 200 as login;
 * 400 invalid_request, unsupported_grant_type, invalid_grant; other
 * refusals (403, 404) as login.
 */
enum app_err
auth_token(struct app *app, struct request *req, struct response *resp)
{
	struct form_pair pairs[16];
	struct session_subject s;
	struct session_pair pair;
	const char *grant, *user, *pass;
	int n, d1, d2, d3;
	enum app_err err;

	n = form_parse(req->arena, req->body, req->body_len, pairs, 16);
	if (n < 0)
		return oauth_error(req, resp, "invalid_request", "The form body is malformed.");
	grant = form_get(pairs, (size_t)n, "grant_type", &d1);
	user = form_get(pairs, (size_t)n, "username", &d2);
	pass = form_get(pairs, (size_t)n, "password", &d3);
	if (d1 || d2 || d3 || grant == NULL)
		return oauth_error(req, resp, "invalid_request",
		    "grant_type, username and password are each required once.");
	if (strcmp(grant, "password") != 0)
		return oauth_error(
		    req, resp, "unsupported_grant_type", "Only the password grant is supported.");
	if (user == NULL || pass == NULL || *user == '\0' || *pass == '\0')
		return oauth_error(
		    req, resp, "invalid_request", "username and password are required.");
	err = login(app, req, resp, user, pass, &s, &pair);
	if (err == APP_ERR_INVALID_CREDENTIALS)
		return oauth_error(req, resp, "invalid_grant", app_strerror(err));
	if (err != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}

/* ---- email verification --------------------------------------------- */

static const struct field token_fields[] = {
    {"token", FIELD_STRING, 1, 1, 8192, NULL},
};

static const char sql_verify[] =
    "WITH e AS ("
    "  UPDATE public.email_tokens SET used_at = now()"
    "  WHERE token_hash = $1 AND kind = 'verify_email' AND used_at IS NULL"
    "   AND expires_at > now() RETURNING user_id),"
    " u AS ("
    "  UPDATE public.users SET email_verified_at = coalesce(email_verified_at, now()),"
    "   updated_at = now() WHERE id IN (SELECT user_id FROM e) RETURNING id),"
    " a AS ("
    "  INSERT INTO public.audit_logs (action, outcome, actor_id, target_type, target_id,"
    "   ip, user_agent, request_id)"
    "  SELECT 'auth.email_verified', 'success', id, 'user', id::text, $2, $3, $4 FROM u)"
    " SELECT id FROM u";

/* POST /auth/verify-email {token}: 200 {email_verified: true}; 400 INVALID_TOKEN. */
enum app_err
auth_verify_email(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX];
	const char *p[4];
	PGresult *res;
	enum app_err err;

	if ((err = request_fields(req, token_fields, 1)) != APP_OK)
		return err;
	token_hash(json_str(req->json, "token"), hash);
	p[0] = hash;
	p[1] = req->remote_addr;
	p[2] = req->user_agent;
	p[3] = req->request_id;
	if ((err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_verify, 4, p}, 1,
	         &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_INVALID_LINK_TOKEN;
	return response_json(req, resp, 200, json_pack("{s:b}", "email_verified", 1));
}

static const char sql_resend[] =
    "WITH e AS ("
    "  INSERT INTO public.email_tokens (user_id, kind, token_hash, expires_at)"
    "  VALUES ($1, 'verify_email', $2, now() + interval '24 hours') RETURNING user_id)"
    " INSERT INTO public.jobs (kind, payload, created_by)"
    " SELECT 'send_email', jsonb_set($3::jsonb, '{to}', to_jsonb(u.email)), u.id"
    " FROM e JOIN public.users u ON u.id = e.user_id";

/* POST /auth/resend-verification: 202, a new email; 409 ALREADY_VERIFIED. */
enum app_err
auth_resend_verification(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX];
	const char *token, *p[3];
	enum app_err err;

	if (req->who->email_verified)
		return APP_ERR_ALREADY_VERIFIED;
	token = token_random(req->arena);
	token_hash(token, hash);
	p[0] = req->who->user_id;
	p[1] = hash;
	p[2] = mail_token_payload(req->arena, &app->cfg, "Verify your email address",
	    "Please confirm that this is your email address.", "/verify-email", token, "24 hours");
	if ((err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_resend, 3, p}, 1,
	         NULL)) != APP_OK)
		return err;
	return response_json(req, resp, 202, json_pack("{s:s}", "status", "accepted"));
}

/* ---- forgotten and changed passwords ---------------------------------- */

static const struct field forgot_fields[] = {
    {"email", FIELD_STRING, 1, 3, 254, email_is_valid},
};

/*
 * One statement for both cases, so a known and an unknown address cost the
 * same round trip: for an active user it stores the reset token's hash
 * (valid one hour), queues the email addressed to the stored address, and
 * writes the audit entry; for anyone else it does nothing.
 */
static const char sql_forgot[] =
    "WITH u AS ("
    "  SELECT id, email FROM public.users"
    "  WHERE lower(email) = lower($1) AND is_active),"
    " t AS ("
    "  INSERT INTO public.email_tokens (user_id, kind, token_hash, expires_at)"
    "  SELECT id, 'reset_password', $2::bytea, now() + interval '1 hour' FROM u),"
    " j AS ("
    "  INSERT INTO public.jobs (kind, payload, created_by)"
    "  SELECT 'send_email', jsonb_set($3::jsonb, '{to}', to_jsonb(u.email)), u.id FROM u)"
    " INSERT INTO public.audit_logs"
    "  (action, outcome, actor_id, target_type, target_id, ip, user_agent, request_id)"
    " SELECT 'auth.password_reset_requested', 'success', id, 'user', id::text, $4, $5, $6"
    " FROM u";

/* POST /auth/forgot-password {email}: 202 whether or not the address is known; 422. */
enum app_err
auth_forgot_password(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX];
	const char *token, *p[6];
	enum app_err err;

	if ((err = request_fields(req, forgot_fields, 1)) != APP_OK ||
	    (err = ratelimit_hit(app, RATELIMIT_FORGOT, req->remote_addr,
	         json_str(req->json, "email"), &resp->retry_after)) != APP_OK)
		return err;
	token = token_random(req->arena);
	token_hash(token, hash);
	p[0] = json_str(req->json, "email");
	p[1] = hash;
	p[2] = mail_token_payload(req->arena, &app->cfg, "Reset your password",
	    "Someone, hopefully you, asked to reset the password of your account.",
	    "/reset-password", token, "one hour");
	p[3] = req->remote_addr;
	p[4] = req->user_agent;
	p[5] = req->request_id;
	err = db_tx(app->db, req->arena, NULL, &(struct db_stmt){sql_forgot, 6, p}, 1, NULL);
	if (err != APP_OK)
		return err;
	return response_json(req, resp, 202, json_pack("{s:s}", "status", "accepted"));
}

static const struct field reset_fields[] = {
    {"token", FIELD_STRING, 1, 1, 8192, NULL},
    {"new_password", FIELD_STRING, 1, 1, 4096, NULL},
};

static const char sql_reset_lookup[] =
    "SELECT u.email, u.full_name, u.id FROM public.email_tokens e"
    " JOIN public.users u ON u.id = e.user_id"
    " WHERE e.token_hash = $1 AND e.kind = 'reset_password' AND e.used_at IS NULL"
    "  AND e.expires_at > now()";

/* The token is consumed, the password replaced, and every session ends. */
static const char sql_reset[] =
    "WITH e AS ("
    "  UPDATE public.email_tokens SET used_at = now()"
    "  WHERE token_hash = $1 AND kind = 'reset_password' AND used_at IS NULL"
    "   AND expires_at > now() RETURNING user_id),"
    " u AS ("
    "  UPDATE public.users SET password_hash = $2, tokens_valid_after = now(),"
    "   updated_at = now() WHERE id IN (SELECT user_id FROM e) RETURNING id),"
    " s AS ("
    "  UPDATE public.sessions SET revoked_at = now()"
    "  WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL),"
    " a AS ("
    "  INSERT INTO public.audit_logs (action, outcome, actor_id, target_type, target_id,"
    "   ip, user_agent, request_id)"
    "  SELECT 'auth.password_reset', 'success', id, 'user', id::text, $3, $4, $5 FROM u)"
    " SELECT id FROM u";

/* POST /auth/reset-password {token, new_password}: 200; 400 INVALID_TOKEN, 422. */
enum app_err
auth_reset_password(struct app *app, struct request *req, struct response *resp)
{
	char hash[TOKEN_HASH_HEX];
	const char *password, *words[2], *p[5];
	struct db_stmt st[2];
	PGresult *res, *rr[2];
	enum app_err err;

	if ((err = request_fields(req, reset_fields, 2)) != APP_OK)
		return err;
	token_hash(json_str(req->json, "token"), hash);
	p[0] = hash;
	if ((err = db_query(
	         app->db, req->arena, &(struct db_stmt){sql_reset_lookup, 1, p}, &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_INVALID_LINK_TOKEN;
	password = json_str(req->json, "new_password");
	words[0] = db_value(res, 0, 1);
	words[1] = NULL;
	if ((err = credentials_strong(req, "new_password", password, db_value(res, 0, 0), words)) !=
	    APP_OK)
		return err;
	if ((p[1] = credentials_hash(app, req, password)) == NULL)
		return APP_ERR_INTERNAL;
	p[2] = req->remote_addr;
	p[3] = req->user_agent;
	p[4] = req->request_id;
	st[0] = session_lock_user(req, db_value(res, 0, 2), NULL);
	st[1] = (struct db_stmt){sql_reset, 5, p};
	if ((err = db_tx(app->db, req->arena, NULL, st, 2, rr)) != APP_OK)
		return err == APP_ERR_INVALID_CREDENTIALS ? APP_ERR_INVALID_LINK_TOKEN : err;
	if (PQntuples(rr[1]) != 1)
		return APP_ERR_INVALID_LINK_TOKEN; /* used by a concurrent reset */
	resp->no_store = 1;
	return response_json(req, resp, 200, json_pack("{s:s}", "status", "password_reset"));
}

static const struct field change_fields[] = {
    {"current_password", FIELD_STRING, 1, 1, 4096, NULL},
    {"new_password", FIELD_STRING, 1, 1, 4096, NULL},
};

static const char sql_current_hash[] = "SELECT password_hash FROM public.users WHERE id = $1";

/* Before the new session is made: every other session of the user ends. */
static const char sql_change[] =
    "WITH u AS ("
    "  UPDATE public.users SET password_hash = $2, updated_at = now() WHERE id = $1)"
    " UPDATE public.sessions SET revoked_at = now()"
    " WHERE user_id = $1 AND revoked_at IS NULL";

/* POST /auth/change-password: 200 a new pair, other sessions end; 401, 403, 422. */
enum app_err
auth_change_password(struct app *app, struct request *req, struct response *resp)
{
	struct password_params pp = password_params_from_config(&app->cfg);
	const struct principal *who = req->who;
	struct session_subject s = {
	    who->user_id, who->tenant_id, who->tenant_slug, who->role, NULL};
	struct session_pair pair;
	struct db_stmt extra[4];
	const char *current, *password, *words[2], **p;
	PGresult *res;
	enum app_err err;

	if (who->impersonator_id != NULL)
		return APP_ERR_IMPERSONATION_FORBIDDEN;
	if ((err = request_fields(req, change_fields, 2)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena,
	         &(struct db_stmt){sql_current_hash, 1, &who->user_id}, &res)) != APP_OK)
		return err;
	current = json_str(req->json, "current_password");
	if (password_verify(&pp, db_value(res, 0, 0), current, strlen(current)) ==
	    PASSWORD_MISMATCH) {
		audit_failure(app->db, req,
		    &(struct audit_entry){"auth.password_changed", who->user_id, NULL,
		        who->tenant_id, "user", who->user_id, NULL});
		return APP_ERR_INVALID_CREDENTIALS;
	}
	password = json_str(req->json, "new_password");
	words[0] = who->full_name;
	words[1] = NULL;
	if ((err = credentials_strong(req, "new_password", password, who->email, words)) != APP_OK)
		return err;
	p = arena_alloc(req->arena, 2 * sizeof(*p));
	p[0] = who->user_id;
	if ((p[1] = credentials_hash(app, req, password)) == NULL)
		return APP_ERR_INTERNAL;
	/* Still the password just verified, still a live session: then change. */
	extra[0] = session_lock_user(req, who->user_id, db_value(res, 0, 0));
	extra[1] = session_lock_session(req, who->session_id);
	extra[2] = (struct db_stmt){sql_change, 2, p};
	extra[3] = audit_stmt(req,
	    &(struct audit_entry){"auth.password_changed", who->user_id, NULL, who->tenant_id,
	        "user", who->user_id, NULL});
	if ((err = session_start(app, req, &s, extra, 4, 3, &pair)) != APP_OK)
		return err;
	return session_reply(req, resp, 200, &s, &pair);
}
