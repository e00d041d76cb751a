/* Opaque tokens (see token.h): getrandom(2) for the bits, OpenSSL for SHA-256. */
#include "token.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "arena.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
token_random(struct arena *a)
{
	unsigned char r[33];	/* 32 random bytes, one zero byte of padding */
	char *out = arena_alloc(a, 45);
	size_t i, o = 0;

	if (getrandom(r, 32, 0) != 32)
		abort();	/* no entropy: never hand out a guessable token */
	r[32] = 0;
	for (i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	out[43] = '\0';		/* 256 bits need 43 characters */
	return out;
}

void
token_hash(const char *token, char out[TOKEN_HASH_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)token, strlen(token), md);
	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", md[i]);
}
