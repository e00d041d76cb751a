/*
 * The plain request and response that handlers see. fcgi/ fills a request
 * from the CGI parameters and turns a response into FastCGI output; nothing
 * here knows about libfcgi, so a handler runs the same from a unit test.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

struct arena;
struct route;

#define HTTP_PARAMS_MAX 4
#define HTTP_HEADERS_MAX 16

/* Who is calling, as the database confirmed it on this request. */
struct principal {
	const char *user_id, *session_id, *email, *full_name, *created_at;
	int is_superuser, email_verified;
	const char *impersonator_id; /* the superuser behind an impersonation token */
	/* For a tenant token; all NULL for a lobby token. */
	const char *tenant_id, *tenant_slug, *tenant_name, *tenant_status, *schema;
	const char *tenant_plan, *tenant_created_at;
	const char *role;        /* from the membership row, never the token */
	const char *domain_slug; /* the tenant whose custom domain is Host, or NULL */
};

struct request {
	struct arena *arena;
	const char *method;       /* REQUEST_METHOD */
	const char *path;         /* without the query string */
	const char *query;        /* raw, "" when absent */
	const char *content_type; /* NULL when absent */
	long long content_length; /* -1 when absent or empty */
	const char *authorization;
	const char *tenant_param;  /* TENANT_SLUG from the web server */
	const char *tenant_header; /* X-Tenant-Slug */
	const char *host;
	const char *remote_addr;
	const char *origin;
	const char *user_agent;
	const char *if_match;
	const char *forwarded_for;
	char request_id[65];

	const struct route *route;
	const char *params[HTTP_PARAMS_MAX]; /* path parameters, in order */
	size_t nparams;

	const char *body; /* NUL-terminated copy, or NULL */
	size_t body_len;
	json_t *json; /* the parsed JSON body, owned by the arena */

	struct principal *who; /* set for routes that need a token */

	json_t *err_details;    /* details for an error reply, or NULL */
	const char *log_tenant; /* for the request log line */
	const char *log_user;
};

struct header {
	const char *name, *value;
};

struct response {
	int status;       /* 0 until a handler sets it */
	json_t *json;     /* body as JSON, owned by the arena, or */
	const char *text; /* a body as text, with */
	size_t text_len;
	const char *content_type; /* for text */
	struct header headers[HTTP_HEADERS_MAX];
	size_t nheaders;
	int no_store;     /* add Cache-Control: no-store */
	long retry_after; /* seconds, for 429/503; 0: none */
};

/* Adds a header (name and value must live as long as the response). 0 or -1. */
int response_header(struct response *, const char *name, const char *value);

/* A JSON reply: status and body (stolen, then owned by the request's arena). */
enum app_err response_json(struct request *, struct response *, int status, json_t *body);

struct field;

/*
 * Checks the JSON body against the route's field table (json.h); on failure
 * the details go into the error reply. APP_OK or APP_ERR_VALIDATION_FAILED.
 */
enum app_err request_fields(struct request *, const struct field *, size_t n);

/* Hands j to the arena (json_decref at the end of the request); returns j. */
json_t *req_json(struct request *, json_t *j);

#endif
