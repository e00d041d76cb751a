/*
 * The access token verifier (lib/token.c): token_verify() with fixed keys
 * at a fixed time. The first byte picks what the rest is:
 *   0  a whole token, as a client sends it;
 *   1  the claims (JSON text), sent with the header {"alg":"HS256","typ":"JWT"}
 *      and signed here with the key, so the claims checks are reached;
 *   2  a header and the claims (JSON texts), separated by the first
 *      newline, signed here with the key, so the header checks are reached.
 * Whatever token_verify() accepts must carry this key's HMAC-SHA256, a
 * pinned header, and claims that hold at that time.
 */
#include "fuzz.h"

#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"
#include "validate.h"

#define SECRET "fuzz-secret-of-thirty-two-bytes!"
#define NOW 1700000000LL
#define LEEWAY 30

static const struct token_keys keys = {SECRET, sizeof(SECRET) - 1, "saas-fcgi", "saas-api", LEEWAY};

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* n bytes at s as unpadded base64url at out (room for 4 * n / 3 + 4); returns the end. */
static char *
encode(char *out, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*out++ = b64url[s[i] >> 2];
		*out++ = b64url[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*out++ = b64url[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		*out++ = b64url[s[i + 2] & 63];
	}
	if (n - i == 1) {
		*out++ = b64url[s[i] >> 2];
		*out++ = b64url[(s[i] & 3) << 4];
	} else if (n - i == 2) {
		*out++ = b64url[s[i] >> 2];
		*out++ = b64url[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*out++ = b64url[(s[i + 1] & 15) << 2];
	}
	*out = '\0';
	return out;
}

/* The signature part for the n bytes of header.payload at s, at out. */
static char *
sign(char *out, const char *s, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), SECRET, sizeof(SECRET) - 1, (const unsigned char *)s, n, md,
	        &mdlen) == NULL)
		abort();
	return encode(out, md, mdlen);
}

/* A token of header and claims (JSON texts), signed with the key, from malloc. */
static char *
token_make(const uint8_t *h, size_t hlen, const uint8_t *c, size_t clen)
{
	char *t = malloc(4 * (hlen + clen) / 3 + 64), *o;

	if (t == NULL)
		abort();
	o = encode(t, h, hlen);
	*o++ = '.';
	o = encode(o, c, clen);
	*o = '.';
	sign(o + 1, t, (size_t)(o - t));
	return t;
}

/* What an accepted (or only expired) token must be. */
static void
check_accepted(const char *token, const struct token_claims *c, enum app_err err)
{
	const char *dot2 = strrchr(token, '.');
	char sig[64];

	FUZZ_ASSERT(dot2 != NULL, "an accepted token has its parts");
	sign(sig, token, (size_t)(dot2 - token));
	FUZZ_ASSERT(strcmp(sig, dot2 + 1) == 0, "an accepted token carries the key's HMAC");
	FUZZ_ASSERT(strlen(token) <= TOKEN_JWT_MAX, "an accepted token is not too long");
	if (err != APP_OK)
		return;
	FUZZ_ASSERT(uuid_is_valid(c->sub) && uuid_is_valid(c->sid) && uuid_is_valid(c->jti),
	    "sub, sid and jti are uuids");
	FUZZ_ASSERT((c->tid[0] == '\0') == (c->ten[0] == '\0') &&
	        (c->tid[0] == '\0') == (c->role[0] == '\0'),
	    "tid, ten and role all or none");
	FUZZ_ASSERT(c->tid[0] == '\0' ||
	        (uuid_is_valid(c->tid) && slug_is_wellformed(c->ten) && role_is_valid(c->role)),
	    "a tenant token's claims are well-formed");
	FUZZ_ASSERT(c->act_sub[0] == '\0' || uuid_is_valid(c->act_sub), "act.sub is a uuid");
	FUZZ_ASSERT(c->iat <= NOW + LEEWAY && c->nbf <= NOW + LEEWAY, "issued, not before now");
	FUZZ_ASSERT(NOW <= c->exp + LEEWAY, "not expired");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	static const struct token_claims zero;
	struct token_claims c;
	const uint8_t *nl;
	char *token;
	enum app_err err;

	if (size < 1 || size > 2 * TOKEN_JWT_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		token = fuzz_cstr(data + 1, size - 1);
		break;
	case 1:
		token = token_make((const uint8_t *)header, sizeof(header) - 1, data + 1, size - 1);
		break;
	default:
		if ((nl = memchr(data + 1, '\n', size - 1)) == NULL)
			return 0;
		token = token_make(
		    data + 1, (size_t)(nl - data - 1), nl + 1, size - (size_t)(nl + 1 - data));
		break;
	}
	memset(&c, 0xa5, sizeof(c));
	err = token_verify(&keys, token, NOW, &c);
	if (err == APP_OK || err == APP_ERR_TOKEN_EXPIRED)
		check_accepted(token, &c, err);
	else
		FUZZ_ASSERT(err == APP_ERR_INVALID_TOKEN, "OK, TOKEN_EXPIRED or INVALID_TOKEN");
	if (err != APP_OK)
		FUZZ_ASSERT(memcmp(&c, &zero, sizeof(c)) == 0, "claims are zero unless OK");
	free(token);
	return 0;
}
