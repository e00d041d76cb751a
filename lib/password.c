/*
 * Passwords (see password.h): libargon2 for Argon2, libxcrypt for the crypt(3)
 * hashes of imported users, libzxcvbn for strength. A stored hash is parsed
 * here, and its cost checked against fixed caps, before either library sees
 * it: both would otherwise run whatever cost the string asks for.
 */
#include "password.h"

#include <argon2.h>
#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zxcvbn.h>

#include "config.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#define SALT_LEN 16
#define TAG_LEN 32
/* No hash we accept is this long; a longer stored string is refused unread. */
#define STORED_MAX 256

/* Caps on a stored Argon2 hash, each raised to the current parameters. */
#define ARGON2_CAP_M_KIB 1048576u /* 1 GiB */
#define ARGON2_CAP_T 16u
#define ARGON2_CAP_P 16u

/*
 * Caps on crypt(3) hashes. bcrypt cost 13 takes about 0.5 s here (16 took
 * 3.9 s); sha512crypt is linear in its rounds. yescrypt uses 128 * r * N
 * bytes: libxcrypt's default cost 5 is 16 MiB, its cost 9 is 256 MiB, its
 * highest, 11, is 1 GiB; p and t multiply the time.
 */
#define BCRYPT_MIN_COST 4
#define BCRYPT_MAX_COST 13
#define BCRYPT_MAX_PASSWORD 72 /* bcrypt ignores what follows */
#define SHA512_DEFAULT_ROUNDS 5000
#define SHA512_MAX_ROUNDS 1000000
#define YESCRYPT_MAX_N_LOG2 18
#define YESCRYPT_MAX_BYTES (256ull << 20)
#define YESCRYPT_MAX_WORK (1024ull << 20) /* bytes * p * (t + 1) */
#define YESCRYPT_MAX_P_T 64

/* zxcvbn score 3 is "safely unguessable": about 10^8 guesses, log2(1e8) bits. */
#define ZXCVBN_MIN_BITS 26.575424759098897

struct format;
typedef int (*verify_fn)(const struct format *, const struct password_params *, const char *stored,
    const char *password, size_t len, enum password_verdict *);

/* A stored-hash format we verify, found by its prefix. */
struct format {
	const char *prefix;
	verify_fn verify;             /* -1: refused before any work; 0: *verdict set */
	argon2_type type;             /* Argon2 formats */
	int (*cost_ok)(const char *); /* crypt formats: checks the text after prefix */
	size_t max_len;               /* crypt formats: longest password compared whole */
};

static int verify_argon2(const struct format *, const struct password_params *, const char *,
    const char *, size_t, enum password_verdict *);
static int verify_crypt(const struct format *, const struct password_params *, const char *,
    const char *, size_t, enum password_verdict *);
static int bcrypt_cost_ok(const char *);
static int sha512_cost_ok(const char *);
static int yescrypt_cost_ok(const char *);

/*
 * argon2i is kept for hashes imported from systems that used it (it is a
 * sound password hash, only no longer the recommended variant); argon2d is
 * not meant for passwords and is refused, as is version 0x10 of either.
 */
static const struct format formats[] = {
    {"$argon2id$", verify_argon2, Argon2_id, NULL, 0},
    {"$argon2i$", verify_argon2, Argon2_i, NULL, 0},
    {"$2b$", verify_crypt, 0, bcrypt_cost_ok, BCRYPT_MAX_PASSWORD},
    {"$2a$", verify_crypt, 0, bcrypt_cost_ok, BCRYPT_MAX_PASSWORD},
    {"$2y$", verify_crypt, 0, bcrypt_cost_ok, BCRYPT_MAX_PASSWORD},
    {"$6$", verify_crypt, 0, sha512_cost_ok, CRYPT_MAX_PASSPHRASE_SIZE - 1},
    {"$y$", verify_crypt, 0, yescrypt_cost_ok, CRYPT_MAX_PASSPHRASE_SIZE - 1},
};

static const char *const reasons[PASSWORD_WEAKNESS__MAX] = {
    [PASSWORD_STRONG] = "ok",
    [PASSWORD_TOO_SHORT] = "too_short",
    [PASSWORD_TOO_LONG] = "too_long",
    [PASSWORD_TOO_GUESSABLE] = "too_guessable",
    [PASSWORD_CONTAINS_EMAIL] = "contains_email",
};

/* The dummy hash of password_dummy_verify(), made on first use. */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct password_params dummy_params;
static char dummy_hash[PASSWORD_HASH_MAX];

struct password_params
password_params_from_config(const struct config *cfg)
{
	struct password_params pp;

	/* config_load() keeps each within 1..4194304 (m) or 1..64 (t, p). */
	pp.m_kib = (uint32_t)cfg->argon2_memory_kib;
	pp.t = (uint32_t)cfg->argon2_iterations;
	pp.p = (uint32_t)cfg->argon2_parallelism;
	return pp;
}

