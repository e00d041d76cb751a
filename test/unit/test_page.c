/*
 * lib/page: the query of a paged list and its cursor (API.md "Conventions":
 * limit 1..100, default 20; a malformed cursor is 400 INVALID_CURSOR).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"
#include "http.h"
#include "page.h"
#include "validate.h"

static struct request *
with_query(void **state, const char *query)
{
	struct request *req = arena_alloc(*state, sizeof(*req));

	memset(req, 0, sizeof(*req));
	req->arena = *state;
	req->query = query;
	return req;
}

static int
setup(void **state)
{
	*state = arena_new();
	return *state == NULL;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

static void
defaults_to_twenty_and_the_first_page(void **state)
{
	struct page p;

	assert_int_equal(page_parse(with_query(state, ""), NULL, NULL, 0, &p), APP_OK);
	assert_int_equal(p.limit, 20);
	assert_string_equal(p.fetch, "21");
	assert_null(p.after_us);
	assert_null(p.after_id);
}

static void
limit_within_one_to_a_hundred(void **state)
{
	struct page p;

	assert_int_equal(page_parse(with_query(state, "limit=1"), NULL, NULL, 0, &p), APP_OK);
	assert_int_equal(p.limit, 1);
	assert_int_equal(page_parse(with_query(state, "limit=100"), NULL, NULL, 0, &p), APP_OK);
	assert_string_equal(p.fetch, "101");
	assert_int_equal(
	    page_parse(with_query(state, "limit=0"), NULL, NULL, 0, &p), APP_ERR_VALIDATION_FAILED);
	assert_int_equal(page_parse(with_query(state, "limit=101"), NULL, NULL, 0, &p),
	    APP_ERR_VALIDATION_FAILED);
	assert_int_equal(page_parse(with_query(state, "limit=ten"), NULL, NULL, 0, &p),
	    APP_ERR_VALIDATION_FAILED);
	assert_int_equal(
	    page_parse(with_query(state, "limit="), NULL, NULL, 0, &p), APP_ERR_VALIDATION_FAILED);
}

static void
unknown_names_are_named_in_the_details(void **state)
{
	struct request *req = with_query(state, "limit=5&colour=red");
	struct page p;

	assert_int_equal(page_parse(req, NULL, NULL, 0, &p), APP_ERR_VALIDATION_FAILED);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(req->err_details, 0), "field")),
	    "colour");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(req->err_details, 0), "issue")),
	    "unknown");
}

static void
extra_names_are_returned(void **state)
{
	const char *names[] = {"q", "status"}, *values[2];
	struct page p;

	assert_int_equal(
	    page_parse(with_query(state, "q=ac%20me&limit=3"), names, values, 2, &p), APP_OK);
	assert_string_equal(values[0], "ac me");
	assert_null(values[1]);
}

static const struct page_filter filters[] = {
    {"actor_id", uuid_is_valid},
    {"action", NULL},
};

static void
filters_are_checked_by_their_own_rule(void **state)
{
	const char *values[2];
	struct request *req;
	struct page p;

	assert_int_equal(
	    page_parse_filters(
	        with_query(state, "actor_id=3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b&limit=2"), filters,
	        2, values, &p),
	    APP_OK);
	assert_string_equal(values[0], "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b");
	assert_null(values[1]);
	assert_int_equal(p.limit, 2);
	/* A filter without a rule takes any text. */
	assert_int_equal(
	    page_parse_filters(with_query(state, "action=x%27y"), filters, 2, values, &p), APP_OK);
	assert_string_equal(values[1], "x'y");
	req = with_query(state, "action=a&actor_id=42");
	assert_int_equal(
	    page_parse_filters(req, filters, 2, values, &p), APP_ERR_VALIDATION_FAILED);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(req->err_details, 0), "field")),
	    "actor_id");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(req->err_details, 0), "issue")),
	    "invalid");
}

static void
filters_keep_the_rules_of_page_parse(void **state)
{
	const char *values[2];
	struct page p;

	assert_int_equal(
	    page_parse_filters(with_query(state, "tenant_id=x"), filters, 2, values, &p),
	    APP_ERR_VALIDATION_FAILED);
	assert_int_equal(
	    page_parse_filters(with_query(state, "cursor=abc"), filters, 2, values, &p),
	    APP_ERR_INVALID_CURSOR);
	assert_int_equal(
	    page_parse_filters(with_query(state, "action=a&action=b"), filters, 2, values, &p),
	    APP_ERR_INVALID_QUERY);
}

