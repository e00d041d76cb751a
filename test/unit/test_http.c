/*
 * fcgi/router, fcgi/respond and the route table: lookup and 405/404, the
 * one error-to-status table, the error shape and headers of API.md
 * "Conventions", and the contract that the route table and the OpenAPI
 * document describe the same operations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "respond.h"
#include "router.h"
#include "routes.h"

/* A request and response as fcgi/ would have them, for respond_*. */
struct fixture {
	struct app app;
	struct request req;
	struct response resp;
	char origins[128];
};

static int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->origins, "https://app.example.com");
	f->app.cfg.cors_allow_origins = f->origins;
	f->req.arena = arena_new();
	f->req.method = "GET";
	f->req.path = "/nowhere";
	f->req.query = "";
	f->req.content_length = -1;
	strcpy(f->req.request_id, "req-0123456789abcdef");
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(f->req.arena);
	free(f);
	return 0;
}

/* The route index for method and pattern, or -1. */
static int
route_index(const char *method, const char *pattern)
{
	size_t i;

	for (i = 0; i < nroutes; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return (int)i;
	return -1;
}

/* Router */

static void
router_finds_healthz_get(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	size_t n = 99;
	char allow[64] = "garbage";
	int i;

	(void)state;
	i = router_find(a, "GET", "/healthz", params, &n, allow, sizeof(allow));
	assert_true(i >= 0);
	assert_int_equal(i, route_index("GET", "/healthz"));
	assert_string_equal(routes[i].pattern, "/healthz");
	assert_ptr_equal(routes[i].handler, ops_healthz);
	assert_true(routes[i].needs & NEED_UNLIMITED);
	assert_int_equal(n, 0);
	arena_free(a);
}

static void
router_wrong_method_gives_allow(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	size_t n;
	char allow[64] = "garbage";

	(void)state;
	assert_int_equal(router_find(a, "POST", "/healthz", params, &n, allow, sizeof(allow)), -1);
	assert_string_equal(allow, "GET");
	assert_int_equal(n, 0);
	arena_free(a);
}

static void
router_unknown_path_gives_empty_allow(void **state)
{
	static const char *const paths[] = {"/nowhere", "/", "", "/healthz/", "/healthzz",
	    "/healthz/x", "/HEALTHZ", "//healthz", "/api/v1", "/api/v1/", "/api/v1/openapi.json/x"};
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	size_t n, i;
	char allow[64];

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		strcpy(allow, "garbage");
		if (router_find(a, "GET", paths[i], params, &n, allow, sizeof(allow)) != -1)
			fail_msg("%s was found", paths[i]);
		assert_string_equal(allow, "");
	}
	arena_free(a);
}

static void
router_method_is_case_sensitive(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	size_t n;
	char allow[64];

	(void)state;
	assert_int_equal(router_find(a, "get", "/healthz", params, &n, allow, sizeof(allow)), -1);
	assert_string_equal(allow, "GET");
	arena_free(a);
}

/*
 * HEAD is GET without the body (RFC 9110 9.3.2; fcgi/serve.c already drops
 * the body of a HEAD reply): a GET route answers HEAD too.
 */
static void
router_head_is_served_as_get(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	size_t n;
	char allow[64] = "";
	int i;

	(void)state;
	i = router_find(a, "HEAD", "/healthz", params, &n, allow, sizeof(allow));
	arena_free(a);
	if (i < 0)
		fail_msg("HEAD /healthz: not found (Allow: %s)", allow);
	assert_int_equal(i, route_index("GET", "/healthz"));
}

/*
 * A concrete path for pattern: each {name} becomes "v<k>" (k its position).
 * Returns the number of parameters.
 */
static size_t
concrete_path(const char *pattern, char *out, size_t outlen)
{
	size_t n = 0, len = 0;
	const char *p;

	for (p = pattern; *p != '\0' && len + 4 < outlen; p++) {
		if (*p == '{') {
			len += (size_t)snprintf(out + len, outlen - len, "v%zu", n++);
			p = strchr(p, '}');
			assert_non_null(p);
		} else
			out[len++] = *p;
	}
	out[len] = '\0';
	return n;
}

