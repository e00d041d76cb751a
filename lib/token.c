/*
 * Tokens (see token.h). Opaque tokens take getrandom(2) and SHA-256.
 * Access tokens: libjwt signs and compares the HMAC, nothing
 * more. What it would take on trust is checked here on the token's own
 * bytes: length, alphabet and header before libjwt sees the token, the
 * claims (parsed again, duplicates refused) after the signature matched.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include <jwt.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include "arena.h"
#include "token.h"
#include "validate.h"

/* Decoded header or payload: at most 3/4 of a whole token. */
#define PART_MAX (TOKEN_JWT_MAX / 4 * 3)

static const char *const roles[] = {"owner", "admin", "member"};

static int
keys_ok(const struct token_keys *k)
{
	return k != NULL && k->secret != NULL && k->secret_len >= TOKEN_SECRET_MIN &&
	    k->secret_len <= INT_MAX && k->issuer != NULL && k->issuer[0] != '\0' &&
	    k->audience != NULL && k->audience[0] != '\0';
}

static long long
leeway(const struct token_keys *k)
{
	if (k->leeway < 0)
		return 0;
	return k->leeway > TOKEN_LEEWAY_MAX ? TOKEN_LEEWAY_MAX : k->leeway;
}

static int
role_ok(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i]) == 0)
			return 1;
	return 0;
}

/* The rules shared by issue and verify; jti and times are checked apart. */
static int
claims_ok(const struct token_claims *c)
{
	int tenant = c->tid[0] != '\0', slug = c->ten[0] != '\0', role = c->role[0] != '\0';

	if (!uuid_is_valid(c->sub) || !uuid_is_valid(c->sid))
		return 0;
	if (c->act_sub[0] != '\0' && !uuid_is_valid(c->act_sub))
		return 0;
	if (tenant != slug || tenant != role)
		return 0;
	return !tenant || (uuid_is_valid(c->tid) && slug_is_wellformed(c->ten) && role_ok(c->role));
}

int
token_uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

static json_t *
claims_to_json(const struct token_keys *k, const struct token_claims *c)
{
	json_t *o;
	int rc = 0;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", k->issuer, "aud",
	    k->audience, "sub", c->sub, "sid", c->sid, "token_use", "access", "iat",
	    (json_int_t)c->iat, "nbf", (json_int_t)c->nbf, "exp", (json_int_t)c->exp, "jti",
	    c->jti);
	if (o == NULL)
		return NULL;
	if (c->tid[0] != '\0') {
		rc |= json_object_set_new(o, "tid", json_string(c->tid));
		rc |= json_object_set_new(o, "ten", json_string(c->ten));
		rc |= json_object_set_new(o, "role", json_string(c->role));
	}
	if (c->act_sub[0] != '\0')
		rc |= json_object_set_new(o, "act", json_pack("{s:s}", "sub", c->act_sub));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
token_issue(const struct token_keys *k, struct token_claims *c, long ttl)
{
	const unsigned char *key;
	struct token_claims t;
	jwt_t *jwt = NULL;
	json_t *claims = NULL;
	char *json = NULL, *token = NULL;

	if (c == NULL || !keys_ok(k) || ttl < 1 || ttl > TOKEN_TTL_MAX || !claims_ok(c))
		goto out;
	key = (const unsigned char *)k->secret;
	t = *c;
	if (token_uuid(t.jti) == -1)
		goto out;
	t.iat = t.nbf = (long long)time(NULL);
	t.exp = t.iat + ttl;
	if ((claims = claims_to_json(k, &t)) == NULL ||
	    (json = json_dumps(claims, JSON_COMPACT)) == NULL)
		goto out;
	if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, json) != 0)
		goto out;
	if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)k->secret_len) != 0)
		goto out;
	if ((token = jwt_encode_str(jwt)) == NULL)
		goto out;
	if (strlen(token) > TOKEN_JWT_MAX) {
		free(token);
		token = NULL;
		goto out;
	}
	*c = t;
out:
	jwt_free(jwt);
	free(json);
	json_decref(claims);
	return token;
}

static int
b64url_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

/*
 * Length, alphabet and three non-empty parts, before anything parses the
 * token. Sets the lengths of the header and payload parts. 0 or -1.
 */
static int
token_shape(const char *token, size_t *hlen, size_t *plen)
{
	size_t n, i, parts = 0, start = 0, len[3];

	if (token == NULL || (n = strnlen(token, TOKEN_JWT_MAX + 1)) > TOKEN_JWT_MAX)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && token[i] != '.') {
			if (b64url_value(token[i]) == -1)
				return -1;
			continue;
		}
		if (parts == 3 || i == start || (i - start) % 4 == 1)
			return -1;
		len[parts++] = i - start;
		start = i + 1;
	}
	if (parts != 3)
		return -1;
	*hlen = len[0];
	*plen = len[1];
	return 0;
}

/* Unpadded base64url (alphabet already checked) into out. Length or -1. */
static long
b64url_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 6) | (unsigned long)b64url_value(s[i]);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	/* Leftover bits must be zero: one encoding per byte string. */
	if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

/* A part's JSON object, duplicate keys refused; NULL if it is anything else. */
static json_t *
part_object(const char *s, size_t n)
{
	unsigned char buf[PART_MAX];
	json_error_t e;
	json_t *o;
	long len;

	if (n > TOKEN_JWT_MAX || (len = b64url_decode(s, n, buf)) < 0)
		return NULL;
	o = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, &e);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Exactly {"alg": "HS256"} with an optional "typ": "JWT". 0 or -1. */
