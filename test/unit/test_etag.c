/*
 * lib/etag: the ETag of a resource's version and the If-Match precondition
 * (RFC 9110 8.8.3 and 13.1.1): "*", lists, the strong comparison that weak
 * tags never pass, and values that are no If-Match at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "etag.h"

#define ID "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b"
#define OTHER "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"

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
a_tag_is_strong_quoted_and_fixed_in_size(void **state)
{
	const char *t = etag_make(*state, ID, "1");
	size_t i;

	assert_non_null(t);
	assert_int_equal(strlen(t), ETAG_LEN);
	assert_int_equal(t[0], '"');
	assert_int_equal(t[ETAG_LEN - 1], '"');
	for (i = 1; i < ETAG_LEN - 1; i++)
		assert_non_null(strchr("0123456789abcdef", t[i]));
	/* The same version of the same resource: the same tag. */
	assert_string_equal(t, etag_make(*state, ID, "1"));
}

static void
a_tag_differs_by_version_and_by_resource(void **state)
{
	const char *t = etag_make(*state, ID, "1");

	assert_string_not_equal(t, etag_make(*state, ID, "2"));
	assert_string_not_equal(t, etag_make(*state, OTHER, "1"));
	/* A version is no part of an id: 1:12 is not 11:2. */
	assert_string_not_equal(etag_make(*state, ID, "12"), etag_make(*state, ID, "1"));
}

static void
an_id_in_capitals_is_the_same_resource(void **state)
{
	assert_string_equal(etag_make(*state, "3F2A9C4E-0B1D-4E5F-8A7B-6C5D4E3F2A1B", "7"),
	    etag_make(*state, ID, "7"));
}

static void
no_tag_for_what_is_no_id_or_version(void **state)
{
	assert_null(etag_make(*state, "not-a-uuid", "1"));
	assert_null(etag_make(*state, NULL, "1"));
	assert_null(etag_make(*state, ID, NULL));
	assert_null(etag_make(*state, ID, ""));
	assert_null(etag_make(*state, ID, "x"));
	assert_null(etag_make(*state, ID, "-1"));
	assert_null(etag_make(*state, ID, "2147483648"));
}

static void
no_header_and_star_match_any_current_tag(void **state)
{
	const char *t = etag_make(*state, ID, "3");

	assert_int_equal(etag_if_match(NULL, t), 1);
	assert_int_equal(etag_if_match("*", t), 1);
	assert_int_equal(etag_if_match("  *\t", t), 1);
}

static void
the_current_tag_matches_alone_or_in_a_list(void **state)
{
	const char *t = etag_make(*state, ID, "3");
	const char *old = etag_make(*state, ID, "2");
	char buf[256];

	assert_int_equal(etag_if_match(t, t), 1);
	snprintf(buf, sizeof(buf), "%s, %s", old, t);
	assert_int_equal(etag_if_match(buf, t), 1);
	snprintf(buf, sizeof(buf), " ,%s ,, \"x\",", t);
	assert_int_equal(etag_if_match(buf, t), 1);
}

static void
a_stale_or_foreign_tag_does_not_match(void **state)
{
	const char *t = etag_make(*state, ID, "3");
	char buf[256];

	assert_int_equal(etag_if_match(etag_make(*state, ID, "2"), t), 0);
	assert_int_equal(etag_if_match(etag_make(*state, OTHER, "3"), t), 0);
	assert_int_equal(etag_if_match("\"\"", t), 0);
	/* Strong comparison is character by character. */
	snprintf(buf, sizeof(buf), "%s", t);
	buf[1] = buf[1] == 'a' ? 'b' : 'a';
	assert_int_equal(etag_if_match(buf, t), 0);
	/* A list with no element at all holds no tag to match. */
	assert_int_equal(etag_if_match(",", t), 0);
}

static void
a_weak_tag_never_matches(void **state)
{
	const char *t = etag_make(*state, ID, "3");
	char buf[256];

	snprintf(buf, sizeof(buf), "W/%s", t);
	assert_int_equal(etag_if_match(buf, t), 0);
	snprintf(buf, sizeof(buf), "W/%s, %s", t, t);
	assert_int_equal(etag_if_match(buf, t), 1);
}

static void
what_is_no_if_match_value_is_refused(void **state)
{
	static const char *const bad[] = {
	    "abc",                       /* unquoted */
	    "\"abc",                     /* unterminated */
	    "\"a\"b\"",                  /* text after the tag */
	    "\"a\" \"b\"",               /* no comma */
	    "w/\"a\"",                   /* the weak prefix is case-sensitive */
	    "W/ \"a\"",                  /* nothing between W/ and the quote */
	    "*, \"a\"",                  /* "*" stands alone */
	    "\"a\", *", "**", "\"a b\"", /* a space is no etagc */
	    "\"a\x7f\"",                 /* nor DEL */
	    "\"a\tb\"",                  /* nor a tab */
	};
	const char *t = etag_make(*state, ID, "3");
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (etag_if_match(bad[i], t) != -1)
			fail_msg("accepted: %s", bad[i]);
}

static void
obs_text_is_part_of_a_tag(void **state)
{
	assert_int_equal(etag_if_match("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""), 1);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        a_tag_is_strong_quoted_and_fixed_in_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        a_tag_differs_by_version_and_by_resource, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        an_id_in_capitals_is_the_same_resource, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_tag_for_what_is_no_id_or_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        no_header_and_star_match_any_current_tag, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        the_current_tag_matches_alone_or_in_a_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_stale_or_foreign_tag_does_not_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_weak_tag_never_matches, setup, teardown),
	    cmocka_unit_test_setup_teardown(what_is_no_if_match_value_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(obs_text_is_part_of_a_tag, setup, teardown),
	};

	return cmocka_run_group_tests_name("etag", tests, NULL, NULL);
}
