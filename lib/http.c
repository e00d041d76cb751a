/* Small helpers for building a response (see http.h). */
#include "http.h"

#include "arena.h"
#include "json.h"

static void
json_release(void *p)
{
	json_decref(p);
}

json_t *
req_json(struct request *req, json_t *j)
{
	return arena_defer(req->arena, json_release, j);
}

int
response_header(struct response *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_HEADERS_MAX)
		return -1;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
	return 0;
}

enum app_err
response_json(struct request *req, struct response *resp, int status, json_t *body)
{
	if (body == NULL)
		return APP_ERR_INTERNAL;
	resp->status = status;
	resp->json = req_json(req, body);
	return APP_OK;
}

enum app_err
request_fields(struct request *req, const struct field *fields, size_t n)
{
	enum app_err err = json_fields_check(req->json, fields, n, &req->err_details);

	req_json(req, req->err_details);
	return err;
}
