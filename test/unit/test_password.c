/*
 * lib/password: hashing, verification with the re-hash verdict, the caps on
 * stored costs, the dummy verify and the strength rules (password.h, API.md
 * "Auth"). Small Argon2 parameters unless the defaults are the point.
 *
 * argon2_verify() and crypt_rn() are interposed here: the spies count calls
 * and pass them on to the libraries, so a test can assert that a planted cost
 * was refused without the library ever running it. A call with the watched
 * (planted) hash is counted and failed, never run: a broken cap then fails
 * its test at once instead of hanging it or allocating gigabytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <argon2.h>
#include <crypt.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "password.h"

static const struct password_params small = {1024, 1, 1};

/* Spies */

static int argon2_calls;                        /* every argon2_verify() */
static char argon2_last[PASSWORD_HASH_MAX * 2]; /* its last encoded string */
static int crypt_calls;                         /* every crypt_rn() */
static char watched[PASSWORD_HASH_MAX * 2];     /* a planted hash, or "" */
static int watched_calls;                       /* calls of either library with it */

static void
spies_reset(const char *watch)
{
	argon2_calls = crypt_calls = watched_calls = 0;
	argon2_last[0] = '\0';
	snprintf(watched, sizeof(watched), "%s", watch != NULL ? watch : "");
}

int
argon2_verify(const char *encoded, const void *pwd, const size_t pwdlen, argon2_type type)
{
	int (*real)(const char *, const void *, const size_t, argon2_type);

	real = (int (*)(const char *, const void *, const size_t, argon2_type))dlsym(
	    RTLD_NEXT, "argon2_verify");
	assert_non_null(real);
	argon2_calls++;
	snprintf(argon2_last, sizeof(argon2_last), "%s", encoded);
	if (watched[0] != '\0' && strcmp(encoded, watched) == 0) {
		watched_calls++;
		return ARGON2_DECODING_FAIL;
	}
	return real(encoded, pwd, pwdlen, type);
}

char *
crypt_rn(const char *phrase, const char *setting, void *data, int size)
{
	char *(*real)(const char *, const char *, void *, int);

	real = (char *(*)(const char *, const char *, void *, int))dlsym(RTLD_NEXT, "crypt_rn");
	assert_non_null(real);
	crypt_calls++;
	if (watched[0] != '\0' && strcmp(setting, watched) == 0) {
		watched_calls++;
		return NULL;
	}
	return real(phrase, setting, data, size);
}

/* Helpers */

static enum password_verdict
verify(const struct password_params *cur, const char *stored, const char *password)
{
	return password_verify(cur, stored, password, strlen(password));
}

static void
hash(const struct password_params *pp, const char *password, char out[PASSWORD_HASH_MAX])
{
	assert_int_equal(password_hash(pp, password, strlen(password), out, PASSWORD_HASH_MAX), 0);
}

/* A crypt(3) hash of password from libxcrypt, e.g. ("$2b$", 4). */
static void
crypt_hash(const char *prefix, unsigned long count, const char *password, char *out, size_t outlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;

	assert_non_null(crypt_gensalt_rn(prefix, count, NULL, 0, salt, sizeof(salt)));
	cd = calloc(1, sizeof(*cd));
	assert_non_null(cd);
	h = crypt_rn(password, salt, cd, (int)sizeof(*cd));
	assert_non_null(h);
	assert_true(h[0] == '$' && strlen(h) < outlen);
	strcpy(out, h);
	free(cd);
}

/* s with its first occurrence of from replaced by to, into out. */
static void
replace(const char *s, const char *from, const char *to, char *out, size_t outlen)
{
	const char *at = strstr(s, from);

	assert_non_null(at);
	assert_true(snprintf(out, outlen, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) <
	    (int)outlen);
}

/* A real hash of "correct horse battery" at small, relabelled with another "m=..,t=..,p=..". */
static void
planted_argon2(const char *field, char *out, size_t outlen)
{
	char h[PASSWORD_HASH_MAX];

	hash(&small, "correct horse battery", h);
	replace(h, "m=1024,t=1,p=1", field, out, outlen);
}

/* password_hash */

static void
hash_then_verify_is_ok(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK);
}

