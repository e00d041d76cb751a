/*
 * The request pipeline (see serve.h). Parameters are copied into the arena
 * at once: libfcgi frees its strings at FCGX_Finish_r.
 */
#include "serve.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "arena.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "respond.h"
#include "router.h"
#include "session.h"
#include "token.h"
#include "validate.h"

static const char *
param(FCGX_Request *fr, struct arena *a, const char *name)
{
	const char *v = FCGX_GetParam(name, fr->envp);

	return v == NULL || *v == '\0' ? NULL : arena_strdup(a, v);
}

/* Keeps a well-formed incoming id, or makes a random UUID. */
static void
request_id(struct request *req, const char *incoming)
{
	if (request_id_is_valid(incoming))
		strcpy(req->request_id, incoming);
	else if (token_uuid(req->request_id) == -1)
		strcpy(req->request_id, "00000000-0000-4000-8000-000000000000");
}

static void
request_init(struct request *req, FCGX_Request *fr, struct arena *a)
{
	const char *uri, *len, *q;
	long n;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->method = param(fr, a, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	/* REQUEST_URI is the raw path every server passes alike. */
	if ((uri = param(fr, a, "REQUEST_URI")) == NULL &&
	    (uri = param(fr, a, "DOCUMENT_URI")) == NULL)
		uri = "/";
	req->path = (q = strchr(uri, '?')) ? arena_strndup(a, uri, (size_t)(q - uri)) : uri;
	req->query = param(fr, a, "QUERY_STRING");
	if (req->query == NULL)
		req->query = q ? q + 1 : "";
	req->content_type = param(fr, a, "CONTENT_TYPE");
	len = param(fr, a, "CONTENT_LENGTH");
	req->content_length = -1;
	if (len != NULL)
		req->content_length = parse_long(len, 0, 0x7fffffffffffffffL, &n) == 0 ? n : -2;
	req->authorization = param(fr, a, "HTTP_AUTHORIZATION");
	req->tenant_param = param(fr, a, "TENANT_SLUG");
	req->tenant_header = param(fr, a, "HTTP_X_TENANT_SLUG");
	req->host = param(fr, a, "HTTP_HOST");
	req->remote_addr = param(fr, a, "REMOTE_ADDR");
	req->origin = param(fr, a, "HTTP_ORIGIN");
	req->user_agent = param(fr, a, "HTTP_USER_AGENT");
	req->if_match = param(fr, a, "HTTP_IF_MATCH");
	req->forwarded_for = param(fr, a, "HTTP_X_FORWARDED_FOR");
	request_id(req, FCGX_GetParam("HTTP_X_REQUEST_ID", fr->envp));
}

/* Whether the content type is t, ignoring case and parameters. */
static int
content_type_is(const char *ct, const char *t)
{
	size_t n = strlen(t);

	if (ct == NULL || strncasecmp(ct, t, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/*
 * Reads the body the route needs: 415 for another content type, 413 for a
 * declared length over the limit (nothing is read), 400 for a body shorter
 * than declared or not JSON.
 */
static enum app_err
read_body(struct app *app, struct request *req, FCGX_Request *fr)
{
	const struct route *r = req->route;
	const char *type =
	    r->needs & NEED_JSON ? "application/json" : "application/x-www-form-urlencoded";
	char *buf;
	size_t n;

	if (!content_type_is(req->content_type, type))
		return APP_ERR_UNSUPPORTED_MEDIA_TYPE;
	if (req->content_length == -2)
		return APP_ERR_BAD_REQUEST;
	if (req->content_length > app->cfg.max_body_bytes)
		return APP_ERR_PAYLOAD_TOO_LARGE;
	n = req->content_length > 0 ? (size_t)req->content_length : 0;
	buf = arena_alloc(req->arena, n + 1);
	if (n > 0 && (size_t)FCGX_GetStr(buf, (int)n, fr->in) != n)
		return APP_ERR_BAD_REQUEST;
	req->body = buf;
	req->body_len = n;
	if (r->needs & NEED_JSON) {
		enum app_err err = json_body_parse(buf, n, app->cfg.max_json_depth, &req->json);

		if (err != APP_OK)
			return err;
		req_json(req, req->json);
	}
	return APP_OK;
}

/* OPTIONS on a known path: a CORS preflight, answered 204. */
static enum app_err
preflight(struct app *app, struct request *req, struct response *resp, const char *allow)
{
	char *methods = arena_printf(req->arena, "%s, OPTIONS", allow);

	resp->status = 204;
	response_header(resp, "Allow", methods);
	if (config_origin_allowed(&app->cfg, req->origin)) {
		response_header(resp, "Access-Control-Allow-Methods", methods);
		response_header(resp, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type, If-Match, X-Request-ID, X-Tenant-Slug");
		response_header(resp, "Access-Control-Max-Age", "600");
	}
	return APP_OK;
}

/* Finds the route and runs its handler; returns the error to answer with. */
static enum app_err
dispatch(struct app *app, struct request *req, struct response *resp, FCGX_Request *fr, int *route)
{
	char allow[64];
	enum app_err err;

	*route = router_find(
	    req->arena, req->method, req->path, req->params, &req->nparams, allow, sizeof(allow));
	/* Every request counts, an unknown path's too; health and metrics never. */
	if ((*route < 0 || !(routes[*route].needs & NEED_UNLIMITED)) &&
	    (err = ratelimit_hit(app, RATELIMIT_REQUEST, req->remote_addr, NULL,
	         &resp->retry_after)) != APP_OK)
		return err;
	if (*route < 0) {
		if (allow[0] == '\0')
			return APP_ERR_NOT_FOUND;
		if (strcmp(req->method, "OPTIONS") == 0)
			return preflight(app, req, resp, allow);
		response_header(resp, "Allow", arena_strdup(req->arena, allow));
		return APP_ERR_METHOD_NOT_ALLOWED;
	}
	req->route = &routes[*route];
	if (((req->route->needs & NEED_AUTH) ||
	        ((req->route->needs & NEED_AUTH_IF_GIVEN) && req->authorization != NULL)) &&
	    (err = session_authenticate(app, req)) != APP_OK)
		return err;
	if ((req->route->needs & NEED_TENANT) == NEED_TENANT &&
	    (err = session_require_tenant(req, req->route->needs)) != APP_OK)
		return err;
	if ((req->route->needs & NEED_SUPERUSER) == NEED_SUPERUSER &&
	    (err = session_require_superuser(req)) != APP_OK)
		return err;
	if ((req->route->needs & (NEED_JSON | NEED_FORM)) &&
	    (err = read_body(app, req, fr)) != APP_OK)
		return err;
	return req->route->handler(app, req, resp);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

void
serve(struct app *app, FCGX_Request *fr, struct arena *a)
{
	struct request req;
	struct response resp;
	struct timespec t0;
	const char *head, *body;
	size_t headlen, bodylen;
	enum app_err err;
	int route;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	request_init(&req, fr, a);
	req.remote_addr = addr_client(
	    a, app->cfg.trusted_proxies, req.remote_addr, req.forwarded_for);
	memset(&resp, 0, sizeof(resp));
	err = dispatch(app, &req, &resp, fr, &route);
	/* A handler that left a transaction open must not hand it to the next request. */
	if (db_conn(app->db) != NULL && PQtransactionStatus(db_conn(app->db)) != PQTRANS_IDLE) {
		log_msg(LOG_ERROR, req.request_id, "a transaction was left open; rolled back");
		db_rollback(app->db);
		if (err == APP_OK)
			err = APP_ERR_INTERNAL;
	}
	if (err == APP_OK && resp.status == 0)
		err = APP_ERR_INTERNAL;
	if (err != APP_OK)
		respond_error(&req, &resp, err);
	respond_render(app, &req, &resp, &head, &headlen, &body, &bodylen);
	FCGX_PutStr(head, (int)headlen, fr->out);
	if (body != NULL && strcmp(req.method, "HEAD") != 0)
		FCGX_PutStr(body, (int)bodylen, fr->out);
	FCGX_FFlush(fr->out);
	secs = seconds_since(&t0);
	metrics_request(app->metrics, route, resp.status, secs);
	log_request(&(struct log_request){req.request_id, req.method, req.path, req.log_tenant,
	    req.log_user, resp.status, secs * 1000.0});
}