static int
fill_random(unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
password_hash(
    const struct password_params *pp, const char *password, size_t len, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];
	int rc = -1;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (pp == NULL || (password == NULL && len > 0))
		goto out;
	if (password == NULL)
		password = "";
	if (argon2_encodedlen(pp->t, pp->m_kib, pp->p, SALT_LEN, TAG_LEN, Argon2_id) > outlen)
		goto out;
	if (fill_random(salt, sizeof(salt)) == -1)
		goto out;
	if (argon2id_hash_encoded(pp->t, pp->m_kib, pp->p, password, len, salt, sizeof(salt),
	        TAG_LEN, out, outlen) != ARGON2_OK) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(salt, sizeof(salt));
	return rc;
}

/*
 * Reads 1..maxdigits decimal digits at *s, without a leading zero, into
 * *out and advances *s past them. Returns 0 or -1.
 */
static int
parse_decimal(const char **s, size_t maxdigits, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	size_t n = 0;

	while (n <= maxdigits && p[n] >= '0' && p[n] <= '9')
		v = v * 10 + (uint64_t)(p[n++] - '0');
	if (n == 0 || n > maxdigits || (n > 1 && p[0] == '0'))
		return -1;
	*s = p + n;
	*out = v;
	return 0;
}

/* Advances *s past lit if it starts there. Returns 0 or -1. */
static int
expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return -1;
	*s += n;
	return 0;
}

/* m, t and p of "v=19$m=M,t=T,p=P$...", refused above the caps. Returns 0 or -1. */
static int
argon2_params(const char *s, const struct password_params *cur, struct password_params *out)
{
	uint64_t m, t, p;

	if (expect(&s, "v=19$m=") == -1 || parse_decimal(&s, 10, &m) == -1 ||
	    expect(&s, ",t=") == -1 || parse_decimal(&s, 10, &t) == -1 || expect(&s, ",p=") == -1 ||
	    parse_decimal(&s, 10, &p) == -1 || expect(&s, "$") == -1)
		return -1;
	if (m > ARGON2_CAP_M_KIB && m > cur->m_kib)
		return -1;
	if (t > ARGON2_CAP_T && t > cur->t)
		return -1;
	if (p > ARGON2_CAP_P && p > cur->p)
		return -1;
	out->m_kib = (uint32_t)m;
	out->t = (uint32_t)t;
	out->p = (uint32_t)p;
	return 0;
}

static int
verify_argon2(const struct format *f, const struct password_params *cur, const char *stored,
    const char *password, size_t len, enum password_verdict *verdict)
{
	struct password_params h;
	int rc;

	if (argon2_params(stored + strlen(f->prefix), cur, &h) == -1)
		return -1;
	rc = argon2_verify(stored, password, len, f->type);
	if (rc == ARGON2_VERIFY_MISMATCH) {
		*verdict = PASSWORD_MISMATCH;
		return 0;
	}
	if (rc != ARGON2_OK)
		return -1; /* undecodable: nothing was hashed */
	if (f->type != Argon2_id || h.m_kib < cur->m_kib || h.t < cur->t || h.p < cur->p)
		*verdict = PASSWORD_OK_REHASH;
	else
		*verdict = PASSWORD_OK;
	return 0;
}

/* "NN$..." with 4 <= NN <= 13 (libxcrypt refuses below 4 itself). */
static int
bcrypt_cost_ok(const char *s)
{
	int cost;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != '$')
		return -1;
	cost = (s[0] - '0') * 10 + (s[1] - '0');
	return cost >= BCRYPT_MIN_COST && cost <= BCRYPT_MAX_COST ? 0 : -1;
}

/* An optional "rounds=N$" (5000 when absent), N at most SHA512_MAX_ROUNDS. */
static int
sha512_cost_ok(const char *s)
{
	uint64_t rounds = SHA512_DEFAULT_ROUNDS;

	if (expect(&s, "rounds=") == 0 && (parse_decimal(&s, 7, &rounds) == -1 || *s != '$'))
		return -1;
	return rounds <= SHA512_MAX_ROUNDS ? 0 : -1;
}

/* The value of a character of crypt's "./0-9A-Za-z" alphabet, or -1. */
static int
ascii64(char c)
{
	if (c == '.' || c == '/')
		return c == '.' ? 0 : 1;
	if (c >= '0' && c <= '9')
		return c - '0' + 2;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 12;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 38;
	return -1;
}