static void
verify_wrong_password_is_mismatch(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&small, h, "correct horse battere"), PASSWORD_MISMATCH);
	assert_int_equal(verify(&small, h, ""), PASSWORD_MISMATCH);
}

static void
verify_wrong_password_runs_one_argon2_verify(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	spies_reset(NULL);
	assert_int_equal(verify(&small, h, "wrong horse battery"), PASSWORD_MISMATCH);
	/* No dummy on top: a wrong password costs what a right one does. */
	assert_int_equal(argon2_calls, 1);
}

static void
hash_is_encoded_argon2id_with_the_parameters(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_memory_equal(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30);
	/* 16-byte salt and 32-byte tag: 22 and 43 base64 characters. */
	assert_int_equal(strlen(h), 30 + 22 + 1 + 43);
}

static void
hash_at_config_defaults_uses_them(void **state)
{
	struct config cfg = {
	    .argon2_memory_kib = 19456, .argon2_iterations = 2, .argon2_parallelism = 1};
	struct password_params pp = password_params_from_config(&cfg);
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(pp.m_kib, 19456);
	assert_int_equal(pp.t, 2);
	assert_int_equal(pp.p, 1);
	hash(&pp, "correct horse battery", h);
	assert_memory_equal(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31);
	assert_int_equal(verify(&pp, h, "correct horse battery"), PASSWORD_OK);
}

static void
hash_salts_each_time(void **state)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", a);
	hash(&small, "correct horse battery", b);
	assert_string_not_equal(a, b);
}

static void
hash_refuses_a_too_small_buffer(void **state)
{
	char h[64];

	(void)state;
	memset(h, 'x', sizeof(h));
	assert_int_equal(password_hash(&small, "correct horse", 13, h, sizeof(h)), -1);
	assert_string_equal(h, "");
}

static void
hash_never_truncates_a_long_password(void **state)
{
	char h[PASSWORD_HASH_MAX], pw[1001];

	(void)state;
	memset(pw, 'a', 1000);
	pw[1000] = '\0';
	hash(&small, pw, h);
	pw[999] = 'b';
	assert_int_equal(verify(&small, h, pw), PASSWORD_MISMATCH);
	pw[999] = 'a';
	assert_int_equal(verify(&small, h, pw), PASSWORD_OK);
}

static void
hash_counts_bytes_after_a_nul(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(password_hash(&small, "abcdef\0ghijkl", 13, h, sizeof(h)), 0);
	assert_int_equal(password_verify(&small, h, "abcdef\0ghijkl", 13), PASSWORD_OK);
	assert_int_equal(password_verify(&small, h, "abcdef", 6), PASSWORD_MISMATCH);
	assert_int_equal(password_verify(&small, h, "abcdef\0ghijkX", 13), PASSWORD_MISMATCH);
}

/* Argon2 parameters and the re-hash verdict */

static void
verify_at_equal_parameters_is_ok(void **state)
{
	struct password_params cur = {2048, 2, 2};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&cur, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "correct horse battery"), PASSWORD_OK);
}

static void
verify_stronger_than_current_is_ok(void **state)
{
	struct password_params stronger = {2048, 2, 2};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&stronger, "correct horse battery", h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK);
}

