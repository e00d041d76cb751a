/*
 * Authentication endpoints (API.md, "Auth").
 */
#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "mail.h"
#include "routes.h"
#include "token.h"
#include "validate.h"

static const struct field forgot_fields[] = {
	{ "email", FIELD_STRING, 1, 3, 254, email_is_valid },
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
	const char *email, *token, *payload, *params[6];
	enum app_err err;
	json_t *msg;

	if ((err = json_fields_check(req->json, forgot_fields, 1, &req->err_details)) != APP_OK) {
		req_json(req, req->err_details);
		return err;
	}
	email = json_str(req->json, "email");
	token = token_random(req->arena);
	token_hash(token, hash);
	msg = req_json(req, mail_message(&app->cfg, email, "Reset your password",
	    mail_token_text(req->arena, &app->cfg,
	    "Someone, hopefully you, asked to reset the password of your account.",
	    "/reset-password", token, "one hour")));
	payload = arena_defer(req->arena, free, json_dumps(msg, JSON_COMPACT));
	params[0] = email;
	params[1] = hash;
	params[2] = payload;
	params[3] = req->remote_addr;
	params[4] = req->user_agent;
	params[5] = req->request_id;
	err = db_tx(app->db, req->arena, NULL,
	    &(struct db_stmt){ sql_forgot, 6, params }, 1, NULL);
	if (err != APP_OK)
		return err;
	return response_json(req, resp, 202, json_pack("{s:s}", "status", "accepted"));
}