static void
router_finds_every_route_with_params(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	char path[512], allow[64], want[32];
	size_t i, j, n, nwant;

	(void)state;
	for (i = 0; i < nroutes; i++) {
		int found;

		nwant = concrete_path(routes[i].pattern, path, sizeof(path));
		assert_true(nwant <= HTTP_PARAMS_MAX);
		found = router_find(a, routes[i].method, path, params, &n, allow, sizeof(allow));
		if (found != (int)i)
			fail_msg("%s %s: found %d, want %zu", routes[i].method, path, found, i);
		assert_int_equal(n, nwant);
		for (j = 0; j < n; j++) {
			snprintf(want, sizeof(want), "v%zu", j);
			assert_string_equal(params[j], want);
		}
	}
	arena_free(a);
}

static void
router_every_route_lists_its_method_in_allow(void **state)
{
	struct arena *a = arena_new();
	const char *params[HTTP_PARAMS_MAX];
	char path[512], allow[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < nroutes; i++) {
		concrete_path(routes[i].pattern, path, sizeof(path));
		assert_int_equal(
		    router_find(a, "TRACE", path, params, &n, allow, sizeof(allow)), -1);
		if (strstr(allow, routes[i].method) == NULL)
			fail_msg("%s: Allow \"%s\" lacks %s", path, allow, routes[i].method);
	}
	arena_free(a);
}

static void
router_table_has_no_duplicates(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < nroutes; i++) {
		assert_non_null(routes[i].handler);
		assert_int_equal(routes[i].pattern[0], '/');
		for (j = i + 1; j < nroutes; j++)
			if (strcmp(routes[i].method, routes[j].method) == 0 &&
			    strcmp(routes[i].pattern, routes[j].pattern) == 0)
				fail_msg("%s %s twice", routes[i].method, routes[i].pattern);
	}
}

static void
router_admin_routes_need_a_superuser(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nroutes; i++) {
		int admin = strncmp(routes[i].pattern, "/api/v1/admin/", 14) == 0;
		int superuser = (routes[i].needs & NEED_SUPERUSER) == NEED_SUPERUSER;

		if (admin != superuser)
			fail_msg("%s %s: under /admin/ exactly when NEED_SUPERUSER",
			    routes[i].method, routes[i].pattern);
	}
}

/* The status table */

static void
respond_status_maps_every_member(void **state)
{
	int e;

	(void)state;
	assert_int_equal(respond_status(APP_OK), 200);
	for (e = 0; e < APP_ERR__MAX; e++) {
		int s = respond_status((enum app_err)e);

		if (s < 200 || s > 599)
			fail_msg("%s: status %d", app_errcode((enum app_err)e), s);
		if (e == APP_ERR_INTERNAL)
			assert_int_equal(s, 500);
		else if (s == 500)
			fail_msg("%s (enum %d) has no status of its own",
			    app_errcode((enum app_err)e), e);
		if (e != APP_OK && s < 400)
			fail_msg("%s: error with status %d", app_errcode((enum app_err)e), s);
	}
}

