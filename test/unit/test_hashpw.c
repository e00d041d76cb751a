/*
 * fcgi/hashpw: saas-fcgi --hash-password reads one line, applies the
 * service's strength rules and prints an Argon2id hash that the service's
 * own verify accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "hashpw.h"
#include "password.h"

#define STRONG "correct horse battery staple 42"

struct run {
	int rc;
	char out[256], err[256];
};

/* hashpw_run over input, at the cheapest Argon2id cost. */
static void
run(const char *input, size_t len, const char *email, struct run *r)
{
	struct config cfg;
	FILE *in, *out, *err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.argon2_memory_kib = 8;
	cfg.argon2_iterations = 1;
	cfg.argon2_parallelism = 1;
	memset(r, 0, sizeof(*r));
	in = len > 0 ? fmemopen((void *)input, len, "r") : fopen("/dev/null", "r");
	out = fmemopen(r->out, sizeof(r->out) - 1, "w");
	err = fmemopen(r->err, sizeof(r->err) - 1, "w");
	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = hashpw_run(&cfg, email, in, out, err);
	fclose(in);
	fclose(out);
	fclose(err);
}

static int
verifies(const char *hash_line, const char *password)
{
	struct password_params pp = {8, 1, 1};
	char hash[PASSWORD_HASH_MAX];
	size_t n = strcspn(hash_line, "\n");

	memcpy(hash, hash_line, n);
	hash[n] = '\0';
	return password_verify(&pp, hash, password, strlen(password)) == PASSWORD_OK;
}

static void
a_strong_password_prints_its_argon2id_hash(void **state)
{
	struct run r;

	(void)state;
	run(STRONG "\n", strlen(STRONG) + 1, "ann@example.com", &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_int_equal(strncmp(r.out, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
	assert_int_equal(r.out[strlen(r.out) - 1], '\n');
	assert_true(verifies(r.out, STRONG));
}

static void
the_line_end_is_not_part_of_the_password(void **state)
{
	struct run r;

	(void)state;
	run(STRONG "\r\n", strlen(STRONG) + 2, NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_true(verifies(r.out, STRONG));
	/* Without a line end at all, too; and only the first line counts. */
	run(STRONG, strlen(STRONG), NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_true(verifies(r.out, STRONG));
	run(STRONG "\nsecond line\n", strlen(STRONG) + 13, NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_true(verifies(r.out, STRONG));
}

static void
a_weak_password_is_refused_with_its_reason(void **state)
{
	struct run r;

	(void)state;
	run("short\n", 6, NULL, &r);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "saas-fcgi: weak password: too_short\n");
	run("password1234\n", 13, NULL, &r);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "saas-fcgi: weak password: too_guessable\n");
}

static void
the_email_local_part_is_refused_in_the_password(void **state)
{
	static const char pw[] = "zanzibar-quokka ann.admin 93\n";
	struct run r;

	(void)state;
	run(pw, strlen(pw), "ann.admin@example.com", &r);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "saas-fcgi: weak password: contains_email\n");
	run(pw, strlen(pw), NULL, &r);
	assert_int_equal(r.rc, 0);
}

static void
no_input_is_an_error(void **state)
{
	struct run r;

	(void)state;
	run("", 0, NULL, &r);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "saas-fcgi: no password on standard input\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_strong_password_prints_its_argon2id_hash),
	    cmocka_unit_test(the_line_end_is_not_part_of_the_password),
	    cmocka_unit_test(a_weak_password_is_refused_with_its_reason),
	    cmocka_unit_test(the_email_local_part_is_refused_in_the_password),
	    cmocka_unit_test(no_input_is_an_error),
	};

	return cmocka_run_group_tests_name("hashpw", tests, NULL, NULL);
}
