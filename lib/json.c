/*
 * JSON request bodies: Jansson with duplicate keys refused, a depth limit
 * enforced after parsing, and table-driven field checks.
 */
#include "json.h"

#include <string.h>

/* Depth of v, stopping early once it passes max. */
static long
depth(json_t *v, long max)
{
	long d = 0, c;

	if (max < 0)
		return 1;
	if (json_is_object(v)) {
		const char *k;
		json_t *child;

		json_object_foreach(v, k, child) if ((c = depth(child, max - 1)) > d) d = c;
		return d + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *child;

		json_array_foreach(v, i, child) if ((c = depth(child, max - 1)) > d) d = c;
		return d + 1;
	}
	return 0;
}

enum app_err
json_body_parse(const char *buf, size_t len, long max_depth, json_t **out)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	if (buf == NULL || len == 0)
		return APP_ERR_INVALID_JSON;
	/* Any JSON text: a scalar body is well-formed, and the field check calls it body:type. */
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		return APP_ERR_INVALID_JSON;
	if (depth(v, max_depth) > max_depth) {
		json_decref(v);
		return APP_ERR_INVALID_JSON;
	}
	*out = v;
	return APP_OK;
}

static void
issue(json_t *details, const char *field, const char *what)
{
	json_array_append_new(details, json_pack("{s:s, s:s}", "field", field, "issue", what));
}

static const struct field *
field_find(const struct field *fields, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

/* The issue with value v for field f, or NULL when it is fine. */
static const char *
field_issue(const struct field *f, json_t *v)
{
	switch (f->type) {
	case FIELD_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);

		if (!json_is_string(v))
			return "type";
		if (len < f->min)
			return "too_short";
		if (f->max != 0 && len > f->max)
			return "too_long";
		if (memchr(s, '\0', len) != NULL || (f->valid != NULL && !f->valid(s)))
			return "invalid";
		return NULL;
	}
	case FIELD_INTEGER:
		if (!json_is_integer(v))
			return "type";
		if (json_integer_value(v) < (json_int_t)f->min ||
		    (f->max != 0 && json_integer_value(v) > (json_int_t)f->max))
			return "invalid";
		return NULL;
	case FIELD_BOOLEAN:
		return json_is_boolean(v) ? NULL : "type";
	}
	return "invalid";
}

enum app_err
json_fields_check(json_t *obj, const struct field *fields, size_t n, json_t **details)
{
	const char *key;
	json_t *v, *d;
	size_t i;

	*details = NULL;
	if ((d = json_array()) == NULL)
		return APP_ERR_INTERNAL;
	if (!json_is_object(obj)) {
		issue(d, "body", "type");
		goto out;
	}
	json_object_foreach(obj, key, v)
	{
		const struct field *f = field_find(fields, n, key);
		const char *what = f == NULL ? "unknown" : field_issue(f, v);

		if (what != NULL)
			issue(d, key, what);
	}
	for (i = 0; i < n; i++)
		if (fields[i].required && json_object_get(obj, fields[i].name) == NULL)
			issue(d, fields[i].name, "required");
out:
	if (json_array_size(d) == 0) {
		json_decref(d);
		return APP_OK;
	}
	*details = d;
	return APP_ERR_VALIDATION_FAILED;
}

const char *
json_str(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}
