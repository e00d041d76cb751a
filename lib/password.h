/*
 * Passwords: Argon2id hashing, verification of Argon2 and imported crypt(3)
 * hashes with a re-hash verdict, a dummy verify for unknown accounts, and
 * the strength rules of API.md ("Auth"). Pure: no database, no FastCGI.
 *
 * A stored hash is data an attacker may have planted (an import file, a
 * compromised row): its cost parameters are read and capped before any
 * work is done, so no stored string can make a verify take minutes or
 * allocate gigabytes.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>
#include <stdint.h>

struct config;

/* Argon2id cost: memory in KiB, passes, lanes (ARGON2_* in the config). */
struct password_params {
	uint32_t m_kib, t, p;
};

/* Enough for any encoded hash password_hash() writes at any allowed parameters. */
#define PASSWORD_HASH_MAX 128

/* Strength bounds, in bytes. */
#define PASSWORD_MIN_LEN 12
#define PASSWORD_MAX_LEN 256

/* The parameters of ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM. */
struct password_params password_params_from_config(const struct config *);

/*
 * Argon2id of the len bytes at password (NUL bytes included, never
 * truncated) with a 16-byte salt from getrandom(2) and a 32-byte tag, as the
 * NUL-terminated string "$argon2id$v=19$m=..,t=..,p=..$salt$tag" in out
 * (outlen bytes, PASSWORD_HASH_MAX is enough). Returns 0, or -1 when the
 * parameters are refused by libargon2, out is too small or there is no
 * entropy (out is then an empty string).
 */
int password_hash(
    const struct password_params *, const char *password, size_t len, char *out, size_t outlen);

enum password_verdict {
	PASSWORD_MISMATCH, /* wrong password, or a stored hash we refuse */
	PASSWORD_OK,
	PASSWORD_OK_REHASH, /* right password: store password_hash() of it now */
};

/*
 * Checks the len bytes at password against the stored hash.
 *
 * - "$argon2id$v=19$": OK, or OK_REHASH when its m, t or p is below current.
 * - "$argon2i$v=19$" (legacy): OK_REHASH. argon2d and version 0x10 are refused.
 * - crypt(3), through libxcrypt: bcrypt "$2b$" "$2a$" "$2y$" (cost 4..13),
 *   sha512crypt "$6$" (rounds at most 1,000,000), yescrypt "$y$" (at most
 *   2^18 blocks, 256 MiB, and 1 GiB times its p and t + 1; libxcrypt's costs
 *   1..9): OK_REHASH. A password with a NUL byte, or of
 *   CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more, is refused for these; one
 *   over 72 bytes is refused against bcrypt, which would only compare the
 *   first 72.
 * - Anything else (md5crypt, DES, sha256crypt, scrypt, NULL, "", "*0", a
 *   malformed string, a cost above the caps): MISMATCH without running it.
 *
 * The caps on Argon2 are m 1 GiB, t 16, p 16, each raised to current's value
 * so that the configured parameters are always accepted. Whenever the stored
 * hash is refused, a dummy Argon2 verify at current runs anyway so that a
 * broken or missing hash takes as long as a wrong password. current must not
 * be NULL.
 */
enum password_verdict password_verify(
    const struct password_params *current, const char *stored, const char *password, size_t len);

/*
 * Spends the work of one Argon2id verify at the given parameters against a
 * fixed hash made on first use (and again when the parameters change), for a
 * login with an unknown email. The result is thrown away. Thread-safe.
 */
void password_dummy_verify(const struct password_params *, const char *password, size_t len);

enum password_weakness {
	PASSWORD_STRONG = 0,
	PASSWORD_TOO_SHORT,      /* under PASSWORD_MIN_LEN bytes */
	PASSWORD_TOO_LONG,       /* over PASSWORD_MAX_LEN bytes */
	PASSWORD_TOO_GUESSABLE,  /* zxcvbn: under about 10^8 guesses (score 3) */
	PASSWORD_CONTAINS_EMAIL, /* contains the email's local part */
	PASSWORD_WEAKNESS__MAX
};

/*
 * Applies the rules for a new password, in this order: length, the email's
 * local part (case-insensitive, only when it has 3 characters or more; the
 * local part is what precedes the last '@'), then zxcvbn with the local part,
 * its pieces between '.', '_', '+' and '-', and user_words (a NULL-terminated
 * list such as the tenant's name and slug, or NULL) as words to penalise.
 * email may be NULL. zxcvbn reads the password up to its first NUL byte,
 * which can only make the estimate lower.
 */
enum password_weakness password_strength(
    const char *password, size_t len, const char *email, const char *const *user_words);

/* "too_short", "too_long", "too_guessable", "contains_email"; "ok" for STRONG. Never NULL. */
const char *password_weakness_reason(enum password_weakness);

#endif
