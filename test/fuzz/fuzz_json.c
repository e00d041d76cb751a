/*
 * JSON request bodies (lib/json.c). The first byte picks the depth limit
 * (2..64, as MAX_JSON_DEPTH may), the rest is the body: json_body_parse()
 * must accept exactly what Jansson accepts (any value, a bare string or
 * number too: the handlers answer those 422) without duplicate keys and
 * within the limit. An accepted body then goes through json_fields_check()
 * with field tables like the handlers' (register, invite, and one with a
 * number and a flag), and its strings through the text rules of lib/text.c.
 */
#include "fuzz.h"

#include <string.h>

#include <jansson.h>

#include "json.h"
#include "text.h"
#include "validate.h"

static const struct field register_fields[] = {
    {"email", FIELD_STRING, 1, 3, 254, email_is_valid},
    {"password", FIELD_STRING, 1, 1, 4096, NULL},
    {"full_name", FIELD_STRING, 1, 1, 200, NULL},
    {"tenant_name", FIELD_STRING, 1, 1, 200, NULL},
    {"tenant_slug", FIELD_STRING, 1, 3, 56, slug_is_allowed},
};

static const struct field invite_fields[] = {
    {"email", FIELD_STRING, 1, 3, 254, email_is_valid},
    {"role", FIELD_STRING, 1, 1, 16, role_is_valid},
    {"user_id", FIELD_STRING, 0, 36, 36, uuid_is_valid},
};

static const struct field mixed_fields[] = {
    {"name", FIELD_STRING, 0, 1, 800, NULL},
    {"description", FIELD_STRING, 0, 0, 0, NULL},
    {"ttl", FIELD_INTEGER, 0, 1, 86400, NULL},
    {"limit", FIELD_INTEGER, 1, 0, 0, NULL},
    {"active", FIELD_BOOLEAN, 0, 0, 0, NULL},
};

#define TABLE(t)                                                                                   \
	{                                                                                          \
		t, sizeof(t) / sizeof(t[0])                                                        \
	}
static const struct {
	const struct field *fields;
	size_t n;
} tables[] = {TABLE(register_fields), TABLE(invite_fields), TABLE(mixed_fields)};

/* How deep v nests containers: 0 for a scalar. */
static long
depth_of(json_t *v)
{
	const char *k;
	json_t *child;
	size_t i;
	long d = 0, c;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) if ((c = depth_of(child)) > d) d = c;
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child) if ((c = depth_of(child)) > d) d = c;
		return d + 1;
	}
	return 0;
}

/* What json_fields_check() promised for an object it passed. */
static void
check_passed(json_t *obj, const struct field *fields, size_t n)
{
	const char *key;
	json_t *v;
	size_t i;

	FUZZ_ASSERT(json_is_object(obj), "a passed body is an object");
	json_object_foreach(obj, key, v)
	{
		const struct field *f = NULL;

		for (i = 0; i < n; i++)
			if (strcmp(fields[i].name, key) == 0)
				f = &fields[i];
		FUZZ_ASSERT(f != NULL, "a passed body has only known keys");
		switch (f->type) {
		case FIELD_STRING: {
			size_t len = json_string_length(v);

			FUZZ_ASSERT(json_is_string(v), "a string field is a string");
			FUZZ_ASSERT(len >= f->min && (f->max == 0 || len <= f->max),
			    "a string field is within its length");
			FUZZ_ASSERT(
			    strlen(json_string_value(v)) == len, "a string field has no NUL");
			FUZZ_ASSERT(f->valid == NULL || f->valid(json_string_value(v)),
			    "a string field passes its check");
			break;
		}
		case FIELD_INTEGER:
			FUZZ_ASSERT(json_is_integer(v), "an integer field is an integer");
			FUZZ_ASSERT(json_integer_value(v) >= (json_int_t)f->min &&
			        (f->max == 0 || json_integer_value(v) <= (json_int_t)f->max),
			    "an integer field is within its range");
			break;
		case FIELD_BOOLEAN:
			FUZZ_ASSERT(json_is_boolean(v), "a boolean field is a boolean");
			break;
		}
	}
	for (i = 0; i < n; i++)
		FUZZ_ASSERT(!fields[i].required || json_object_get(obj, fields[i].name) != NULL,
		    "a passed body has every required field");
}

/* The details of a refusal: a non-empty array of {"field", "issue"}. */
static void
check_details(json_t *details)
{
	static const char *const issues[] = {
	    "required", "unknown", "type", "too_short", "too_long", "invalid"};
	json_t *d;
	size_t i, k;

	FUZZ_ASSERT(json_is_array(details) && json_array_size(details) > 0, "details are given");
	json_array_foreach(details, i, d)
	{
		const char *issue = json_string_value(json_object_get(d, "issue"));
		int known = 0;

		FUZZ_ASSERT(
		    json_is_string(json_object_get(d, "field")), "a detail names its field");
		for (k = 0; issue != NULL && k < sizeof(issues) / sizeof(issues[0]); k++)
			known |= strcmp(issue, issues[k]) == 0;
		FUZZ_ASSERT(known, "a detail's issue is one of the contract's");
	}
}

/* The text rules on every string in v, as handlers apply them to names. */
static void
check_text(json_t *v)
{
	const char *k, *s, *t;
	json_t *child;
	size_t i, n, tn;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) check_text(child);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) check_text(child);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
		FUZZ_ASSERT(text_length(s, n) <= n, "no more characters than bytes");
		tn = n;
		t = text_trim(s, &tn);
		FUZZ_ASSERT(t >= s && t + tn <= s + n, "trimmed text lies within the text");
		FUZZ_ASSERT(utf8_is_valid(t, tn), "trimmed text is still UTF-8");
		(void)text_has_control(s, n, "\t\n\r");
		(void)text_has_control(t, tn, "");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL, *plain, *details;
	json_error_t e;
	long max_depth;
	enum app_err err;
	size_t i;

	if (size < 1)
		return 0;
	max_depth = 2 + data[0] % 63;
	data++, size--;
	err = json_body_parse((const char *)data, size, max_depth, &v);
	plain = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	FUZZ_ASSERT(err == APP_OK || err == APP_ERR_INVALID_JSON, "OK or INVALID_JSON");
	FUZZ_ASSERT((err == APP_OK) == (v != NULL), "a value exactly when OK");
	FUZZ_ASSERT((err == APP_OK) == (plain != NULL && depth_of(plain) <= max_depth),
	    "accepted exactly when Jansson parses it and it nests within the limit");
	json_decref(plain);
	if (v == NULL)
		return 0;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		err = json_fields_check(v, tables[i].fields, tables[i].n, &details);
		if (err == APP_OK) {
			FUZZ_ASSERT(details == NULL, "no details when OK");
			check_passed(v, tables[i].fields, tables[i].n);
		} else {
			FUZZ_ASSERT(err == APP_ERR_VALIDATION_FAILED, "OK or VALIDATION_FAILED");
			check_details(details);
			json_decref(details);
		}
	}
	check_text(v);
	json_decref(v);
	return 0;
}