static void
verify_memory_below_current_asks_rehash(void **state)
{
	struct password_params cur = {2048, 1, 1};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
verify_iterations_below_current_asks_rehash(void **state)
{
	struct password_params cur = {1024, 2, 1};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
verify_lanes_below_current_asks_rehash(void **state)
{
	struct password_params cur = {1024, 1, 2};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
verify_rehash_only_on_the_right_password(void **state)
{
	struct password_params cur = {2048, 1, 1};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "wrong horse battery"), PASSWORD_MISMATCH);
}

static void
verify_refuses_planted_huge_memory_without_running_it(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	planted_argon2("m=4194304,t=1,p=1", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

static void
verify_refuses_planted_huge_iterations_without_running_it(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	planted_argon2("m=1024,t=1000,p=1", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

static void
verify_refuses_planted_huge_lanes_without_running_it(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	planted_argon2("m=1024,t=1,p=1000", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

static void
verify_refuses_iterations_over_cap_even_for_the_right_password(void **state)
{
	struct password_params seventeen = {8, 17, 1};
	struct password_params cur = {8, 1, 1};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&seventeen, "correct horse battery", h);
	assert_int_equal(verify(&cur, h, "correct horse battery"), PASSWORD_MISMATCH);
}

static void
verify_accepts_over_cap_at_the_current_parameters(void **state)
{
	struct password_params seventeen = {8, 17, 1};
	char h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&seventeen, "correct horse battery", h);
	assert_int_equal(verify(&seventeen, h, "correct horse battery"), PASSWORD_OK);
}

static void
verify_refuses_malformed_parameters(void **state)
{
	static const char *const fields[] = {
	    "m=01024,t=1,p=1", /* libargon2 would read 1024 */
	    "m=1024,t=01,p=1",
	    "m=1024,p=1,t=1",
	    "m=1024,t=1",
	    "m=+1024,t=1,p=1",
	    "m=10000000000,t=1,p=1",
	    "m=,t=1,p=1",
	};
	char h[PASSWORD_HASH_MAX * 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		planted_argon2(fields[i], h, sizeof(h));
		spies_reset(h);
		assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
		assert_int_equal(watched_calls, 0);
	}
}

static void
verify_refuses_argon2_without_version_19(void **state)
{
	char good[PASSWORD_HASH_MAX], h[PASSWORD_HASH_MAX];

	(void)state;
	hash(&small, "correct horse battery", good);
	/* Without "v=", libargon2 reads version 0x10 and would run it. */
	replace(good, "v=19$", "", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

static void
verify_refuses_a_stored_hash_over_256_bytes(void **state)
{
	char h[512], salt[200];

	(void)state;
	memset(salt, 's', sizeof(salt));
	assert_int_equal(argon2id_hash_encoded(1, 1024, 1, "correct horse battery", 21, salt,
	                     sizeof(salt), 32, h, sizeof(h)),
	    ARGON2_OK);
	assert_true(strlen(h) > 256);
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

static void
verify_legacy_argon2i_asks_rehash(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(argon2i_hash_encoded(1, 1024, 1, "correct horse battery", 21,
	                     "saltsaltsaltsalt", 16, 32, h, sizeof(h)),
	    ARGON2_OK);
	assert_memory_equal(h, "$argon2i$", 9);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
	assert_int_equal(verify(&small, h, "wrong horse battery"), PASSWORD_MISMATCH);
}

static void
verify_refuses_argon2d(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(argon2d_hash_encoded(1, 1024, 1, "correct horse battery", 21,
	                     "saltsaltsaltsalt", 16, 32, h, sizeof(h)),
	    ARGON2_OK);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
}

/* bcrypt */

static void
bcrypt_right_password_asks_rehash(void **state)
{
	char h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse battery", h, sizeof(h));
	assert_memory_equal(h, "$2b$04$", 7);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
bcrypt_wrong_password_is_mismatch(void **state)
{
	char h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse battery", h, sizeof(h));
	assert_int_equal(verify(&small, h, "correct horse batterx"), PASSWORD_MISMATCH);
}

static void
bcrypt_2a_and_2y_are_accepted(void **state)
{
	char a[128], y[128];

	(void)state;
	crypt_hash("$2a$", 4, "correct horse battery", a, sizeof(a));
	crypt_hash("$2y$", 4, "correct horse battery", y, sizeof(y));
	assert_int_equal(verify(&small, a, "correct horse battery"), PASSWORD_OK_REHASH);
	assert_int_equal(verify(&small, y, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
bcrypt_refuses_planted_cost_31_without_running_it(void **state)
{
	char good[128], h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse battery", good, sizeof(good));
	replace(good, "$2b$04$", "$2b$31$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

static void
bcrypt_refuses_cost_14_without_running_it(void **state)
{
	char good[128], h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse battery", good, sizeof(good));
	replace(good, "$2b$04$", "$2b$14$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

static void
bcrypt_accepts_exactly_72_bytes(void **state)
{
	char pw[73], h[128];

	(void)state;
	memset(pw, 'k', 72);
	pw[72] = '\0';
	crypt_hash("$2b$", 4, pw, h, sizeof(h));
	assert_int_equal(verify(&small, h, pw), PASSWORD_OK_REHASH);
}

static void
bcrypt_refuses_a_longer_password_matching_on_72_bytes(void **state)
{
	char pw[101], h[128];

	(void)state;
	memset(pw, 'k', 100);
	pw[72] = '\0';
	crypt_hash("$2b$", 4, pw, h, sizeof(h));
	pw[72] = 'z';
	pw[100] = '\0';
	/* bcrypt itself would say yes: it never reads past byte 72. */
	spies_reset(NULL);
	assert_int_equal(verify(&small, h, pw), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

static void
bcrypt_refuses_a_password_with_a_nul(void **state)
{
	char h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse", h, sizeof(h));
	/* As a C string this is "correct horse", which matches. */
	assert_int_equal(password_verify(&small, h, "correct horse\0tail", 18), PASSWORD_MISMATCH);
}

/* sha512crypt */

static void
sha512crypt_default_rounds_asks_rehash(void **state)
{
	char h[256];

	(void)state;
	crypt_hash("$6$", 0, "correct horse battery", h, sizeof(h));
	assert_null(strstr(h, "rounds="));
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
	assert_int_equal(verify(&small, h, "correct horse batterY"), PASSWORD_MISMATCH);
}

static void
sha512crypt_explicit_rounds_within_cap_asks_rehash(void **state)
{
	char h[256];

	(void)state;
	crypt_hash("$6$", 1000, "correct horse battery", h, sizeof(h));
	assert_memory_equal(h, "$6$rounds=1000$", 15);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
sha512crypt_refuses_5000000_rounds_without_running_it(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$6$", 1000, "correct horse battery", good, sizeof(good));
	replace(good, "rounds=1000$", "rounds=5000000$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

/* yescrypt */

static void
yescrypt_low_cost_asks_rehash(void **state)
{
	char h[256];

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", h, sizeof(h));
	assert_memory_equal(h, "$y$j75$", 7); /* N = 2^10, r = 8: 1 MiB */
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
	assert_int_equal(verify(&small, h, "correct horse battern"), PASSWORD_MISMATCH);
}

static void
yescrypt_reads_a_two_character_block_size(void **state)
{
	char h[256];
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	(void)state;
	assert_non_null(cd);
	/* r = "k." = 49: N = 2^10 blocks of 6 KiB. */
	assert_non_null(crypt_rn(
	    "correct horse battery", "$y$j7k.$saltsaltsaltsaltsalt", cd, (int)sizeof(*cd)));
	strcpy(h, cd->output);
	free(cd);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
yescrypt_refuses_cost_10_and_11_without_running_them(void **state)
{
	/* libxcrypt's costs 10 and 11: N = 2^17 and 2^18 blocks of 4 KiB. */
	static const char *const params[] = {"$y$jET$", "$y$jFT$"};
	char good[256], h[256];
	size_t i;

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", good, sizeof(good));
	for (i = 0; i < 2; i++) {
		replace(good, "$y$j75$", params[i], h, sizeof(h));
		spies_reset(h);
		assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
		assert_int_equal(crypt_calls, 0);
	}
}

static void
yescrypt_refuses_a_huge_multi_character_block_size(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", good, sizeof(good));
	/* r = 'z' and five more characters: about 2^30 blocks of 128 bytes. */
	replace(good, "$y$j75$", "$y$j7zzzzzz$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

static void
yescrypt_refuses_more_than_2_18_blocks(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", good, sizeof(good));
	/* N = 2^19 blocks of 128 bytes: 64 MiB, but more blocks than the cap. */
	replace(good, "$y$j75$", "$y$jG.$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

static void
yescrypt_reads_the_optional_time_parameter(void **state)
{
	char h[256];
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	(void)state;
	assert_non_null(cd);
	/* 1 MiB with t = 4 ("/" says t follows, "1" is 4): a cheap valid hash. */
	assert_non_null(crypt_rn(
	    "correct horse battery", "$y$j75/1$saltsaltsaltsaltsalt", cd, (int)sizeof(*cd)));
	strcpy(h, cd->output);
	free(cd);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_OK_REHASH);
}

static void
yescrypt_refuses_time_that_makes_the_work_too_large(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", good, sizeof(good));
	/* libxcrypt's cost 9 (256 MiB, accepted alone) with t = 4: 5 passes. */
	replace(good, "$y$j75$", "$y$jDT/1$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(crypt_calls, 0);
}

/* The caps are inclusive: at the cap the hash reaches the library (the spy stops it there). */

static void
cap_passes_argon2_at_1_gib_16_passes_16_lanes(void **state)
{
	char h[PASSWORD_HASH_MAX];

	(void)state;
	planted_argon2("m=1048576,t=16,p=16", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 1);
}

static void
cap_passes_bcrypt_cost_13(void **state)
{
	char good[128], h[128];

	(void)state;
	crypt_hash("$2b$", 4, "correct horse battery", good, sizeof(good));
	replace(good, "$2b$04$", "$2b$13$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 1);
}

static void
cap_passes_sha512crypt_1000000_rounds(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$6$", 1000, "correct horse battery", good, sizeof(good));
	replace(good, "rounds=1000$", "rounds=1000000$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 1);
}

static void
cap_passes_yescrypt_at_256_mib_and_not_above(void **state)
{
	char good[256], h[256];

	(void)state;
	crypt_hash("$y$", 1, "correct horse battery", good, sizeof(good));
	/* N = 2^15 ("C"), r = 64 ("kD", two characters): 256 MiB exactly. */
	replace(good, "$y$j75$", "$y$jCkD$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 1);
	/* r = 65 ("kE"): one block size over. */
	replace(good, "$y$j75$", "$y$jCkE$", h, sizeof(h));
	spies_reset(h);
	assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(watched_calls, 0);
}

/* Everything else */

static void
verify_refuses_garbage_empty_and_null(void **state)
{
	(void)state;
	assert_int_equal(verify(&small, "*0", "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(verify(&small, "*1", "*1"), PASSWORD_MISMATCH);
	assert_int_equal(verify(&small, "", ""), PASSWORD_MISMATCH);
	assert_int_equal(verify(&small, NULL, "correct horse battery"), PASSWORD_MISMATCH);
	assert_int_equal(password_verify(&small, "$argon2id$", NULL, 0), PASSWORD_MISMATCH);
	assert_int_equal(verify(&small, "$argon2id$v=19$m=1024,t=1,p=1$$", "x"), PASSWORD_MISMATCH);
}

static void
verify_refuses_other_crypt_methods_with_the_right_password(void **state)
{
	static const struct {
		const char *prefix;
		unsigned long count;
	} weak[] = {{"$1$", 0}, {"$5$", 1000}, {"$gy$", 1}, {"$sha1$", 4}};
	char h[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		crypt_hash(weak[i].prefix, weak[i].count, "correct horse battery", h, sizeof(h));
		spies_reset(h);
		assert_int_equal(verify(&small, h, "correct horse battery"), PASSWORD_MISMATCH);
		assert_int_equal(crypt_calls, 0);
	}
}

static void
verify_refused_hash_still_spends_a_dummy_verify(void **state)
{
	(void)state;
	spies_reset(NULL);
	assert_int_equal(
	    verify(&small, "$1$abcdefgh$abcdefghijklmnopqrstuv", "x"), PASSWORD_MISMATCH);
	assert_int_equal(argon2_calls, 1);
	assert_memory_equal(argon2_last, "$argon2id$v=19$m=1024,t=1,p=1$", 30);
}

/* password_dummy_verify */

static void
dummy_verify_runs_argon2_at_the_given_parameters(void **state)
{
	struct password_params other = {2048, 1, 1};

	(void)state;
	spies_reset(NULL);
	password_dummy_verify(&small, "whatever", 8);
	assert_int_equal(argon2_calls, 1);
	assert_memory_equal(argon2_last, "$argon2id$v=19$m=1024,t=1,p=1$", 30);
	password_dummy_verify(&other, "whatever", 8);
	assert_int_equal(argon2_calls, 2);
	assert_memory_equal(argon2_last, "$argon2id$v=19$m=2048,t=1,p=1$", 30);
}

/* password_strength */

static void
strength_refuses_11_bytes(void **state)
{
	(void)state;
	assert_int_equal(password_strength("xK9#mQ2$vL7", 11, NULL, NULL), PASSWORD_TOO_SHORT);
}

static void
strength_accepts_12_random_bytes(void **state)
{
	(void)state;
	assert_int_equal(password_strength("xK9#mQ2$vL7!", 12, NULL, NULL), PASSWORD_STRONG);
}

static void
strength_refuses_257_bytes(void **state)
{
	char pw[258];
	size_t i;

	(void)state;
	for (i = 0; i < 257; i++)
		pw[i] = "aZ3$kQ9!mW2#pL7&"[(i * 7 + i / 5) % 16];
	pw[257] = '\0';
	assert_int_equal(password_strength(pw, 257, NULL, NULL), PASSWORD_TOO_LONG);
	assert_int_equal(password_strength(pw, 256, NULL, NULL), PASSWORD_STRONG);
}

static void
strength_refuses_password1234(void **state)
{
	(void)state;
	assert_int_equal(password_strength("password1234", 12, NULL, NULL), PASSWORD_TOO_GUESSABLE);
}

static void
strength_refuses_a_long_repetition(void **state)
{
	(void)state;
	assert_int_equal(
	    password_strength("aaaaaaaaaaaaaaaaaaaa", 20, NULL, NULL), PASSWORD_TOO_GUESSABLE);
}

static void
strength_accepts_a_random_passphrase(void **state)
{
	(void)state;
	assert_int_equal(
	    password_strength("zebra-lantern-cobalt-mosaic", 27, "jane.doe@example.com", NULL),
	    PASSWORD_STRONG);
}

static void
strength_refuses_the_email_local_part_in_any_case(void **state)
{
	(void)state;
	assert_int_equal(
	    password_strength("Zebra-Lantern-JANE.DOE-91", 25, "jane.doe@example.com", NULL),
	    PASSWORD_CONTAINS_EMAIL);
	assert_int_equal(
	    password_strength("Zebra-Lantern-JANE.DOE-91", 25, "bob@example.com", NULL),
	    PASSWORD_STRONG);
}

static void
strength_ignores_a_local_part_under_3_chars(void **state)
{
	(void)state;
	assert_int_equal(password_strength("zebra-lantern-jo-cobalt", 23, "jo@example.com", NULL),
	    PASSWORD_STRONG);
}

static void
strength_penalises_the_pieces_of_the_local_part(void **state)
{
	(void)state;
	assert_int_equal(password_strength("jane1984doe!!", 13, NULL, NULL), PASSWORD_STRONG);
	assert_int_equal(password_strength("jane1984doe!!", 13, "jane.doe@example.com", NULL),
	    PASSWORD_TOO_GUESSABLE);
}

static void
strength_penalises_user_words(void **state)
{
	static const char *const tenant[] = {"acmewidgets", NULL};

	(void)state;
	assert_int_equal(password_strength("acmewidgets20241234", 19, NULL, NULL), PASSWORD_STRONG);
	assert_int_equal(
	    password_strength("acmewidgets20241234", 19, NULL, tenant), PASSWORD_TOO_GUESSABLE);
	assert_int_equal(password_strength("AcmeWidgets20241234", 19, "ops@example.com", tenant),
	    PASSWORD_TOO_GUESSABLE);
}

static void
weakness_reasons_are_the_api_details(void **state)
{
	(void)state;
	assert_string_equal(password_weakness_reason(PASSWORD_STRONG), "ok");
	assert_string_equal(password_weakness_reason(PASSWORD_TOO_SHORT), "too_short");
	assert_string_equal(password_weakness_reason(PASSWORD_TOO_LONG), "too_long");
	assert_string_equal(password_weakness_reason(PASSWORD_TOO_GUESSABLE), "too_guessable");
	assert_string_equal(password_weakness_reason(PASSWORD_CONTAINS_EMAIL), "contains_email");
	assert_string_equal(password_weakness_reason(PASSWORD_WEAKNESS__MAX), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hash_then_verify_is_ok),
	    cmocka_unit_test(verify_wrong_password_is_mismatch),
	    cmocka_unit_test(verify_wrong_password_runs_one_argon2_verify),
	    cmocka_unit_test(hash_is_encoded_argon2id_with_the_parameters),
	    cmocka_unit_test(hash_at_config_defaults_uses_them),
	    cmocka_unit_test(hash_salts_each_time),
	    cmocka_unit_test(hash_refuses_a_too_small_buffer),
	    cmocka_unit_test(hash_never_truncates_a_long_password),
	    cmocka_unit_test(hash_counts_bytes_after_a_nul),
	    cmocka_unit_test(verify_at_equal_parameters_is_ok),
	    cmocka_unit_test(verify_stronger_than_current_is_ok),
	    cmocka_unit_test(verify_memory_below_current_asks_rehash),
	    cmocka_unit_test(verify_iterations_below_current_asks_rehash),
	    cmocka_unit_test(verify_lanes_below_current_asks_rehash),
	    cmocka_unit_test(verify_rehash_only_on_the_right_password),
	    cmocka_unit_test(verify_refuses_planted_huge_memory_without_running_it),
	    cmocka_unit_test(verify_refuses_planted_huge_iterations_without_running_it),
	    cmocka_unit_test(verify_refuses_planted_huge_lanes_without_running_it),
	    cmocka_unit_test(verify_refuses_iterations_over_cap_even_for_the_right_password),
	    cmocka_unit_test(verify_accepts_over_cap_at_the_current_parameters),
	    cmocka_unit_test(verify_refuses_malformed_parameters),
	    cmocka_unit_test(verify_refuses_argon2_without_version_19),
	    cmocka_unit_test(verify_refuses_a_stored_hash_over_256_bytes),
	    cmocka_unit_test(verify_legacy_argon2i_asks_rehash),
	    cmocka_unit_test(verify_refuses_argon2d),
	    cmocka_unit_test(bcrypt_right_password_asks_rehash),
	    cmocka_unit_test(bcrypt_wrong_password_is_mismatch),
	    cmocka_unit_test(bcrypt_2a_and_2y_are_accepted),
	    cmocka_unit_test(bcrypt_refuses_planted_cost_31_without_running_it),
	    cmocka_unit_test(bcrypt_refuses_cost_14_without_running_it),
	    cmocka_unit_test(bcrypt_accepts_exactly_72_bytes),
	    cmocka_unit_test(bcrypt_refuses_a_longer_password_matching_on_72_bytes),
	    cmocka_unit_test(bcrypt_refuses_a_password_with_a_nul),
	    cmocka_unit_test(sha512crypt_default_rounds_asks_rehash),
	    cmocka_unit_test(sha512crypt_explicit_rounds_within_cap_asks_rehash),
	    cmocka_unit_test(sha512crypt_refuses_5000000_rounds_without_running_it),
	    cmocka_unit_test(yescrypt_low_cost_asks_rehash),
	    cmocka_unit_test(yescrypt_reads_a_two_character_block_size),
	    cmocka_unit_test(yescrypt_refuses_cost_10_and_11_without_running_them),
	    cmocka_unit_test(yescrypt_refuses_a_huge_multi_character_block_size),
	    cmocka_unit_test(yescrypt_refuses_more_than_2_18_blocks),
	    cmocka_unit_test(yescrypt_reads_the_optional_time_parameter),
	    cmocka_unit_test(yescrypt_refuses_time_that_makes_the_work_too_large),
	    cmocka_unit_test(cap_passes_argon2_at_1_gib_16_passes_16_lanes),
	    cmocka_unit_test(cap_passes_bcrypt_cost_13),
	    cmocka_unit_test(cap_passes_sha512crypt_1000000_rounds),
	    cmocka_unit_test(cap_passes_yescrypt_at_256_mib_and_not_above),
	    cmocka_unit_test(verify_refuses_garbage_empty_and_null),
	    cmocka_unit_test(verify_refuses_other_crypt_methods_with_the_right_password),
	    cmocka_unit_test(verify_refused_hash_still_spends_a_dummy_verify),
	    cmocka_unit_test(dummy_verify_runs_argon2_at_the_given_parameters),
	    cmocka_unit_test(strength_refuses_11_bytes),
	    cmocka_unit_test(strength_accepts_12_random_bytes),
	    cmocka_unit_test(strength_refuses_257_bytes),
	    cmocka_unit_test(strength_refuses_password1234),
	    cmocka_unit_test(strength_refuses_a_long_repetition),
	    cmocka_unit_test(strength_accepts_a_random_passphrase),
	    cmocka_unit_test(strength_refuses_the_email_local_part_in_any_case),
	    cmocka_unit_test(strength_ignores_a_local_part_under_3_chars),
	    cmocka_unit_test(strength_penalises_the_pieces_of_the_local_part),
	    cmocka_unit_test(strength_penalises_user_words),
	    cmocka_unit_test(weakness_reasons_are_the_api_details),
	};

	return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
