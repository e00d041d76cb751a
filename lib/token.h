/*
 * Tokens. Opaque one-time tokens (email verification, password reset,
 * invites, refresh) are 256 random bits in base64url; only their SHA-256
 * reaches the database.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

struct arena;

#define TOKEN_HASH_HEX (2 + 64 + 1)	/* "\x" + 64 hex digits + NUL */

/* 32 random bytes as unpadded base64url (43 characters), in the arena. */
char *token_random(struct arena *);

/* SHA-256 of token as a bytea literal "\x<hex>" for a bound parameter. */
void token_hash(const char *token, char out[TOKEN_HASH_HEX]);

#endif
