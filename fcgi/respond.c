/*
 * Responses (see respond.h). The status table is indexed by enum app_err;
 * a unit test checks that every member has a status.
 */
#include "respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

static const short statuses[APP_ERR__MAX] = {
    [APP_ERR_OK] = 200,
    [APP_ERR_BAD_REQUEST] = 400,
    [APP_ERR_INVALID_JSON] = 400,
    [APP_ERR_INVALID_CURSOR] = 400,
    [APP_ERR_INVALID_TENANT] = 400,
    [APP_ERR_INVALID_QUERY] = 400,
    [APP_ERR_TENANT_MISMATCH] = 400,
    [APP_ERR_INVALID_LINK_TOKEN] = 400,
    [APP_ERR_UNAUTHENTICATED] = 401,
    [APP_ERR_INVALID_TOKEN] = 401,
    [APP_ERR_TOKEN_EXPIRED] = 401,
    [APP_ERR_REFRESH_TOKEN_REUSED] = 401,
    [APP_ERR_INVALID_CREDENTIALS] = 401,
    [APP_ERR_FORBIDDEN] = 403,
    [APP_ERR_NOT_A_MEMBER] = 403,
    [APP_ERR_EMAIL_NOT_VERIFIED] = 403,
    [APP_ERR_ACCOUNT_DISABLED] = 403,
    [APP_ERR_TENANT_SUSPENDED] = 403,
    [APP_ERR_TENANT_TOKEN_MISMATCH] = 403,
    [APP_ERR_IMPERSONATION_FORBIDDEN] = 403,
    [APP_ERR_INVITE_EMAIL_MISMATCH] = 403,
    [APP_ERR_NOT_FOUND] = 404,
    [APP_ERR_TENANT_NOT_FOUND] = 404,
    [APP_ERR_METHOD_NOT_ALLOWED] = 405,
    [APP_ERR_CONFLICT] = 409,
    [APP_ERR_EMAIL_ALREADY_EXISTS] = 409,
    [APP_ERR_SLUG_TAKEN] = 409,
    [APP_ERR_PROJECT_NAME_TAKEN] = 409,
    [APP_ERR_ALREADY_VERIFIED] = 409,
    [APP_ERR_ALREADY_MEMBER] = 409,
    [APP_ERR_INVITE_PENDING] = 409,
    [APP_ERR_LAST_OWNER] = 409,
    [APP_ERR_TENANT_DELETED] = 410,
    [APP_ERR_PRECONDITION_FAILED] = 412,
    [APP_ERR_PAYLOAD_TOO_LARGE] = 413,
    [APP_ERR_UNSUPPORTED_MEDIA_TYPE] = 415,
    [APP_ERR_VALIDATION_FAILED] = 422,
    [APP_ERR_WEAK_PASSWORD] = 422,
    [APP_ERR_RATE_LIMITED] = 429,
    [APP_ERR_INTERNAL] = 500,
    [APP_ERR_SERVICE_UNAVAILABLE] = 503,
    [APP_ERR_TENANT_NOT_READY] = 503,
};

int
respond_status(enum app_err e)
{
	return (unsigned)e < APP_ERR__MAX && statuses[e] != 0 ? statuses[e] : 500;
}

void
respond_error(struct request *req, struct response *resp, enum app_err err)
{
	json_t *e = json_pack("{s:s, s:s, s:s}", "code", app_errcode(err), "message",
	    app_strerror(err), "request_id", req->request_id);

	if (e != NULL && req->err_details != NULL)
		json_object_set(e, "details", req->err_details);
	resp->status = respond_status(err);
	resp->json = req_json(req, json_pack("{s:o}", "error", e));
	resp->text = NULL;
	if (err == APP_ERR_UNAUTHENTICATED)
		response_header(resp, "WWW-Authenticate", "Bearer");
	if ((err == APP_ERR_SERVICE_UNAVAILABLE || err == APP_ERR_TENANT_NOT_READY) &&
	    resp->retry_after == 0)
		resp->retry_after = 5;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Headers on every response (API.md, "Conventions"). */
static const char security_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
    "Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n";

static void
render_cors(FILE *f, const struct app *app, const struct request *req)
{
	if (!config_origin_allowed(&app->cfg, req->origin))
		return;
	fprintf(f,
	    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: X-Request-ID, ETag, Location, Retry-After\r\n",
	    req->origin);
}

void
respond_render(const struct app *app, const struct request *req, struct response *resp,
    const char **head, size_t *headlen, const char **body, size_t *bodylen)
{
	char *buf = NULL, *json = NULL;
	size_t len = 0, i;
	FILE *f;

	*body = NULL;
	*bodylen = 0;
	if (resp->json != NULL) {
		json = json_dumps(resp->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (json == NULL)
			abort();
		arena_defer(req->arena, free, json);
		*body = json;
		*bodylen = strlen(json);
	} else if (resp->text != NULL) {
		*body = resp->text;
		*bodylen = resp->text_len;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	fprintf(f, "Status: %d %s\r\n", resp->status, reason(resp->status));
	if (*body != NULL)
		fprintf(f, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    resp->json ? "application/json" : resp->content_type, *bodylen);
	fprintf(f, "X-Request-ID: %s\r\n%s", req->request_id, security_headers);
	if (resp->no_store)
		fputs("Cache-Control: no-store\r\n", f);
	if (resp->retry_after > 0)
		fprintf(f, "Retry-After: %ld\r\n", resp->retry_after);
	render_cors(f, app, req);
	for (i = 0; i < resp->nheaders; i++)
		fprintf(f, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	fputs("\r\n", f);
	if (fclose(f) != 0)
		abort();
	arena_defer(req->arena, free, buf);
	*head = buf;
	*headlen = len;
}
