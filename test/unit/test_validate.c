/*
 * lib/validate: the pure checks of untrusted text. Each test names the one
 * rule it holds the parser to (validate.h, API.md "Tenant resolution" and
 * "Conventions").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

/* parse_long */

static void
parse_long_accepts_number_in_bounds(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-7", -10, 10, &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(parse_long("0", 0, 0, &v), 0);
	assert_int_equal(v, 0);
}

static void
parse_long_accepts_both_bounds_inclusive(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(parse_long("1", 1, 100, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_long("100", 1, 100, &v), 0);
	assert_int_equal(v, 100);
}

static void
parse_long_rejects_out_of_bounds(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("0", 1, 100, &v), -1);
	assert_int_equal(parse_long("101", 1, 100, &v), -1);
	assert_int_equal(parse_long("-1", 0, 100, &v), -1);
	/* *out is left alone on failure. */
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_garbage(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("abc", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("0x10", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("-", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("--1", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("-+1", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("1.5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("1e3", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_empty_and_null(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long(NULL, LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_leading_plus(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("+5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_whitespace(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long(" 5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("\t5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("\n5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("- 5", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("5 ", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_trailing_chars(void **state)
{
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("12abc", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("12\n", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("12;", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_rejects_overflow(void **state)
{
	char buf[64];
	long v = 1234;

	(void)state;
	assert_int_equal(parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("-99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	/* One past LONG_MAX: strtol clamps to LONG_MAX, which is within bounds. */
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)LONG_MAX + 1);
	assert_int_equal(parse_long(buf, LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(v, 1234);
}

static void
parse_long_accepts_long_extremes(void **state)
{
	char buf[64];
	long v = 0;

	(void)state;
	snprintf(buf, sizeof(buf), "%ld", LONG_MAX);
	assert_int_equal(parse_long(buf, LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	snprintf(buf, sizeof(buf), "%ld", LONG_MIN);
	assert_int_equal(parse_long(buf, LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MIN);
}

/* parse_bool */

static void
parse_bool_accepts_true_words(void **state)
{
	static const char *const yes[] = {"true", "1", "yes", "on", "TRUE", "Yes"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		int b = -1;

		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
}

static void
parse_bool_accepts_false_words(void **state)
{
	static const char *const no[] = {"false", "0", "no", "off", "FALSE", "Off"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		int b = -1;

		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
}

static void
parse_bool_rejects_other_text(void **state)
{
	static const char *const bad[] = {
	    "", "2", "y", "n", "truee", " true", "true ", "enabled", "-1"};
	size_t i;
	int b = 7;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_bool(bad[i], &b), -1);
	assert_int_equal(parse_bool(NULL, &b), -1);
	assert_int_equal(b, 7);
}

/* slug_is_wellformed */

static void
slug_accepts_wellformed(void **state)
{
	(void)state;
	assert_true(slug_is_wellformed("acme"));
	assert_true(slug_is_wellformed("abc"));
	assert_true(slug_is_wellformed("a1b"));
	assert_true(slug_is_wellformed("acme-corp"));
	assert_true(slug_is_wellformed("a-b-c"));
	assert_true(slug_is_wellformed("tenant-2"));
	assert_true(slug_is_wellformed("x00"));
}

static void
slug_rejects_too_short(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed(""));
	assert_false(slug_is_wellformed("a"));
	assert_false(slug_is_wellformed("ab"));
}

static void
slug_accepts_56_chars(void **state)
{
	char s[57];

	(void)state;
	memset(s, 'a', 56);
	s[56] = '\0';
	assert_true(slug_is_wellformed(s));
}

static void
slug_rejects_57_chars(void **state)
{
	char s[58];

	(void)state;
	memset(s, 'a', 57);
	s[57] = '\0';
	assert_false(slug_is_wellformed(s));
}

static void
slug_rejects_leading_digit_or_dash(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("1abc"));
	assert_false(slug_is_wellformed("-abc"));
	assert_false(slug_is_wellformed("_abc"));
}

static void
slug_rejects_trailing_dash(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("abc-"));
	assert_false(slug_is_wellformed("ab-"));
}

static void
slug_rejects_double_dash(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("ab--cd"));
	assert_false(slug_is_wellformed("a--b"));
	assert_false(slug_is_wellformed("abc---d"));
}

static void
slug_rejects_uppercase(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("Acme"));
	assert_false(slug_is_wellformed("acMe"));
	assert_false(slug_is_wellformed("ACME"));
	assert_false(slug_is_wellformed("acmE"));
}

static void
slug_rejects_sql_injection(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("a'; drop schema tenant_b cascade; --"));
	assert_false(slug_is_wellformed("tenant_b, public"));
	assert_false(slug_is_wellformed("\""));
	assert_false(slug_is_wellformed("abc\"def"));
	assert_false(slug_is_wellformed("abc'"));
}

static void
slug_rejects_other_characters(void **state)
{
	(void)state;
	assert_false(slug_is_wellformed("tenant_b"));
	assert_false(slug_is_wellformed("acme corp"));
	assert_false(slug_is_wellformed("acme.corp"));
	assert_false(slug_is_wellformed("acme/x"));
	assert_false(slug_is_wellformed("acme\n"));
	assert_false(slug_is_wellformed("caf\xc3\xa9"));
	assert_false(slug_is_wellformed(NULL));
}

/* slug_is_reserved */

static void
slug_reserved_names_are_reserved(void **state)
{
	static const char *const reserved[] = {
	    "www", "api", "admin", "app", "public", "static", "assets", "docs", "mail"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		assert_true(slug_is_reserved(reserved[i]));
}

static void
slug_reserved_pg_prefix_is_reserved(void **state)
{
	(void)state;
	assert_true(slug_is_reserved("pg"));
	assert_true(slug_is_reserved("pga"));
	assert_true(slug_is_reserved("pg-anything"));
	assert_true(slug_is_reserved("pgcatalog"));
}

static void
slug_reserved_ordinary_names_are_free(void **state)
{
	(void)state;
	assert_false(slug_is_reserved("acme"));
	assert_false(slug_is_reserved("apis"));
	assert_false(slug_is_reserved("my-app"));
	assert_false(slug_is_reserved("wwww"));
	assert_false(slug_is_reserved("mailer"));
	assert_false(slug_is_reserved("apg"));
	assert_false(slug_is_reserved("p-g"));
}

/* email_is_valid */

static void
email_accepts_ordinary_addresses(void **state)
{
	(void)state;
	assert_true(email_is_valid("a@b.co"));
	assert_true(email_is_valid("alice@example.com"));
	assert_true(email_is_valid("alice.smith+tag@mail.example.org"));
	assert_true(email_is_valid("x_y-z@sub-domain.example.io"));
}

static void
email_rejects_missing_or_extra_at(void **state)
{
	(void)state;
	assert_false(email_is_valid("alice.example.com"));
	assert_false(email_is_valid("@example.com"));
	assert_false(email_is_valid("alice@@example.com"));
	assert_false(email_is_valid("a@b@example.com"));
}

static void
email_rejects_bad_domain(void **state)
{
	(void)state;
	assert_false(email_is_valid("alice@"));
	assert_false(email_is_valid("alice@localhost"));
	assert_false(email_is_valid("alice@.example.com"));
	assert_false(email_is_valid("alice@example."));
	assert_false(email_is_valid("alice@example..com"));
}

static void
email_rejects_spaces_and_control_bytes(void **state)
{
	(void)state;
	assert_false(email_is_valid("al ice@example.com"));
	assert_false(email_is_valid("alice@example.com "));
	assert_false(email_is_valid("alice@example.com\n"));
	assert_false(email_is_valid("alice@exa\tmple.com"));
	assert_false(email_is_valid("alice@example.com\r\nBcc: x@y.z"));
	assert_false(email_is_valid("alice\x7f@example.com"));
	assert_false(email_is_valid("\"alice\"@example.com"));
	assert_false(email_is_valid("<alice@example.com>"));
	assert_false(email_is_valid("a,b@example.com"));
	assert_false(email_is_valid(""));
	assert_false(email_is_valid(NULL));
}

static void
email_rejects_local_part_over_64(void **state)
{
	char s[128];

	(void)state;
	memset(s, 'a', 64);
	strcpy(s + 64, "@example.com");
	assert_true(email_is_valid(s));
	memset(s, 'a', 65);
	strcpy(s + 65, "@example.com");
	assert_false(email_is_valid(s));
}

/* "a@" + b... + ".com", total bytes. */
static void
email_of_length(char *s, size_t total)
{
	size_t n;

	strcpy(s, "a@");
	for (n = 2; n < total - 4; n++)
		s[n] = 'b';
	strcpy(s + n, ".com");
}

static void
email_rejects_over_254_bytes(void **state)
{
	char s[300];

	(void)state;
	email_of_length(s, 254);
	assert_int_equal(strlen(s), 254);
	assert_true(email_is_valid(s));
	email_of_length(s, 255);
	assert_int_equal(strlen(s), 255);
	assert_false(email_is_valid(s));
}

/* uuid_is_valid */

static void
uuid_accepts_canonical_forms(void **state)
{
	(void)state;
	assert_true(uuid_is_valid("123e4567-e89b-12d3-a456-426614174000"));
	assert_true(uuid_is_valid("00000000-0000-0000-0000-000000000000"));
	assert_true(uuid_is_valid("ABCDEF01-2345-6789-ABCD-EF0123456789"));
	assert_true(uuid_is_valid("abcdef01-2345-6789-abcd-ef0123456789"));
}

static void
uuid_rejects_malformed(void **state)
{
	(void)state;
	assert_false(uuid_is_valid(""));
	assert_false(uuid_is_valid(NULL));
	assert_false(uuid_is_valid("123e4567e89b12d3a456426614174000"));
	assert_false(uuid_is_valid("123e4567-e89b-12d3-a456-42661417400"));
	assert_false(uuid_is_valid("123e4567-e89b-12d3-a456-4266141740000"));
	assert_false(uuid_is_valid("123e4567-e89b-12d3-a456-42661417400g"));
	assert_false(uuid_is_valid("123e4567+e89b-12d3-a456-426614174000"));
	assert_false(uuid_is_valid("{23e4567-e89b-12d3-a456-426614174000"));
	assert_false(uuid_is_valid("123e4567-e89b-12d3-a456-426614174000 "));
	assert_false(uuid_is_valid("123e456-7e89b-12d3-a456-426614174000"));
	assert_false(uuid_is_valid("' OR 1=1 --                         "));
}

/* rfc3339_is_valid */

static void
rfc3339_accepts_utc_and_offsets(void **state)
{
	(void)state;
	assert_true(rfc3339_is_valid("2026-11-22T15:04:05Z"));
	assert_true(rfc3339_is_valid("2026-11-22t15:04:05z"));
	assert_true(rfc3339_is_valid("2026-11-22T15:04:05+02:00"));
	assert_true(rfc3339_is_valid("2026-11-22T15:04:05-15:59"));
	assert_true(rfc3339_is_valid("2026-11-22T15:04:05.1Z"));
	assert_true(rfc3339_is_valid("2026-11-22T15:04:05.123456789+00:00"));
	assert_true(rfc3339_is_valid("0001-01-01T00:00:00Z"));
	assert_true(rfc3339_is_valid("9999-12-31T23:59:59Z"));
}

static void
rfc3339_accepts_real_dates_only(void **state)
{
	(void)state;
	assert_true(rfc3339_is_valid("2024-02-29T00:00:00Z"));
	assert_true(rfc3339_is_valid("2000-02-29T00:00:00Z"));
	assert_false(rfc3339_is_valid("2026-02-29T00:00:00Z"));
	assert_false(rfc3339_is_valid("1900-02-29T00:00:00Z"));
	assert_false(rfc3339_is_valid("2026-04-31T00:00:00Z"));
	assert_false(rfc3339_is_valid("2026-13-01T00:00:00Z"));
	assert_false(rfc3339_is_valid("2026-00-01T00:00:00Z"));
	assert_false(rfc3339_is_valid("2026-01-00T00:00:00Z"));
	assert_false(rfc3339_is_valid("0000-01-01T00:00:00Z"));
}

static void
rfc3339_bounds_the_time_of_day(void **state)
{
	(void)state;
	assert_true(rfc3339_is_valid("2016-12-31T23:59:60Z"));
	assert_false(rfc3339_is_valid("2026-01-01T24:00:00Z"));
	assert_false(rfc3339_is_valid("2026-01-01T00:60:00Z"));
	assert_false(rfc3339_is_valid("2026-01-01T00:00:61Z"));
	assert_false(rfc3339_is_valid("2026-01-01T00:00:00+16:00"));
	assert_false(rfc3339_is_valid("2026-01-01T00:00:00+01:60"));
}

static void
rfc3339_rejects_other_shapes(void **state)
{
	(void)state;
	assert_false(rfc3339_is_valid(NULL));
	assert_false(rfc3339_is_valid(""));
	assert_false(rfc3339_is_valid("2026-11-22"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05"));
	assert_false(rfc3339_is_valid("2026-11-22 15:04:05Z"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04Z"));
	assert_false(rfc3339_is_valid("26-11-22T15:04:05Z"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05.Z"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05.1234567890Z"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05+0200"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05+02:00 "));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05ZZ"));
	assert_false(rfc3339_is_valid("+2026-11-22T15:04:05Z"));
	assert_false(rfc3339_is_valid("2026-11-22T15:04:05Z'; DROP TABLE x; --"));
	assert_false(rfc3339_is_valid("now"));
	assert_false(rfc3339_is_valid("infinity"));
}

/* tenant_status_is_valid, job_status_is_valid */

static void
tenant_status_is_one_of_six(void **state)
{
	(void)state;
	assert_true(tenant_status_is_valid("provisioning"));
	assert_true(tenant_status_is_valid("ready"));
	assert_true(tenant_status_is_valid("suspended"));
	assert_true(tenant_status_is_valid("deleting"));
	assert_true(tenant_status_is_valid("deleted"));
	assert_true(tenant_status_is_valid("failed"));
	assert_false(tenant_status_is_valid(NULL));
	assert_false(tenant_status_is_valid(""));
	assert_false(tenant_status_is_valid("Ready"));
	assert_false(tenant_status_is_valid("dead"));
}

static void
job_status_is_one_of_five(void **state)
{
	(void)state;
	assert_true(job_status_is_valid("pending"));
	assert_true(job_status_is_valid("running"));
	assert_true(job_status_is_valid("succeeded"));
	assert_true(job_status_is_valid("failed"));
	assert_true(job_status_is_valid("dead"));
	assert_false(job_status_is_valid(NULL));
	assert_false(job_status_is_valid(""));
	assert_false(job_status_is_valid("ready"));
	assert_false(job_status_is_valid("dead "));
}

/* request_id_is_valid */

static void
request_id_accepts_allowed_alphabet(void **state)
{
	(void)state;
	assert_true(request_id_is_valid("a"));
	assert_true(request_id_is_valid("abcXYZ019._-"));
	assert_true(request_id_is_valid("123e4567-e89b-12d3-a456-426614174000"));
}

static void
request_id_accepts_64_chars(void **state)
{
	char s[65];

	(void)state;
	memset(s, 'x', 64);
	s[64] = '\0';
	assert_true(request_id_is_valid(s));
}

static void
request_id_rejects_65_chars(void **state)
{
	char s[66];

	(void)state;
	memset(s, 'x', 65);
	s[65] = '\0';
	assert_false(request_id_is_valid(s));
}

static void
request_id_rejects_empty(void **state)
{
	(void)state;
	assert_false(request_id_is_valid(""));
	assert_false(request_id_is_valid(NULL));
}

static void
request_id_rejects_spaces_and_newlines(void **state)
{
	(void)state;
	assert_false(request_id_is_valid("abc def"));
	assert_false(request_id_is_valid(" abc"));
	assert_false(request_id_is_valid("abc\n"));
	assert_false(request_id_is_valid("abc\r\nX-Injected: 1"));
	assert_false(request_id_is_valid("abc\t"));
}

static void
request_id_rejects_other_punctuation(void **state)
{
	(void)state;
	assert_false(request_id_is_valid("abc/def"));
	assert_false(request_id_is_valid("abc:def"));
	assert_false(request_id_is_valid("abc\"def"));
	assert_false(request_id_is_valid("abc+def"));
	assert_false(request_id_is_valid("caf\xc3\xa9"));
}

static void
utf8_accepts_ascii_and_multibyte(void **state)
{
	(void)state;
	assert_true(utf8_is_valid("plain", 5));
	assert_true(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
}

static void
utf8_rejects_stray_and_truncated_bytes(void **state)
{
	(void)state;
	assert_false(utf8_is_valid("\xff", 1));
	assert_false(utf8_is_valid("\xc3", 1));
	assert_false(utf8_is_valid("a\x80"
	                           "b",
	    3));
}

static void
utf8_rejects_overlongs_and_surrogates(void **state)
{
	(void)state;
	assert_false(utf8_is_valid("\xc0\xaf", 2));
	assert_false(utf8_is_valid("\xe0\x80\xaf", 3));
	assert_false(utf8_is_valid("\xed\xa0\x80", 3));
	assert_false(utf8_is_valid("\xf4\x90\x80\x80", 4));
}

static void
slug_allowed_is_wellformed_and_not_reserved(void **state)
{
	(void)state;
	assert_true(slug_is_allowed("acme-widgets"));
	assert_false(slug_is_allowed("admin"));
	assert_false(slug_is_allowed("pg-tenant"));
	assert_false(slug_is_allowed("a--b"));
}

static void
role_valid_is_one_of_three(void **state)
{
	(void)state;
	assert_true(role_is_valid("owner"));
	assert_true(role_is_valid("admin"));
	assert_true(role_is_valid("member"));
	assert_false(role_is_valid("superadmin"));
	assert_false(role_is_valid("Owner"));
	assert_false(role_is_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_long_accepts_number_in_bounds),
	    cmocka_unit_test(parse_long_accepts_both_bounds_inclusive),
	    cmocka_unit_test(parse_long_rejects_out_of_bounds),
	    cmocka_unit_test(parse_long_rejects_garbage),
	    cmocka_unit_test(parse_long_rejects_empty_and_null),
	    cmocka_unit_test(parse_long_rejects_leading_plus),
	    cmocka_unit_test(parse_long_rejects_whitespace),
	    cmocka_unit_test(parse_long_rejects_trailing_chars),
	    cmocka_unit_test(parse_long_rejects_overflow),
	    cmocka_unit_test(parse_long_accepts_long_extremes),
	    cmocka_unit_test(parse_bool_accepts_true_words),
	    cmocka_unit_test(parse_bool_accepts_false_words),
	    cmocka_unit_test(parse_bool_rejects_other_text),
	    cmocka_unit_test(slug_accepts_wellformed),
	    cmocka_unit_test(slug_rejects_too_short),
	    cmocka_unit_test(slug_accepts_56_chars),
	    cmocka_unit_test(slug_rejects_57_chars),
	    cmocka_unit_test(slug_rejects_leading_digit_or_dash),
	    cmocka_unit_test(slug_rejects_trailing_dash),
	    cmocka_unit_test(slug_rejects_double_dash),
	    cmocka_unit_test(slug_rejects_uppercase),
	    cmocka_unit_test(slug_rejects_sql_injection),
	    cmocka_unit_test(slug_rejects_other_characters),
	    cmocka_unit_test(slug_reserved_names_are_reserved),
	    cmocka_unit_test(slug_reserved_pg_prefix_is_reserved),
	    cmocka_unit_test(slug_reserved_ordinary_names_are_free),
	    cmocka_unit_test(email_accepts_ordinary_addresses),
	    cmocka_unit_test(email_rejects_missing_or_extra_at),
	    cmocka_unit_test(email_rejects_bad_domain),
	    cmocka_unit_test(email_rejects_spaces_and_control_bytes),
	    cmocka_unit_test(email_rejects_local_part_over_64),
	    cmocka_unit_test(email_rejects_over_254_bytes),
	    cmocka_unit_test(uuid_accepts_canonical_forms),
	    cmocka_unit_test(uuid_rejects_malformed),
	    cmocka_unit_test(rfc3339_accepts_utc_and_offsets),
	    cmocka_unit_test(rfc3339_accepts_real_dates_only),
	    cmocka_unit_test(rfc3339_bounds_the_time_of_day),
	    cmocka_unit_test(rfc3339_rejects_other_shapes),
	    cmocka_unit_test(tenant_status_is_one_of_six),
	    cmocka_unit_test(job_status_is_one_of_five),
	    cmocka_unit_test(slug_allowed_is_wellformed_and_not_reserved),
	    cmocka_unit_test(role_valid_is_one_of_three),
	    cmocka_unit_test(utf8_accepts_ascii_and_multibyte),
	    cmocka_unit_test(utf8_rejects_stray_and_truncated_bytes),
	    cmocka_unit_test(utf8_rejects_overlongs_and_surrogates),
	    cmocka_unit_test(request_id_accepts_allowed_alphabet),
	    cmocka_unit_test(request_id_accepts_64_chars),
	    cmocka_unit_test(request_id_rejects_65_chars),
	    cmocka_unit_test(request_id_rejects_empty),
	    cmocka_unit_test(request_id_rejects_spaces_and_newlines),
	    cmocka_unit_test(request_id_rejects_other_punctuation),
	};

	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
