/*
 * The route table: one row per endpoint, {method, pattern, handler, needs}.
 * Patterns are literal segments and {name} segments, written as in the
 * OpenAPI document, which a test keeps in step with this table.
 */
#ifndef ROUTES_H
#define ROUTES_H

#include <stddef.h>

#include "app.h"
#include "http.h"

/* What a route needs done before its handler runs. */
enum need {
	NEED_JSON = 1 << 0,      /* a JSON body, parsed into req->json */
	NEED_FORM = 1 << 1,      /* a form-encoded body in req->body */
	NEED_UNLIMITED = 1 << 2, /* never rate limited (health, metrics) */
	NEED_AUTH = 1 << 3,      /* a valid bearer token: req->who */
	/*
	 * Tenant-scoped (API.md's T): a token for the tenant the request
	 * names, in a state that serves; and the least role it takes.
	 */
	NEED_TENANT = 1 << 4 | NEED_AUTH,
	NEED_ADMIN = 1 << 5 | NEED_TENANT,
	NEED_OWNER = 1 << 6 | NEED_TENANT,
	NEED_AUTH_IF_GIVEN = 1 << 7, /* a bearer token is checked when present */
	/* With NEED_ADMIN: or any member acting on themselves (the first path
	 * parameter is their user id). */
	NEED_SELF = 1 << 9,
	/* A superuser's own token, lobby or tenant; never an impersonation token. */
	NEED_SUPERUSER = 1 << 8 | NEED_AUTH,
};

typedef enum app_err (*handler_fn)(struct app *, struct request *, struct response *);

struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	unsigned needs;
};

extern const struct route routes[];
extern const size_t nroutes;

/*
 * Who may call a route, in one word: "public", "bearer" (any signed-in
 * user), "bearer-if-given", or the least tenant role "member", "admin",
 * "owner", or "admin-or-self", or "superuser". saas-fcgi --routes prints
 * the table with it; a test walks it.
 */
const char *route_access(unsigned needs);

/* Handlers, one file per area. */
enum app_err ops_healthz(struct app *, struct request *, struct response *);
enum app_err ops_readyz(struct app *, struct request *, struct response *);
enum app_err ops_metrics(struct app *, struct request *, struct response *);
enum app_err ops_openapi(struct app *, struct request *, struct response *);
enum app_err auth_register(struct app *, struct request *, struct response *);
enum app_err auth_login(struct app *, struct request *, struct response *);
enum app_err auth_token(struct app *, struct request *, struct response *);
enum app_err auth_verify_email(struct app *, struct request *, struct response *);
enum app_err auth_resend_verification(struct app *, struct request *, struct response *);
enum app_err auth_forgot_password(struct app *, struct request *, struct response *);
enum app_err auth_reset_password(struct app *, struct request *, struct response *);
enum app_err auth_change_password(struct app *, struct request *, struct response *);
enum app_err auth_refresh(struct app *, struct request *, struct response *);
enum app_err auth_logout(struct app *, struct request *, struct response *);
enum app_err auth_logout_all(struct app *, struct request *, struct response *);
enum app_err auth_me(struct app *, struct request *, struct response *);
enum app_err auth_switch_tenant(struct app *, struct request *, struct response *);
enum app_err tenants_list(struct app *, struct request *, struct response *);
enum app_err tenants_create(struct app *, struct request *, struct response *);
enum app_err tenants_current(struct app *, struct request *, struct response *);
enum app_err tenants_update(struct app *, struct request *, struct response *);
enum app_err tenants_delete(struct app *, struct request *, struct response *);
enum app_err members_list(struct app *, struct request *, struct response *);
enum app_err members_update(struct app *, struct request *, struct response *);
enum app_err members_remove(struct app *, struct request *, struct response *);
enum app_err invites_create(struct app *, struct request *, struct response *);
enum app_err invites_list(struct app *, struct request *, struct response *);
enum app_err invites_revoke(struct app *, struct request *, struct response *);
enum app_err invites_accept(struct app *, struct request *, struct response *);
enum app_err projects_list(struct app *, struct request *, struct response *);
enum app_err projects_create(struct app *, struct request *, struct response *);
enum app_err projects_get(struct app *, struct request *, struct response *);
enum app_err projects_update(struct app *, struct request *, struct response *);
enum app_err projects_delete(struct app *, struct request *, struct response *);
enum app_err admin_tenants_list(struct app *, struct request *, struct response *);
enum app_err admin_tenants_suspend(struct app *, struct request *, struct response *);
enum app_err admin_tenants_resume(struct app *, struct request *, struct response *);
enum app_err admin_impersonate(struct app *, struct request *, struct response *);
enum app_err jobs_get(struct app *, struct request *, struct response *);
enum app_err jobs_admin_list(struct app *, struct request *, struct response *);
enum app_err jobs_admin_retry(struct app *, struct request *, struct response *);
enum app_err audit_logs_list(struct app *, struct request *, struct response *);
enum app_err audit_logs_admin_list(struct app *, struct request *, struct response *);

/* The embedded OpenAPI document (handlers/openapi.json) and its length. */
extern const char openapi_json[];
extern const size_t openapi_json_len;

#endif