static void
respond_status_matches_api_md(void **state)
{
	static const struct {
		enum app_err e;
		int status;
	} want[] = {
	    {APP_ERR_INVALID_JSON, 400},
	    {APP_ERR_INVALID_CURSOR, 400},
	    {APP_ERR_INVALID_TENANT, 400},
	    {APP_ERR_TENANT_MISMATCH, 400},
	    {APP_ERR_INVALID_LINK_TOKEN, 400},
	    {APP_ERR_UNAUTHENTICATED, 401},
	    {APP_ERR_INVALID_TOKEN, 401},
	    {APP_ERR_TOKEN_EXPIRED, 401},
	    {APP_ERR_REFRESH_TOKEN_REUSED, 401},
	    {APP_ERR_INVALID_CREDENTIALS, 401},
	    {APP_ERR_FORBIDDEN, 403},
	    {APP_ERR_NOT_A_MEMBER, 403},
	    {APP_ERR_EMAIL_NOT_VERIFIED, 403},
	    {APP_ERR_ACCOUNT_DISABLED, 403},
	    {APP_ERR_TENANT_SUSPENDED, 403},
	    {APP_ERR_TENANT_TOKEN_MISMATCH, 403},
	    {APP_ERR_IMPERSONATION_FORBIDDEN, 403},
	    {APP_ERR_INVITE_EMAIL_MISMATCH, 403},
	    {APP_ERR_NOT_FOUND, 404},
	    {APP_ERR_TENANT_NOT_FOUND, 404},
	    {APP_ERR_METHOD_NOT_ALLOWED, 405},
	    {APP_ERR_EMAIL_ALREADY_EXISTS, 409},
	    {APP_ERR_SLUG_TAKEN, 409},
	    {APP_ERR_PROJECT_NAME_TAKEN, 409},
	    {APP_ERR_ALREADY_VERIFIED, 409},
	    {APP_ERR_ALREADY_MEMBER, 409},
	    {APP_ERR_INVITE_PENDING, 409},
	    {APP_ERR_LAST_OWNER, 409},
	    {APP_ERR_TENANT_DELETED, 410},
	    {APP_ERR_PRECONDITION_FAILED, 412},
	    {APP_ERR_PAYLOAD_TOO_LARGE, 413},
	    {APP_ERR_UNSUPPORTED_MEDIA_TYPE, 415},
	    {APP_ERR_VALIDATION_FAILED, 422},
	    {APP_ERR_WEAK_PASSWORD, 422},
	    {APP_ERR_RATE_LIMITED, 429},
	    {APP_ERR_INTERNAL, 500},
	    {APP_ERR_SERVICE_UNAVAILABLE, 503},
	    {APP_ERR_TENANT_NOT_READY, 503},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (respond_status(want[i].e) != want[i].status)
			fail_msg("%s: %d, want %d", app_errcode(want[i].e),
			    respond_status(want[i].e), want[i].status);
}

static void
respond_status_out_of_range_is_500(void **state)
{
	(void)state;
	assert_int_equal(respond_status(APP_ERR__MAX), 500);
	assert_int_equal(respond_status((enum app_err) - 1), 500);
}

static int
is_upper_snake(const char *s)
{
	const char *p;

	if (s == NULL || !(*s >= 'A' && *s <= 'Z'))
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
		if (*p == '_' && (p[1] == '_' || p[1] == '\0'))
			return 0;
	}
	return 1;
}

static void
app_errcode_is_upper_snake(void **state)
{
	int e;

	(void)state;
	for (e = 0; e < APP_ERR__MAX; e++)
		if (!is_upper_snake(app_errcode((enum app_err)e)))
			fail_msg("enum %d: code \"%s\"", e, app_errcode((enum app_err)e));
	assert_string_equal(app_errcode(APP_ERR_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(app_errcode(APP_ERR_INVALID_LINK_TOKEN), "INVALID_TOKEN");
	assert_string_equal(app_errcode(APP_ERR_TENANT_TOKEN_MISMATCH), "TENANT_MISMATCH");
	assert_string_equal(app_errcode(APP_ERR__MAX), "INTERNAL");
}

static void
app_strerror_is_a_sentence_for_every_member(void **state)
{
	int e;

	(void)state;
	for (e = 1; e < APP_ERR__MAX; e++) {
		const char *m = app_strerror((enum app_err)e);
		size_t n = strlen(m);

		if (n < 5 || !isupper((unsigned char)m[0]) || m[n - 1] != '.')
			fail_msg("%s: message \"%s\"", app_errcode((enum app_err)e), m);
	}
	assert_string_equal(app_strerror(APP_ERR__MAX), app_strerror(APP_ERR_INTERNAL));
}

/* respond_error */

static void
respond_error_builds_error_shape(void **state)
{
	struct fixture *f = *state;
	json_t *e;

	respond_error(&f->req, &f->resp, APP_ERR_NOT_FOUND);
	assert_int_equal(f->resp.status, 404);
	assert_non_null(f->resp.json);
	assert_int_equal(json_object_size(f->resp.json), 1);
	e = json_object_get(f->resp.json, "error");
	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 3);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "NOT_FOUND");
	assert_string_equal(
	    json_string_value(json_object_get(e, "message")), app_strerror(APP_ERR_NOT_FOUND));
	assert_string_equal(
	    json_string_value(json_object_get(e, "request_id")), "req-0123456789abcdef");
	assert_null(json_object_get(e, "details"));
}