static int
header_ok(const char *s, size_t n)
{
	json_t *h, *typ;
	int rc = -1;

	if ((h = part_object(s, n)) == NULL)
		return -1;
	typ = json_object_get(h, "typ");
	if (json_object_size(h) == (typ == NULL ? 1u : 2u) &&
	    json_is_string(json_object_get(h, "alg")) &&
	    strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0 &&
	    (typ == NULL || (json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0)))
		rc = 0;
	json_decref(h);
	return rc;
}

/* libjwt's HMAC check, always with the key (a NULL or empty key skips it). */
static int
signature_ok(const struct token_keys *k, const char *token)
{
	jwt_t *jwt = NULL;
	int rc = -1;

	if (jwt_decode(&jwt, token, (const unsigned char *)k->secret, (int)k->secret_len) == 0 &&
	    jwt_get_alg(jwt) == JWT_ALG_HS256)
		rc = 0;
	jwt_free(jwt);
	return rc;
}

/*
 * Copies the string claim key of o into dst (size n). Absent gives "" when
 * optional. Refused: another type, "", too long, an embedded NUL. 0 or -1.
 */
static int
str_claim(const json_t *o, const char *key, char *dst, size_t n, int required)
{
	json_t *v = json_object_get(o, key);
	size_t len;

	dst[0] = '\0';
	if (v == NULL)
		return required ? -1 : 0;
	if (!json_is_string(v) || (len = json_string_length(v)) == 0 || len >= n ||
	    memchr(json_string_value(v), '\0', len) != NULL)
		return -1;
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

/* Whether the string claim key of o is exactly want. */
static int
str_claim_is(const json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) == strlen(want) &&
	    strcmp(json_string_value(v), want) == 0;
}

/* A required integer time in [0, TOKEN_TIME_MAX]. 0 or -1. */
static int
time_claim(const json_t *o, const char *key, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > TOKEN_TIME_MAX)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int
act_claim(const json_t *o, struct token_claims *c)
{
	json_t *act = json_object_get(o, "act");

	c->act_sub[0] = '\0';
	if (act == NULL)
		return 0;
	if (!json_is_object(act) || json_object_size(act) != 1)
		return -1;
	return str_claim(act, "sub", c->act_sub, sizeof(c->act_sub), 1);
}

static enum app_err
claims_read(const struct token_keys *k, const json_t *p, long long now, struct token_claims *c)
{
	if (!str_claim_is(p, "iss", k->issuer) || !str_claim_is(p, "aud", k->audience) ||
	    !str_claim_is(p, "token_use", "access"))
		return APP_ERR_INVALID_TOKEN;
	if (str_claim(p, "sub", c->sub, sizeof(c->sub), 1) == -1 ||
	    str_claim(p, "sid", c->sid, sizeof(c->sid), 1) == -1 ||
	    str_claim(p, "jti", c->jti, sizeof(c->jti), 1) == -1 ||
	    str_claim(p, "tid", c->tid, sizeof(c->tid), 0) == -1 ||
	    str_claim(p, "ten", c->ten, sizeof(c->ten), 0) == -1 ||
	    str_claim(p, "role", c->role, sizeof(c->role), 0) == -1 || act_claim(p, c) == -1)
		return APP_ERR_INVALID_TOKEN;
	if (!claims_ok(c) || !uuid_is_valid(c->jti))
		return APP_ERR_INVALID_TOKEN;
	if (time_claim(p, "iat", &c->iat) == -1 || time_claim(p, "nbf", &c->nbf) == -1 ||
	    time_claim(p, "exp", &c->exp) == -1)
		return APP_ERR_INVALID_TOKEN;
	if (c->iat > now + leeway(k) || c->nbf > now + leeway(k))
		return APP_ERR_INVALID_TOKEN;
	/* Last: expired means valid in every other way. */
	if (now > c->exp + leeway(k))
		return APP_ERR_TOKEN_EXPIRED;
	return APP_OK;
}

enum app_err
token_verify(const struct token_keys *k, const char *token, long long now, struct token_claims *out)
{
	struct token_claims c;
	json_t *payload = NULL;
	enum app_err rc = APP_ERR_INVALID_TOKEN;
	size_t hlen, plen;

	memset(&c, 0, sizeof(c));
	if (out == NULL)
		goto out;
	memset(out, 0, sizeof(*out));
	if (!keys_ok(k) || now < 0 || now > TOKEN_TIME_MAX)
		goto out;
	if (token_shape(token, &hlen, &plen) == -1 || header_ok(token, hlen) == -1)
		goto out;
	if (signature_ok(k, token) == -1)
		goto out;
	if ((payload = part_object(token + hlen + 1, plen)) == NULL)
		goto out;
	if ((rc = claims_read(k, payload, now, &c)) == APP_OK)
		*out = c;
out:
	json_decref(payload);
	return rc;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
token_random(struct arena *a)
{
	unsigned char r[33]; /* 32 random bytes, one zero byte of padding */
	char *out = arena_alloc(a, 45);
	size_t i, o = 0;

	if (getrandom(r, 32, 0) != 32)
		abort(); /* no entropy: never hand out a guessable token */
	r[32] = 0;
	for (i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];

		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	out[43] = '\0'; /* 256 bits need 43 characters */
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
