/*
 * lib/json: what json_body_parse lets through (API.md "Malformed JSON: 400
 * INVALID_JSON"), and the VALIDATION_FAILED details json_fields_check gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"

#define DEPTH 32 /* MAX_JSON_DEPTH's default */

/* Parses a NUL-terminated text; *out is set (or NULL). */
static enum app_err
parse(const char *text, json_t **out)
{
	return json_body_parse(text, strlen(text), DEPTH, out);
}

/* n nested arrays: "[[...]]". Caller frees. */
static char *
nested_arrays(size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	s[2 * n] = '\0';
	return s;
}

/* n nested objects: {"a":{"a":...{}}}. Caller frees. */
static char *
nested_objects(size_t n)
{
	char *s = malloc(6 * n + 1), *p;
	size_t i;

	assert_non_null(s);
	p = s;
	for (i = 0; i + 1 < n; i++) {
		memcpy(p, "{\"a\":", 5);
		p += 5;
	}
	*p++ = '{';
	for (i = 0; i < n; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static void
json_parse_accepts_object(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(
	    parse("{\"email\":\"a@b.co\",\"n\":3,\"ok\":true,\"x\":null}", &v), APP_OK);
	assert_non_null(v);
	assert_true(json_is_object(v));
	assert_string_equal(json_str(v, "email"), "a@b.co");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 3);
	assert_true(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
}

/* A scalar or an array is well-formed JSON: the field check, not the parser, refuses it. */
static void
json_parse_accepts_any_value(void **state)
{
	static const char *const good[] = {"[]", "\"text\"", "42", "null", "true"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *v = NULL;

		if (parse(good[i], &v) != APP_OK)
			fail_msg("refused: %s", good[i]);
		assert_non_null(v);
		json_decref(v);
	}
}

static void
json_parse_uses_length_not_nul(void **state)
{
	const char buf[] = "{\"a\":1}garbage";
	json_t *v = NULL;

	(void)state;
	assert_int_equal(json_body_parse(buf, 7, DEPTH, &v), APP_OK);
	assert_non_null(v);
	json_decref(v);
	v = NULL;
	assert_int_equal(json_body_parse(buf, sizeof(buf) - 1, DEPTH, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

static void
json_parse_rejects_malformed(void **state)
{
	static const char *const bad[] = {
	    "{",
	    "}",
	    "{\"a\":}",
	    "{\"a\" 1}",
	    "{'a':1}",
	    "{\"a\":1,}",
	    "{a:1}",
	    "{\"a\":1}}",
	    "{\"a\":1} x",
	    "{\"a\":01}",
	    "{\"a\":NaN}",
	    "{\"a\":\"unterminated}",
	    "not json",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = (json_t *)&v; /* must be reset to NULL */

		if (parse(bad[i], &v) != APP_ERR_INVALID_JSON)
			fail_msg("accepted: %s", bad[i]);
		assert_null(v);
	}
}

static void
json_parse_rejects_empty_body(void **state)
{
	json_t *v = (json_t *)&v;

	(void)state;
	assert_int_equal(json_body_parse("", 0, DEPTH, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	assert_int_equal(json_body_parse(NULL, 0, DEPTH, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	assert_int_equal(parse("   ", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

static void
json_parse_rejects_duplicate_keys(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("{\"a\":1,\"a\":2}", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	assert_int_equal(
	    parse("{\"x\":{\"role\":\"member\",\"role\":\"owner\"}}", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

static void
json_parse_accepts_depth_at_limit(void **state)
{
	char *a = nested_arrays(DEPTH), *o = nested_objects(DEPTH);
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse(o, &v), APP_OK);
	json_decref(v);
	v = NULL;
	assert_int_equal(parse(a, &v), APP_OK);
	json_decref(v);
	free(a);
	free(o);
}

static void
json_parse_rejects_depth_over_limit(void **state)
{
	char *a = nested_arrays(DEPTH + 1), *o = nested_objects(DEPTH + 1);
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse(o, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	assert_int_equal(parse(a, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	free(a);
	free(o);
}

static void
json_parse_rejects_very_deep_nesting(void **state)
{
	char *a = nested_arrays(5000);
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse(a, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	free(a);
}

static void
json_parse_scalars_do_not_count_as_depth(void **state)
{
	char *a = nested_arrays(DEPTH), *b;
	json_t *v = NULL;

	(void)state;
	/* 32 arrays with a number and a string at the bottom: still depth 32. */
	b = malloc(strlen(a) + 16);
	assert_non_null(b);
	memcpy(b, a, DEPTH);
	strcpy(b + DEPTH, "1,\"s\"");
	strcat(b, a + DEPTH);
	assert_int_equal(parse(b, &v), APP_OK);
	json_decref(v);
	free(a);
	free(b);
}

static void
json_parse_depth_limit_follows_argument(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(json_body_parse("{\"a\":{}}", 8, 2, &v), APP_OK);
	json_decref(v);
	v = NULL;
	assert_int_equal(json_body_parse("{\"a\":{\"b\":{}}}", 14, 2, &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

static void
json_parse_rejects_invalid_utf8(void **state)
{
	static const char *const bad[] = {
	    "{\"a\":\"\xff\"}",         /* never valid */
	    "{\"a\":\"\xc3\"}",         /* truncated sequence */
	    "{\"a\":\"\xc0\xaf\"}",     /* overlong '/' */
	    "{\"a\":\"\xed\xa0\x80\"}", /* UTF-16 surrogate */
	    "{\"\xfe\":1}",             /* in a key */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = NULL;

		if (parse(bad[i], &v) != APP_ERR_INVALID_JSON)
			fail_msg("accepted invalid UTF-8 #%zu", i);
		assert_null(v);
	}
}

static void
json_parse_accepts_valid_utf8(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("{\"name\":\"caf\xc3\xa9 \\u00e9 \xf0\x9f\x98\x80\"}", &v), APP_OK);
	assert_string_equal(json_str(v, "name"), "caf\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80");
	json_decref(v);
}

static void
json_parse_rejects_nul_escape(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("{\"email\":\"a@b.co\\u0000admin\"}", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
	assert_int_equal(parse("{\"a\\u0000b\":1}", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

static void
json_parse_rejects_lone_surrogate_escape(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(parse("{\"a\":\"\\ud800\"}", &v), APP_ERR_INVALID_JSON);
	assert_null(v);
}

/* json_fields_check */

static int
starts_with_x(const char *s)
{
	return s[0] == 'x';
}

static const struct field fields[] = {
    {"name", FIELD_STRING, 1, 2, 5, NULL},
    {"code", FIELD_STRING, 0, 0, 0, starts_with_x},
    {"count", FIELD_INTEGER, 0, 1, 10, NULL},
    {"flag", FIELD_BOOLEAN, 0, 0, 0, NULL},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/*
 * Checks body against fields and asserts exactly one detail
 * {"field": field, "issue": issue}.
 */
static void
check_one_issue(const char *body, const char *field, const char *issue)
{
	json_t *obj, *details = (json_t *)&obj, *d;
	json_error_t jerr;

	obj = json_loads(body, JSON_DECODE_ANY, &jerr);
	assert_non_null(obj);
	assert_int_equal(
	    json_fields_check(obj, fields, NFIELDS, &details), APP_ERR_VALIDATION_FAILED);
	assert_non_null(details);
	assert_true(json_is_array(details));
	if (json_array_size(details) != 1) {
		char *s = json_dumps(details, 0);

		print_error("%s: details %s\n", body, s);
		free(s);
		fail();
	}
	d = json_array_get(details, 0);
	assert_int_equal(json_object_size(d), 2);
	assert_string_equal(json_str(d, "field"), field);
	assert_string_equal(json_str(d, "issue"), issue);
	json_decref(details);
	json_decref(obj);
}

static void
fields_all_good_gives_ok_and_no_details(void **state)
{
	json_t *obj, *details = (json_t *)&obj;

	(void)state;
	obj =
	    json_loads("{\"name\":\"abc\",\"code\":\"xyz\",\"count\":10,\"flag\":false}", 0, NULL);
	assert_non_null(obj);
	assert_int_equal(json_fields_check(obj, fields, NFIELDS, &details), APP_OK);
	assert_null(details);
	json_decref(obj);
}

static void
fields_optional_may_be_absent(void **state)
{
	json_t *obj, *details = (json_t *)&obj;

	(void)state;
	obj = json_loads("{\"name\":\"ab\"}", 0, NULL);
	assert_int_equal(json_fields_check(obj, fields, NFIELDS, &details), APP_OK);
	assert_null(details);
	json_decref(obj);
}

static void
fields_unknown_field_is_unknown(void **state)
{
	(void)state;
	check_one_issue("{\"name\":\"abc\",\"x\":1}", "x", "unknown");
}

static void
fields_missing_required_is_required(void **state)
{
	(void)state;
	check_one_issue("{\"count\":3}", "name", "required");
	check_one_issue("{}", "name", "required");
}

static void
fields_wrong_type_is_type(void **state)
{
	(void)state;
	check_one_issue("{\"name\":123}", "name", "type");
	check_one_issue("{\"name\":null}", "name", "type");
	check_one_issue("{\"name\":\"abc\",\"count\":\"3\"}", "count", "type");
	check_one_issue("{\"name\":\"abc\",\"count\":1.5}", "count", "type");
	check_one_issue("{\"name\":\"abc\",\"flag\":\"true\"}", "flag", "type");
	check_one_issue("{\"name\":\"abc\",\"flag\":1}", "flag", "type");
	check_one_issue("{\"name\":[\"abc\"]}", "name", "type");
}

static void
fields_short_string_is_too_short(void **state)
{
	(void)state;
	check_one_issue("{\"name\":\"a\"}", "name", "too_short");
	check_one_issue("{\"name\":\"\"}", "name", "too_short");
}

static void
fields_long_string_is_too_long(void **state)
{
	(void)state;
	check_one_issue("{\"name\":\"abcdef\"}", "name", "too_long");
}

static void
fields_length_bounds_are_inclusive(void **state)
{
	json_t *obj, *details;

	(void)state;
	obj = json_loads("{\"name\":\"abcde\"}", 0, NULL);
	assert_int_equal(json_fields_check(obj, fields, NFIELDS, &details), APP_OK);
	assert_null(details);
	json_decref(obj);
}

static void
fields_length_counts_bytes(void **state)
{
	(void)state;
	/* Three characters, six bytes: over max 5. */
	check_one_issue("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}", "name", "too_long");
}

static void
fields_failed_validator_is_invalid(void **state)
{
	(void)state;
	check_one_issue("{\"name\":\"abc\",\"code\":\"yes\"}", "code", "invalid");
}

static void
fields_integer_out_of_range_is_invalid(void **state)
{
	(void)state;
	check_one_issue("{\"name\":\"abc\",\"count\":0}", "count", "invalid");
	check_one_issue("{\"name\":\"abc\",\"count\":11}", "count", "invalid");
	check_one_issue("{\"name\":\"abc\",\"count\":-1}", "count", "invalid");
}

static void
fields_non_object_body_is_body_type(void **state)
{
	(void)state;
	check_one_issue("[]", "body", "type");
	check_one_issue("[{\"name\":\"abc\"}]", "body", "type");
	check_one_issue("\"name\"", "body", "type");
	check_one_issue("null", "body", "type");
}

static void
fields_null_body_is_body_type(void **state)
{
	json_t *details = NULL, *d;

	(void)state;
	assert_int_equal(
	    json_fields_check(NULL, fields, NFIELDS, &details), APP_ERR_VALIDATION_FAILED);
	assert_int_equal(json_array_size(details), 1);
	d = json_array_get(details, 0);
	assert_string_equal(json_str(d, "field"), "body");
	assert_string_equal(json_str(d, "issue"), "type");
	json_decref(details);
}

static void
fields_report_every_issue(void **state)
{
	json_t *obj, *details, *d;
	size_t i;
	int seen_unknown = 0, seen_required = 0, seen_type = 0;

	(void)state;
	obj = json_loads("{\"zzz\":1,\"count\":\"x\"}", 0, NULL);
	assert_int_equal(
	    json_fields_check(obj, fields, NFIELDS, &details), APP_ERR_VALIDATION_FAILED);
	assert_int_equal(json_array_size(details), 3);
	json_array_foreach(details, i, d)
	{
		const char *f = json_str(d, "field"), *is = json_str(d, "issue");

		if (strcmp(f, "zzz") == 0 && strcmp(is, "unknown") == 0)
			seen_unknown++;
		else if (strcmp(f, "name") == 0 && strcmp(is, "required") == 0)
			seen_required++;
		else if (strcmp(f, "count") == 0 && strcmp(is, "type") == 0)
			seen_type++;
	}
	assert_int_equal(seen_unknown, 1);
	assert_int_equal(seen_required, 1);
	assert_int_equal(seen_type, 1);
	json_decref(details);
	json_decref(obj);
}

static void
json_str_gives_strings_only(void **state)
{
	json_t *obj = json_loads("{\"s\":\"v\",\"n\":1}", 0, NULL);

	(void)state;
	assert_string_equal(json_str(obj, "s"), "v");
	assert_null(json_str(obj, "n"));
	assert_null(json_str(obj, "absent"));
	json_decref(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(json_parse_accepts_object),
	    cmocka_unit_test(json_parse_accepts_any_value),
	    cmocka_unit_test(json_parse_uses_length_not_nul),
	    cmocka_unit_test(json_parse_rejects_malformed),
	    cmocka_unit_test(json_parse_rejects_empty_body),
	    cmocka_unit_test(json_parse_rejects_duplicate_keys),
	    cmocka_unit_test(json_parse_accepts_depth_at_limit),
	    cmocka_unit_test(json_parse_rejects_depth_over_limit),
	    cmocka_unit_test(json_parse_rejects_very_deep_nesting),
	    cmocka_unit_test(json_parse_scalars_do_not_count_as_depth),
	    cmocka_unit_test(json_parse_depth_limit_follows_argument),
	    cmocka_unit_test(json_parse_rejects_invalid_utf8),
	    cmocka_unit_test(json_parse_accepts_valid_utf8),
	    cmocka_unit_test(json_parse_rejects_nul_escape),
	    cmocka_unit_test(json_parse_rejects_lone_surrogate_escape),
	    cmocka_unit_test(fields_all_good_gives_ok_and_no_details),
	    cmocka_unit_test(fields_optional_may_be_absent),
	    cmocka_unit_test(fields_unknown_field_is_unknown),
	    cmocka_unit_test(fields_missing_required_is_required),
	    cmocka_unit_test(fields_wrong_type_is_type),
	    cmocka_unit_test(fields_short_string_is_too_short),
	    cmocka_unit_test(fields_long_string_is_too_long),
	    cmocka_unit_test(fields_length_bounds_are_inclusive),
	    cmocka_unit_test(fields_length_counts_bytes),
	    cmocka_unit_test(fields_failed_validator_is_invalid),
	    cmocka_unit_test(fields_integer_out_of_range_is_invalid),
	    cmocka_unit_test(fields_non_object_body_is_body_type),
	    cmocka_unit_test(fields_null_body_is_body_type),
	    cmocka_unit_test(fields_report_every_issue),
	    cmocka_unit_test(json_str_gives_strings_only),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