static void
params_bind_the_page_then_the_filters(void **state)
{
	const char *values[2], **p;
	struct page page;

	assert_int_equal(
	    page_parse_filters(with_query(state, "action=a&limit=5"), filters, 2, values, &page),
	    APP_OK);
	p = page_params(*state, &page, values, 2);
	assert_string_equal(p[0], "6");
	assert_null(p[1]);
	assert_null(p[2]);
	assert_null(p[3]);
	assert_string_equal(p[4], "a");
	assert_int_equal(page_parse(with_query(state,
	                                "cursor=1795000000123456.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b"),
	                     NULL, NULL, 0, &page),
	    APP_OK);
	p = page_params(*state, &page, NULL, 0);
	assert_string_equal(p[1], "1795000000123456");
	assert_string_equal(p[2], "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b");
}

static void
repeated_names_and_bad_escapes_are_invalid_query(void **state)
{
	struct page p;

	assert_int_equal(page_parse(with_query(state, "limit=1&limit=2"), NULL, NULL, 0, &p),
	    APP_ERR_INVALID_QUERY);
	assert_int_equal(
	    page_parse(with_query(state, "cursor=%zz"), NULL, NULL, 0, &p), APP_ERR_INVALID_QUERY);
	assert_int_equal(
	    page_parse(with_query(state, "cursor=%00"), NULL, NULL, 0, &p), APP_ERR_INVALID_QUERY);
	assert_int_equal(
	    page_parse(with_query(state, "cursor=%ff"), NULL, NULL, 0, &p), APP_ERR_INVALID_QUERY);
}

static void
a_cursor_round_trips(void **state)
{
	const char *id = "3F2A9C4E-0B1D-4E5F-8A7B-6C5D4E3F2A1B";
	char *c = page_cursor(*state, "1795000000123456", id);
	char us[24], back[37];

	assert_non_null(c);
	assert_string_equal(c, "1795000000123456.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b");
	assert_int_equal(page_cursor_parse(c, us, back), 0);
	assert_string_equal(us, "1795000000123456");
	assert_string_equal(back, "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b");
}

static void
malformed_cursors_are_refused(void **state)
{
	static const char *bad[] = {
	    "",
	    ".",
	    "123",
	    "123.",
	    ".3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	    "0123.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	    "-1.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	    "12a.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	    "123.3F2A9C4E0B1D4E5F8A7B6C5D4E3F2A1B",
	    "123.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1",
	    "123.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1bb",
	    "123.3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b",
	    "99999999999999999999.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	    "1;drop.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b",
	};
	char us[24], id[37];
	struct page p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(page_cursor_parse(bad[i], us, id), -1);
	assert_int_equal(
	    page_parse(with_query(state, "cursor=abc"), NULL, NULL, 0, &p), APP_ERR_INVALID_CURSOR);
	assert_int_equal(page_parse(with_query(state,
	                                "cursor=1795000000123456.3f2a9c4e0b1d4e5f8a7b6c5d4e3f2a1b"),
	                     NULL, NULL, 0, &p),
	    APP_OK);
	assert_string_equal(p.after_us, "1795000000123456");
	assert_string_equal(p.after_id, "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(defaults_to_twenty_and_the_first_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(limit_within_one_to_a_hundred, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        unknown_names_are_named_in_the_details, setup, teardown),
	    cmocka_unit_test_setup_teardown(extra_names_are_returned, setup, teardown),
	    cmocka_unit_test_setup_teardown(filters_are_checked_by_their_own_rule, setup, teardown),
	    cmocka_unit_test_setup_teardown(filters_keep_the_rules_of_page_parse, setup, teardown),
	    cmocka_unit_test_setup_teardown(params_bind_the_page_then_the_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        repeated_names_and_bad_escapes_are_invalid_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_cursor_round_trips, setup, teardown),
	    cmocka_unit_test_setup_teardown(malformed_cursors_are_refused, setup, teardown),
	};

	return cmocka_run_group_tests_name("page", tests, NULL, NULL);
}