/*
 * One number of yescrypt's "$y$" parameters, as libxcrypt's decode64_uint32()
 * (alg-yescrypt-common.c) reads it: the first character's value picks a range,
 * 0..47 stands alone, 48..55 takes one more character, 56..59 two, 60..61
 * three, 62 four, 63 five; each further character adds 6 low bits. min is
 * added. Advances *s. Returns 0 or -1.
 */
static int
yescrypt_number(const char **s, uint64_t min, uint64_t *out)
{
	uint32_t start = 0, end = 47, extra = 0;
	uint64_t v = min;
	int c = ascii64(**s), d;

	if (c < 0)
		return -1;
	(*s)++;
	while ((uint32_t)c > end) {
		v += (uint64_t)(end + 1 - start) << (6 * extra);
		start = end + 1;
		end = start + (62 - end) / 2;
		extra++;
	}
	v += (uint64_t)((uint32_t)c - start) << (6 * extra);
	while (extra-- > 0) {
		if ((d = ascii64(**s)) < 0)
			return -1;
		(*s)++;
		v += (uint64_t)d << (6 * extra);
	}
	*out = v;
	return 0;
}

/*
 * "flavor N_log2 r [have [p] [t]]$": N = 2^N_log2 blocks of 128 * r bytes.
 * The optional g (hash upgrades) and NROM fields, which libxcrypt never
 * writes and cannot use without a ROM, are refused.
 */
static int
yescrypt_cost_ok(const char *s)
{
	uint64_t flavor, n_log2, r, have = 0, p = 1, t = 0, bytes;

	if (yescrypt_number(&s, 0, &flavor) == -1 || yescrypt_number(&s, 1, &n_log2) == -1 ||
	    yescrypt_number(&s, 1, &r) == -1)
		return -1;
	if (*s != '$') {
		if (yescrypt_number(&s, 1, &have) == -1 || have > 3)
			return -1;
		if ((have & 1) && yescrypt_number(&s, 2, &p) == -1)
			return -1;
		if ((have & 2) && yescrypt_number(&s, 1, &t) == -1)
			return -1;
	}
	if (*s != '$' || n_log2 > YESCRYPT_MAX_N_LOG2 || r > YESCRYPT_MAX_BYTES ||
	    p > YESCRYPT_MAX_P_T || t > YESCRYPT_MAX_P_T)
		return -1;
	bytes = (128 * r) << n_log2; /* at most 2^53 after the checks: no overflow */
	if (bytes > YESCRYPT_MAX_BYTES || bytes * p * (t + 1) > YESCRYPT_MAX_WORK)
		return -1;
	return 0;
}

/*
 * libxcrypt works on C strings, so a password with a NUL byte cannot be
 * compared whole and is refused, as is one longer than the format reads
 * (bcrypt: 72 bytes): a match on a prefix is not a match of the password.
 */
static int
verify_crypt(const struct format *f, const struct password_params *cur, const char *stored,
    const char *password, size_t len, enum password_verdict *verdict)
{
	struct crypt_data *cd = NULL;
	char *phrase = NULL;
	const char *out;
	size_t n;
	int rc = -1;

	(void)cur;
	if (len > f->max_len || memchr(password, '\0', len) != NULL)
		goto out;
	if (crypt_checksalt(stored) != CRYPT_SALT_OK ||
	    f->cost_ok(stored + strlen(f->prefix)) == -1)
		goto out;
	/* 32 KiB of scratch: never on a worker's stack. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL || (phrase = malloc(len + 1)) == NULL)
		goto out;
	memcpy(phrase, password, len);
	phrase[len] = '\0';
	/* NULL or a "*0"/"*1" failure token: the setting was not usable. */
	out = crypt_rn(phrase, stored, cd, (int)sizeof(*cd));
	if (out == NULL || out[0] == '*')
		goto out;
	n = strlen(stored);
	if (strlen(out) == n && CRYPTO_memcmp(out, stored, n) == 0)
		*verdict = PASSWORD_OK_REHASH;
	else
		*verdict = PASSWORD_MISMATCH;
	rc = 0;
out:
	if (phrase != NULL) {
		explicit_bzero(phrase, len);
		free(phrase);
	}
	if (cd != NULL) {
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
	}
	return rc;
}

static const struct format *
format_of(const char *stored)
{
	size_t i;

	if (stored == NULL || strnlen(stored, STORED_MAX + 1) > STORED_MAX)
		return NULL;
	for (i = 0; i < nitems(formats); i++)
		if (strncmp(stored, formats[i].prefix, strlen(formats[i].prefix)) == 0)
			return &formats[i];
	return NULL;
}