static void
respond_error_includes_details(void **state)
{
	struct fixture *f = *state;
	json_t *d, *e;

	d = json_pack("[{s:s, s:s}]", "field", "email", "issue", "invalid");
	f->req.err_details = req_json(&f->req, d);
	respond_error(&f->req, &f->resp, APP_ERR_VALIDATION_FAILED);
	assert_int_equal(f->resp.status, 422);
	e = json_object_get(f->resp.json, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "VALIDATION_FAILED");
	assert_true(json_equal(json_object_get(e, "details"), d));
}

static void
respond_error_internal_hides_everything(void **state)
{
	struct fixture *f = *state;
	json_t *e;

	respond_error(&f->req, &f->resp, APP_ERR_INTERNAL);
	assert_int_equal(f->resp.status, 500);
	e = json_object_get(f->resp.json, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "INTERNAL");
	assert_string_equal(
	    json_string_value(json_object_get(e, "request_id")), "req-0123456789abcdef");
}

static int
has_header(const struct response *resp, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, name) == 0 &&
		    strcmp(resp->headers[i].value, value) == 0)
			return 1;
	return 0;
}

static void
respond_error_unauthenticated_asks_for_bearer(void **state)
{
	struct fixture *f = *state;

	respond_error(&f->req, &f->resp, APP_ERR_UNAUTHENTICATED);
	assert_int_equal(f->resp.status, 401);
	assert_true(has_header(&f->resp, "WWW-Authenticate", "Bearer"));
}

static void
respond_error_unavailable_sets_retry_after(void **state)
{
	struct fixture *f = *state;

	respond_error(&f->req, &f->resp, APP_ERR_TENANT_NOT_READY);
	assert_int_equal(f->resp.status, 503);
	assert_true(f->resp.retry_after > 0);
	assert_false(has_header(&f->resp, "WWW-Authenticate", "Bearer"));
}

/* respond_render */

/* The rendered head as a NUL-terminated string in the arena. */
static const char *
render(struct fixture *f, const char **body, size_t *bodylen)
{
	const char *head;
	size_t headlen;

	respond_render(&f->app, &f->req, &f->resp, &head, &headlen, body, bodylen);
	assert_non_null(head);
	assert_int_equal(strlen(head), headlen);
	return head;
}

static void
respond_render_status_line_first(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;

	respond_error(&f->req, &f->resp, APP_ERR_NOT_FOUND);
	head = render(f, &body, &bodylen);
	assert_true(strncmp(head, "Status: 404 Not Found\r\n", 23) == 0);
	/* The head ends with one empty line, and only there. */
	assert_non_null(strstr(head, "\r\n\r\n"));
	assert_ptr_equal(strstr(head, "\r\n\r\n"), head + strlen(head) - 4);
}

static void
respond_render_carries_request_id(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;

	respond_error(&f->req, &f->resp, APP_ERR_NOT_FOUND);
	head = render(f, &body, &bodylen);
	assert_non_null(strstr(head, "\r\nX-Request-ID: req-0123456789abcdef\r\n"));
}

static void
respond_render_carries_security_headers(void **state)
{
	static const char *const want[] = {
	    "\r\nX-Content-Type-Options: nosniff\r\n",
	    "\r\nX-Frame-Options: DENY\r\n",
	    "\r\nReferrer-Policy: no-referrer\r\n",
	    "\r\nContent-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n",
	    "\r\nStrict-Transport-Security: max-age=63072000; includeSubDomains\r\n",
	};
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen, i;

	f->resp.status = 204;
	head = render(f, &body, &bodylen);
	assert_true(strncmp(head, "Status: 204 No Content\r\n", 24) == 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(head, want[i]) == NULL)
			fail_msg("missing %s", want[i] + 2);
	assert_null(body);
	assert_int_equal(bodylen, 0);
	assert_null(strstr(head, "Content-Length:"));
}

