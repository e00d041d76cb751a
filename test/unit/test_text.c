/*
 * lib/text: lengths in characters as PostgreSQL's char_length() counts
 * them, white space trimmed at both ends (Unicode's, not only ASCII's), and
 * control characters found.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "text.h"

static void
length_counts_characters_not_bytes(void **state)
{
	(void)state;
	assert_int_equal(text_length("", 0), 0);
	assert_int_equal(text_length("abc", 3), 3);
	/* é (2 bytes), € (3 bytes), 😀 (4 bytes) */
	assert_int_equal(text_length("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 3);
	/* Only the n bytes given count. */
	assert_int_equal(text_length("abcdef", 2), 2);
}

/* Trims s and returns the result as a string in buf. */
static const char *
trimmed(const char *s, char *buf)
{
	size_t n = strlen(s);
	const char *t = text_trim(s, &n);

	memcpy(buf, t, n);
	buf[n] = '\0';
	return buf;
}

static void
trim_takes_ascii_white_space_from_both_ends(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(trimmed("  Alpha  ", buf), "Alpha");
	assert_string_equal(trimmed("\t\n\r\v\fAlpha Beta\n", buf), "Alpha Beta");
	assert_string_equal(trimmed("Alpha", buf), "Alpha");
	assert_string_equal(trimmed("", buf), "");
	assert_string_equal(trimmed(" \t \n ", buf), "");
}

static void
trim_takes_unicode_white_space_too(void **state)
{
	char buf[64];

	(void)state;
	/* NO-BREAK SPACE, IDEOGRAPHIC SPACE, EM SPACE, NEL, LINE SEPARATOR */
	assert_string_equal(
	    trimmed("\xc2\xa0\xe3\x80\x80X\xe2\x80\x83\xc2\x85\xe2\x80\xa8", buf), "X");
	assert_string_equal(trimmed("\xc2\xa0\xe3\x80\x80", buf), "");
	/* Not white space: ZERO WIDTH SPACE, and letters whose bytes look alike. */
	assert_string_equal(trimmed("\xe2\x80\x8bX", buf), "\xe2\x80\x8bX");
	assert_string_equal(trimmed("\xc3\xa0X\xc3\xa0", buf), "\xc3\xa0X\xc3\xa0");
	/* Inner white space stays. */
	assert_string_equal(trimmed(" a\xc2\xa0 b ", buf), "a\xc2\xa0 b");
}

static void
controls_are_found_unless_allowed(void **state)
{
	(void)state;
	assert_false(text_has_control("plain text", 10, ""));
	assert_true(text_has_control("a\nb", 3, ""));
	assert_false(text_has_control("a\nb\tc\r", 6, "\t\n\r"));
	assert_true(text_has_control("a\x1b[31m", 6, "\t\n\r"));
	assert_true(text_has_control("a\x7f", 2, "\t\n\r"));
	/* C1: U+0085 NEL, U+009B CSI */
	assert_true(text_has_control("a\xc2\x85", 3, "\t\n\r"));
	assert_true(text_has_control("a\xc2\x9b", 3, ""));
	/* Not C1: U+00A0, é */
	assert_false(text_has_control("\xc2\xa0\xc3\xa9", 4, ""));
	/* A NUL is never allowed, and is looked at within n. */
	assert_true(text_has_control("a\0b", 3, "\t"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(length_counts_characters_not_bytes),
	    cmocka_unit_test(trim_takes_ascii_white_space_from_both_ends),
	    cmocka_unit_test(trim_takes_unicode_white_space_too),
	    cmocka_unit_test(controls_are_found_unless_allowed),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