enum password_verdict
password_verify(
    const struct password_params *current, const char *stored, const char *password, size_t len)
{
	enum password_verdict v = PASSWORD_MISMATCH;
	const struct format *f;

	if (current == NULL)
		return PASSWORD_MISMATCH;
	f = password == NULL ? NULL : format_of(stored);
	if (f == NULL || f->verify(f, current, stored, password, len, &v) == -1) {
		/* A refused hash costs what a wrong password does. */
		password_dummy_verify(current, password, len);
		v = PASSWORD_MISMATCH;
	}
	return v;
}

void
password_dummy_verify(const struct password_params *pp, const char *password, size_t len)
{
	static const char seed[] = "not a password anyone has";
	char hash[PASSWORD_HASH_MAX];

	if (pp == NULL)
		return;
	if (password == NULL) {
		password = "";
		len = 0;
	}
	pthread_mutex_lock(&dummy_lock);
	if (dummy_hash[0] == '\0' || dummy_params.m_kib != pp->m_kib || dummy_params.t != pp->t ||
	    dummy_params.p != pp->p) {
		if (password_hash(pp, seed, sizeof(seed) - 1, dummy_hash, sizeof(dummy_hash)) == 0)
			dummy_params = *pp;
	}
	memcpy(hash, dummy_hash, sizeof(hash));
	pthread_mutex_unlock(&dummy_lock);
	if (hash[0] != '\0')
		(void)argon2_verify(hash, password, len, Argon2_id);
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether the n bytes at needle occur in the len bytes at s, ASCII case ignored. */
static int
contains_nocase(const char *s, size_t len, const char *needle, size_t n)
{
	size_t i, j;

	for (i = 0; n <= len && i <= len - n; i++) {
		for (j = 0; j < n && lower(s[i + j]) == lower(needle[j]); j++)
			continue;
		if (j == n)
			return 1;
	}
	return 0;
}

/*
 * The words zxcvbn is to penalise: the local part, its pieces of 3 bytes or
 * more between separators (kept in pieces, a copy the caller frees), then
 * user_words. A NULL-terminated array the caller frees, or NULL.
 */
static const char **
user_dictionary(const char *local, char **pieces, const char *const *user_words)
{
	const char **words;
	size_t n = 2, i = 0, k;
	char *tok, *save;

	*pieces = NULL;
	if (local != NULL)
		n += strlen(local) / 2 + 2;
	for (k = 0; user_words != NULL && user_words[k] != NULL; k++)
		n++;
	if ((words = calloc(n, sizeof(*words))) == NULL)
		return NULL;
	if (local != NULL) {
		words[i++] = local;
		if ((*pieces = strdup(local)) == NULL) {
			free(words);
			return NULL;
		}
		for (tok = strtok_r(*pieces, "._+-", &save); tok != NULL;
		     tok = strtok_r(NULL, "._+-", &save))
			if (strlen(tok) >= 3 && strcmp(tok, local) != 0)
				words[i++] = tok;
	}
	for (k = 0; user_words != NULL && user_words[k] != NULL; k++)
		if (user_words[k][0] != '\0')
			words[i++] = user_words[k];
	words[i] = NULL;
	return words;
}

enum password_weakness
password_strength(
    const char *password, size_t len, const char *email, const char *const *user_words)
{
	enum password_weakness w = PASSWORD_TOO_GUESSABLE; /* on allocation failure */
	const char **words = NULL;
	char *local = NULL, *pieces = NULL, *copy = NULL;
	const char *at;

	if (password == NULL || len < PASSWORD_MIN_LEN)
		return PASSWORD_TOO_SHORT;
	if (len > PASSWORD_MAX_LEN)
		return PASSWORD_TOO_LONG;
	if (email != NULL) {
		at = strrchr(email, '@');
		local = strndup(email, at != NULL ? (size_t)(at - email) : strlen(email));
		if (local == NULL)
			goto out;
		if (strlen(local) >= 3 && contains_nocase(password, len, local, strlen(local))) {
			w = PASSWORD_CONTAINS_EMAIL;
			goto out;
		}
		if (local[0] == '\0') {
			free(local);
			local = NULL;
		}
	}
	/* zxcvbn reads a C string: up to a NUL byte, which only lowers the estimate. */
	if ((copy = strndup(password, len)) == NULL)
		goto out;
	if ((words = user_dictionary(local, &pieces, user_words)) == NULL)
		goto out;
	w = ZxcvbnMatch(copy, words, NULL) < ZXCVBN_MIN_BITS ? PASSWORD_TOO_GUESSABLE
	                                                     : PASSWORD_STRONG;
out:
	if (copy != NULL) {
		explicit_bzero(copy, strlen(copy));
		free(copy);
	}
	free(words);
	free(pieces);
	free(local);
	return w;
}

const char *
password_weakness_reason(enum password_weakness w)
{
	if ((unsigned)w >= PASSWORD_WEAKNESS__MAX)
		return "unknown";
	return reasons[w];
}
