/*
 * Tokens. Opaque one-time tokens (email verification, password reset,
 * invites, refresh) are 256 random bits in base64url; only their SHA-256
 * reaches the database. Access tokens are HS256 JSON Web Tokens (API.md
 * "Tokens"), signed and checked with libjwt 1.10.2. Pure: no database;
 * revocation and tokens_valid_after are the caller's business.
 *
 * libjwt 1.10 validates nothing but the signature, and only when it is given
 * a key: it takes the algorithm from the token's header, never looks at
 * exp/nbf, and alloca()s on the token's length. token_verify() therefore
 * checks the token's shape and header itself before libjwt sees it, always
 * passes the key, pins HS256, and parses and type-checks every claim with
 * Jansson.
 *
 * Claims: iss, aud (a string), sub, sid, token_use "access", iat, nbf, exp,
 * jti; tid, ten and role all three for a tenant token, none for a lobby
 * token; act {"sub": id} while a superuser impersonates.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

#include "err.h"

struct arena;

#define TOKEN_HASH_HEX (2 + 64 + 1) /* "\\x" + 64 hex digits + NUL */

/* 32 random bytes as unpadded base64url (43 characters), in the arena. */
char *token_random(struct arena *);

/* SHA-256 of token as a bytea literal "\\x<hex>" for a bound parameter. */
void token_hash(const char *token, char out[TOKEN_HASH_HEX]);

/* A random version 4 UUID in lowercase. 0, or -1 when no randomness. */
int token_uuid(char out[37]);

#define TOKEN_JWT_MAX 4096            /* bytes; longer tokens are refused unread */
#define TOKEN_SECRET_MIN 32           /* bytes of HMAC key */
#define TOKEN_LEEWAY_MAX 60           /* seconds */
#define TOKEN_TTL_MAX 86400           /* seconds */
#define TOKEN_TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

struct token_keys {
	const char *secret; /* HMAC key, at least TOKEN_SECRET_MIN bytes */
	size_t secret_len;
	const char *issuer;   /* iss, non-empty */
	const char *audience; /* aud, non-empty */
	long leeway;          /* clock skew allowed, seconds; clamped to [0, 60] */
};

/*
 * Identifiers are 8-4-4-4-12 hexadecimal (validate.h uuid_is_valid), ten a
 * well-formed slug (slug_is_wellformed). "" means absent.
 */
struct token_claims {
	char sub[37];            /* user id */
	char sid[37];            /* session id */
	char tid[37];            /* tenant id, "" for a lobby token */
	char ten[57];            /* tenant slug, "" for a lobby token */
	char role[16];           /* owner, admin or member; "" for a lobby token */
	char act_sub[37];        /* impersonating superuser's id, "" when not */
	char jti[37];            /* token id, random uuid v4 */
	long long iat, nbf, exp; /* seconds since the epoch */
};

/*
 * Signs an access token valid from now (time(NULL)) for ttl seconds, ttl in
 * [1, TOKEN_TTL_MAX]. Reads sub, sid, tid, ten, role and act_sub from *c (sub
 * and sid required; tid, ten and role all set or all ""); on success also
 * fills c->iat, c->nbf (both now), c->exp and c->jti. Returns a
 * NUL-terminated token from malloc (the caller frees it), or NULL for bad
 * keys, bad claims, a bad ttl or a library failure, leaving *c unchanged.
 */
char *token_issue(const struct token_keys *k, struct token_claims *c, long ttl);

/*
 * Verifies token completely against k at time now (seconds since the epoch):
 * shape, header (alg exactly "HS256", typ absent or exactly "JWT", no other
 * member), signature, and every claim's presence, type and value. Returns
 *   APP_OK                 *out filled;
 *   APP_ERR_TOKEN_EXPIRED  valid in every way, but now > exp + leeway;
 *   APP_ERR_INVALID_TOKEN  anything else, including bad k or a NULL token.
 * Unless APP_OK, *out is all zeroes. Unknown claims are ignored.
 */
enum app_err token_verify(
    const struct token_keys *k, const char *token, long long now, struct token_claims *out);

#endif