static void
respond_render_json_body_and_length(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	char want[64];
	size_t bodylen;
	json_t *parsed;

	respond_error(&f->req, &f->resp, APP_ERR_NOT_FOUND);
	head = render(f, &body, &bodylen);
	assert_non_null(strstr(head, "\r\nContent-Type: application/json\r\n"));
	snprintf(want, sizeof(want), "\r\nContent-Length: %zu\r\n", bodylen);
	assert_non_null(strstr(head, want));
	parsed = json_loadb(body, bodylen, 0, NULL);
	assert_non_null(parsed);
	assert_true(json_equal(parsed, f->resp.json));
	json_decref(parsed);
}

static void
respond_render_no_store_only_when_asked(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;

	f->resp.status = 200;
	f->resp.json = req_json(&f->req, json_pack("{s:s}", "status", "ok"));
	head = render(f, &body, &bodylen);
	assert_null(strstr(head, "Cache-Control"));
	f->resp.no_store = 1;
	head = render(f, &body, &bodylen);
	assert_non_null(strstr(head, "\r\nCache-Control: no-store\r\n"));
}

static void
respond_render_cors_for_listed_origin_only(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;

	f->resp.status = 204;
	head = render(f, &body, &bodylen);
	assert_null(strstr(head, "Access-Control-"));
	f->req.origin = "https://evil.example.com";
	head = render(f, &body, &bodylen);
	assert_null(strstr(head, "Access-Control-"));
	f->req.origin = "https://app.example.com";
	head = render(f, &body, &bodylen);
	assert_non_null(
	    strstr(head, "\r\nAccess-Control-Allow-Origin: https://app.example.com\r\n"));
	assert_null(strstr(head, "Access-Control-Allow-Origin: *"));
	assert_non_null(strstr(head, "\r\nVary: Origin\r\n"));
}

static void
respond_render_extra_headers_and_retry_after(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;

	respond_error(&f->req, &f->resp, APP_ERR_SERVICE_UNAVAILABLE);
	response_header(&f->resp, "X-Test", "yes");
	head = render(f, &body, &bodylen);
	assert_true(strncmp(head, "Status: 503 Service Unavailable\r\n", 33) == 0);
	assert_non_null(strstr(head, "\r\nRetry-After: 5\r\n"));
	assert_non_null(strstr(head, "\r\nX-Test: yes\r\n"));
}

static void
respond_render_has_reason_for_every_status(void **state)
{
	struct fixture *f = *state;
	const char *head, *body;
	size_t bodylen;
	int e, s;
	char prefix[32];

	for (e = 0; e < APP_ERR__MAX; e++) {
		memset(&f->resp, 0, sizeof(f->resp));
		s = respond_status((enum app_err)e);
		f->resp.status = s;
		head = render(f, &body, &bodylen);
		snprintf(prefix, sizeof(prefix), "Status: %d ", s);
		assert_true(strncmp(head, prefix, strlen(prefix)) == 0);
		if (strncmp(head + strlen(prefix), "Status\r\n", 8) == 0)
			fail_msg("status %d has no reason phrase", s);
	}
}

/* The contract: route table == OpenAPI operations */

static json_t *
openapi_load(void)
{
	json_error_t jerr;
	json_t *doc;

	doc = json_loadb(openapi_json, openapi_json_len, 0, &jerr);
	if (doc == NULL)
		fail_msg("handlers/openapi.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
	return doc;
}

static int
is_operation(const char *key)
{
	static const char *const ops[] = {
	    "get", "put", "post", "delete", "options", "head", "patch", "trace"};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(key, ops[i]) == 0)
			return 1;
	return 0;
}

