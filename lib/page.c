/* Paged lists: the query and the cursor (see page.h). */
#include "page.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "form.h"
#include "http.h"
#include "validate.h"

#define QUERY_PAIRS_MAX 16

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int
page_cursor_parse(const char *cursor, char us[24], char id[37])
{
	const char *dot = strchr(cursor, '.');
	size_t n, i, o = 0;
	long v;

	if (dot == NULL || (n = (size_t)(dot - cursor)) == 0 || n > 19 || strlen(dot + 1) != 32)
		return -1;
	for (i = 0; i < n; i++)
		if (cursor[i] < '0' || cursor[i] > '9' || (i == 0 && cursor[i] == '0' && n > 1))
			return -1;
	memcpy(us, cursor, n);
	us[n] = '\0';
	if (parse_long(us, 0, 253402300799999999L, &v) != 0) /* up to 9999-12-31 */
		return -1;
	for (i = 0; i < 32; i++) {
		if (!is_hex(dot[1 + i]))
			return -1;
		if (i == 8 || i == 12 || i == 16 || i == 20)
			id[o++] = '-';
		id[o++] = dot[1 + i];
	}
	id[o] = '\0';
	return 0;
}

char *
page_cursor(struct arena *a, const char *us, const char *id)
{
	char buf[24 + 1 + 32 + 1], *o;
	size_t n = us ? strlen(us) : 0;

	if (n == 0 || n > 19 || id == NULL || !uuid_is_valid(id))
		return NULL;
	memcpy(buf, us, n);
	o = buf + n;
	*o++ = '.';
	for (; *id; id++)
		if (*id != '-')
			*o++ = (char)(*id >= 'A' && *id <= 'F' ? *id - 'A' + 'a' : *id);
	*o = '\0';
	return arena_strdup(a, buf);
}

static enum app_err
invalid(struct request *req, const char *field, const char *what)
{
	req->err_details = req_json(req, json_pack("[{s:s, s:s}]", "field", field, "issue", what));
	return APP_ERR_VALIDATION_FAILED;
}

enum app_err
page_parse(struct request *req, const char *const *extra, const char **values, size_t nextra,
    struct page *out)
{
	struct form_pair pairs[QUERY_PAIRS_MAX];
	const char *query = req->query ? req->query : "";
	const char *limit, *cursor;
	int n, dup, i;
	size_t k;

	memset(out, 0, sizeof(*out));
	out->limit = PAGE_LIMIT_DEFAULT;
	if ((n = form_parse(req->arena, query, strlen(query), pairs, QUERY_PAIRS_MAX)) < 0)
		return APP_ERR_INVALID_QUERY;
	for (i = 0; i < n; i++) {
		const char *name = pairs[i].name;
		int known = strcmp(name, "limit") == 0 || strcmp(name, "cursor") == 0;

		for (k = 0; k < nextra && !known; k++)
			known = strcmp(name, extra[k]) == 0;
		if (!known)
			return invalid(req, name, "unknown");
		form_get(pairs, (size_t)n, name, &dup);
		if (dup)
			return APP_ERR_INVALID_QUERY;
	}
	for (k = 0; k < nextra; k++)
		values[k] = form_get(pairs, (size_t)n, extra[k], &dup);

	limit = form_get(pairs, (size_t)n, "limit", &dup);
	if (limit != NULL && parse_long(limit, 1, PAGE_LIMIT_MAX, &out->limit) != 0)
		return invalid(req, "limit", "invalid");
	snprintf(out->fetch, sizeof(out->fetch), "%ld", out->limit + 1);

	cursor = form_get(pairs, (size_t)n, "cursor", &dup);
	if (cursor == NULL)
		return APP_OK;
	if (page_cursor_parse(cursor, out->us_buf, out->id_buf) != 0)
		return APP_ERR_INVALID_CURSOR;
	out->after_us = out->us_buf;
	out->after_id = out->id_buf;
	return APP_OK;
}

enum app_err
page_parse_filters(struct request *req, const struct page_filter *filters, size_t n,
    const char **values, struct page *out)
{
	const char *names[PAGE_FILTERS_MAX] = {NULL};
	enum app_err err;
	size_t i;

	if (n > PAGE_FILTERS_MAX)
		return APP_ERR_INTERNAL;
	for (i = 0; i < n; i++)
		names[i] = filters[i].name;
	if ((err = page_parse(req, names, values, n, out)) != APP_OK)
		return err;
	for (i = 0; i < n; i++)
		if (values[i] != NULL && filters[i].valid != NULL && !filters[i].valid(values[i]))
			return invalid(req, filters[i].name, "invalid");
	return APP_OK;
}

const char **
page_params(struct arena *a, const struct page *page, const char *const *values, size_t n)
{
	const char **p = arena_alloc(a, (3 + n) * sizeof(*p));
	size_t i;

	p[0] = page->fetch;
	p[1] = page->after_us;
	p[2] = page->after_id;
	for (i = 0; i < n; i++)
		p[3 + i] = values[i];
	return p;
}