static void
openapi_is_version_3_1(void **state)
{
	json_t *doc = openapi_load();
	const char *v = json_string_value(json_object_get(doc, "openapi"));

	(void)state;
	assert_non_null(v);
	assert_true(strncmp(v, "3.1", 3) == 0);
	assert_true(json_is_object(json_object_get(doc, "info")));
	json_decref(doc);
}

static void
openapi_documents_every_route(void **state)
{
	json_t *doc = openapi_load(), *paths;
	size_t i, missing = 0;

	(void)state;
	paths = json_object_get(doc, "paths");
	if (!json_is_object(paths)) {
		json_decref(doc);
		fail_msg("openapi.json has no \"paths\" object");
	}
	for (i = 0; i < nroutes; i++) {
		char lower[16];
		size_t j;

		for (j = 0; routes[i].method[j] != '\0' && j + 1 < sizeof(lower); j++)
			lower[j] = (char)tolower((unsigned char)routes[i].method[j]);
		lower[j] = '\0';
		if (!json_is_object(
		        json_object_get(json_object_get(paths, routes[i].pattern), lower))) {
			print_error("route %s %s is not in openapi.json\n", routes[i].method,
			    routes[i].pattern);
			missing++;
		}
	}
	json_decref(doc);
	assert_int_equal(missing, 0);
}

static void
openapi_has_no_operation_without_route(void **state)
{
	json_t *doc = openapi_load(), *paths, *item, *op;
	const char *pattern, *key;
	size_t extra = 0, nops = 0;

	(void)state;
	paths = json_object_get(doc, "paths");
	if (!json_is_object(paths)) {
		json_decref(doc);
		fail_msg("openapi.json has no \"paths\" object");
	}
	json_object_foreach(paths, pattern, item)
	{
		json_object_foreach(item, key, op)
		{
			char upper[16];
			size_t j;

			if (!is_operation(key))
				continue;
			nops++;
			for (j = 0; key[j] != '\0' && j + 1 < sizeof(upper); j++)
				upper[j] = (char)toupper((unsigned char)key[j]);
			upper[j] = '\0';
			if (route_index(upper, pattern) == -1) {
				print_error("openapi.json %s %s has no route\n", upper, pattern);
				extra++;
			}
		}
	}
	json_decref(doc);
	assert_int_equal(extra, 0);
	assert_int_equal(nops, nroutes);
}

int
main(void)
{
#define F(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(router_finds_healthz_get),
	    cmocka_unit_test(router_wrong_method_gives_allow),
	    cmocka_unit_test(router_unknown_path_gives_empty_allow),
	    cmocka_unit_test(router_method_is_case_sensitive),
	    cmocka_unit_test(router_head_is_served_as_get),
	    cmocka_unit_test(router_finds_every_route_with_params),
	    cmocka_unit_test(router_every_route_lists_its_method_in_allow),
	    cmocka_unit_test(router_table_has_no_duplicates),
	    cmocka_unit_test(router_admin_routes_need_a_superuser),
	    cmocka_unit_test(respond_status_maps_every_member),
	    cmocka_unit_test(respond_status_matches_api_md),
	    cmocka_unit_test(respond_status_out_of_range_is_500),
	    cmocka_unit_test(app_errcode_is_upper_snake),
	    cmocka_unit_test(app_strerror_is_a_sentence_for_every_member),
	    F(respond_error_builds_error_shape),
	    F(respond_error_includes_details),
	    F(respond_error_internal_hides_everything),
	    F(respond_error_unauthenticated_asks_for_bearer),
	    F(respond_error_unavailable_sets_retry_after),
	    F(respond_render_status_line_first),
	    F(respond_render_carries_request_id),
	    F(respond_render_carries_security_headers),
	    F(respond_render_json_body_and_length),
	    F(respond_render_no_store_only_when_asked),
	    F(respond_render_cors_for_listed_origin_only),
	    F(respond_render_extra_headers_and_retry_after),
	    F(respond_render_has_reason_for_every_status),
	    cmocka_unit_test(openapi_is_version_3_1),
	    cmocka_unit_test(openapi_documents_every_route),
	    cmocka_unit_test(openapi_has_no_operation_without_route),
	};
#undef F

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
