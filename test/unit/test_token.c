/*
 * lib/jwt: access tokens (jwt.h, API.md "Tokens"). The tokens of the negative
 * tests are written by hand here (base64url of a header and a payload, HMAC
 * from OpenSSL), not with libjwt, so that the tests do not share libjwt's
 * blind spots. Each hand-made token differs in one thing from one that the
 * baseline tests show to be accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"

#define Q(s) "\"" s "\""

#define SECRET "unit-test-secret-0123456789abcdefghij"
#define OTHER_SECRET "another-secret-0123456789abcdefghijkl"
#define ISS "https://auth.example.test"
#define AUD "saas-api"
#define USER "0b7e5f1c-3d2a-4c8e-9f10-2a3b4c5d6e7f"
#define SESSION "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
#define TENANT "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
#define SUPER "c0ffee00-1234-4567-89ab-cdef01234567"
#define JTI "e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9"
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

#define NOW 1700000000LL
#define TOKEN_BUF 8192

static const struct token_keys keys = {SECRET, sizeof(SECRET) - 1, ISS, AUD, 60};

/* A hand-made payload: raw JSON values, NULL (or "" for times) leaves a claim out. */
struct payload {
	const char *iss, *aud, *sub, *sid, *tid, *ten, *role, *token_use, *jti, *act;
	const char *extra; /* raw "key":value text appended as is */
	char iat[32], nbf[32], exp[32];
};

static void
set_time(char *dst, long long v)
{
	snprintf(dst, 32, "%lld", v);
}

static void
lobby(struct payload *p)
{
	memset(p, 0, sizeof(*p));
	p->iss = Q(ISS);
	p->aud = Q(AUD);
	p->sub = Q(USER);
	p->sid = Q(SESSION);
	p->token_use = Q("access");
	p->jti = Q(JTI);
	set_time(p->iat, NOW - 10);
	set_time(p->nbf, NOW - 10);
	set_time(p->exp, NOW + 890);
}

static void
tenant(struct payload *p)
{
	lobby(p);
	p->tid = Q(TENANT);
	p->ten = Q("acme");
	p->role = Q("admin");
}

static void
render(const struct payload *p, char *out, size_t n)
{
	const char *k[] = {"iss", "aud", "sub", "sid", "tid", "ten", "role", "token_use", "jti",
	    "act", "iat", "nbf", "exp"};
	const char *v[] = {p->iss, p->aud, p->sub, p->sid, p->tid, p->ten, p->role, p->token_use,
	    p->jti, p->act, p->iat, p->nbf, p->exp};
	size_t i, len;

	len = (size_t)snprintf(out, n, "{");
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (v[i] != NULL && v[i][0] != '\0')
			len += (size_t)snprintf(
			    out + len, n - len, "%s\"%s\":%s", len > 1 ? "," : "", k[i], v[i]);
	if (p->extra != NULL)
		len += (size_t)snprintf(out + len, n - len, ",%s", p->extra);
	snprintf(out + len, n - len, "}");
	assert_true(len + 1 < n);
}

static size_t
b64url(const void *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *b = in;
	unsigned long v;
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)b[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = t[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	out[o] = '\0';
	return o;
}

/* Appends "." and the base64url HMAC (md NULL: nothing) of what out holds. */
static void
append_signature(char *out, const EVP_MD *md, const char *key)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t len = strlen(out);

	if (md != NULL)
		assert_non_null(
		    HMAC(md, key, (int)strlen(key), (const unsigned char *)out, len, mac, &maclen));
	out[len++] = '.';
	b64url(mac, maclen, out + len);
}

/* base64url(header) "." base64url(payload) "." signature, into out[TOKEN_BUF]. */
static void
make(char *out, const char *header, const char *payload, const EVP_MD *md, const char *key)
{
	size_t len;

	assert_true(strlen(header) + strlen(payload) < TOKEN_BUF / 2);
	len = b64url(header, strlen(header), out);
	out[len++] = '.';
	b64url(payload, strlen(payload), out + len);
	append_signature(out, md, key);
}

static void
make_hs256(char *out, const struct payload *p)
{
	char json[TOKEN_BUF];

	render(p, json, sizeof(json));
	make(out, HS256_HEADER, json, EVP_sha256(), SECRET);
}

static enum app_err
verify_at(const struct payload *p, long long now, struct token_claims *out)
{
	char token[TOKEN_BUF];
	struct token_claims c;

	make_hs256(token, p);
	return token_verify(&keys, token, now, out != NULL ? out : &c);
}

static enum app_err
verify(const struct payload *p)
{
	return verify_at(p, NOW, NULL);
}

/* A properly signed lobby token of exactly target bytes, padded by a claim. */
static void
make_of_length(char *out, size_t target)
{
	char extra[TOKEN_BUF];
	struct payload p;
	size_t pad;

	for (pad = 0; pad < TOKEN_BUF / 2; pad++) {
		lobby(&p);
		snprintf(extra, sizeof(extra), "\"pad\":\"%*s\"", (int)pad, "");
		p.extra = extra;
		make_hs256(out, &p);
		if (strlen(out) == target)
			return;
	}
	fail_msg("no token of %zu bytes", target);
}

static struct token_claims
lobby_claims(void)
{
	struct token_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.sub, USER);
	strcpy(c.sid, SESSION);
	return c;
}

static struct token_claims
tenant_claims(void)
{
	struct token_claims c = lobby_claims();

	strcpy(c.tid, TENANT);
	strcpy(c.ten, "acme");
	strcpy(c.role, "owner");
	return c;
}

/* token_issue, then token_verify */

static void
issued_lobby_token_round_trips(void **state)
{
	struct token_claims c = lobby_claims(), out;
	long long before = time(NULL);
	char *token;

	(void)state;
	token = token_issue(&keys, &c, 900);
	assert_non_null(token);
	assert_true(c.iat >= before && c.iat <= time(NULL));
	assert_int_equal(c.nbf, c.iat);
	assert_int_equal(c.exp, c.iat + 900);
	assert_int_equal(token_verify(&keys, token, c.iat, &out), APP_OK);
	assert_string_equal(out.sub, USER);
	assert_string_equal(out.sid, SESSION);
	assert_string_equal(out.tid, "");
	assert_string_equal(out.ten, "");
	assert_string_equal(out.role, "");
	assert_string_equal(out.act_sub, "");
	assert_string_equal(out.jti, c.jti);
	assert_int_equal(out.iat, c.iat);
	assert_int_equal(out.nbf, c.nbf);
	assert_int_equal(out.exp, c.exp);
	free(token);
}

static void
issued_tenant_token_round_trips(void **state)
{
	struct token_claims c = tenant_claims(), out;
	char *token;

	(void)state;
	token = token_issue(&keys, &c, 60);
	assert_non_null(token);
	assert_int_equal(token_verify(&keys, token, c.iat + 30, &out), APP_OK);
	assert_string_equal(out.tid, TENANT);
	assert_string_equal(out.ten, "acme");
	assert_string_equal(out.role, "owner");
	assert_string_equal(out.act_sub, "");
	free(token);
}

static void
issued_impersonation_token_round_trips(void **state)
{
	struct token_claims c = tenant_claims(), out;
	char *token;

	(void)state;
	strcpy(c.act_sub, SUPER);
	token = token_issue(&keys, &c, 900);
	assert_non_null(token);
	assert_int_equal(token_verify(&keys, token, c.iat, &out), APP_OK);
	assert_string_equal(out.act_sub, SUPER);
	assert_string_equal(out.sub, USER);
	free(token);
}

static void
issued_token_has_hs256_jwt_header(void **state)
{
	struct token_claims c = lobby_claims();
	char header[64], *token;

	(void)state;
	token = token_issue(&keys, &c, 900);
	assert_non_null(token);
	b64url(HS256_HEADER, strlen(HS256_HEADER), header);
	assert_int_equal(strncmp(token, header, strlen(header)), 0);
	assert_int_equal(token[strlen(header)], '.');
	free(token);
}

static void
issued_jti_is_a_fresh_uuid_v4(void **state)
{
	struct token_claims a = lobby_claims(), b = lobby_claims();
	char *ta, *tb;

	(void)state;
	ta = token_issue(&keys, &a, 900);
	tb = token_issue(&keys, &b, 900);
	assert_non_null(ta);
	assert_non_null(tb);
	assert_int_equal(strlen(a.jti), 36);
	assert_int_equal(a.jti[14], '4');
	assert_non_null(strchr("89ab", a.jti[19]));
	assert_string_not_equal(a.jti, b.jti);
	free(ta);
	free(tb);
}

static void
issued_token_expires_after_ttl_and_leeway(void **state)
{
	struct token_claims c = lobby_claims(), out;
	char *token;

	(void)state;
	token = token_issue(&keys, &c, 900);
	assert_non_null(token);
	assert_int_equal(token_verify(&keys, token, c.exp + 60, &out), APP_OK);
	assert_int_equal(token_verify(&keys, token, c.exp + 61, &out), APP_ERR_TOKEN_EXPIRED);
	free(token);
}

static void
issue_refuses_bad_claims(void **state)
{
	struct token_claims c;

	(void)state;
	c = lobby_claims();
	strcpy(c.sub, "not-a-uuid");
	assert_null(token_issue(&keys, &c, 900));
	assert_string_equal(c.jti, ""); /* *c left alone */
	c = tenant_claims();
	c.role[0] = '\0'; /* a half tenant token */
	assert_null(token_issue(&keys, &c, 900));
	c = tenant_claims();
	strcpy(c.role, "superadmin");
	assert_null(token_issue(&keys, &c, 900));
	c = lobby_claims();
	strcpy(c.act_sub, "root");
	assert_null(token_issue(&keys, &c, 900));
}

static void
issue_refuses_bad_ttl(void **state)
{
	struct token_claims c = lobby_claims();

	(void)state;
	assert_null(token_issue(&keys, &c, 0));
	assert_null(token_issue(&keys, &c, -900));
	assert_null(token_issue(&keys, &c, TOKEN_TTL_MAX + 1));
}

static void
issue_refuses_short_secret(void **state)
{
	struct token_keys k = keys;
	struct token_claims c = lobby_claims();

	(void)state;
	k.secret = "0123456789abcdef0123456789abcde"; /* 31 bytes */
	k.secret_len = 31;
	assert_null(token_issue(&k, &c, 900));
}

/* Hand-made tokens that must pass: the baselines of every negative test */

static void
handmade_lobby_token_is_accepted(void **state)
{
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	assert_int_equal(verify_at(&p, NOW, &out), APP_OK);
	assert_string_equal(out.sub, USER);
	assert_string_equal(out.jti, JTI);
	assert_string_equal(out.tid, "");
	assert_int_equal(out.exp, NOW + 890);
}

static void
handmade_tenant_token_is_accepted(void **state)
{
	struct token_claims out;
	struct payload p;

	(void)state;
	tenant(&p);
	assert_int_equal(verify_at(&p, NOW, &out), APP_OK);
	assert_string_equal(out.tid, TENANT);
	assert_string_equal(out.ten, "acme");
	assert_string_equal(out.role, "admin");
}

static void
handmade_impersonation_token_is_accepted(void **state)
{
	struct token_claims out;
	struct payload p;

	(void)state;
	tenant(&p);
	p.act = "{" Q("sub") ":" Q(SUPER) "}";
	assert_int_equal(verify_at(&p, NOW, &out), APP_OK);
	assert_string_equal(out.act_sub, SUPER);
}

static void
header_without_typ_is_accepted(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"HS256\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_OK);
}

static void
token_of_4096_bytes_is_accepted(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;

	(void)state;
	make_of_length(token, 4096);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_OK);
}

/* Shape, refused before libjwt sees the token */

static void
null_token_is_refused(void **state)
{
	struct token_claims out;

	(void)state;
	assert_int_equal(token_verify(&keys, NULL, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
token_of_4097_bytes_is_refused(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;

	(void)state;
	make_of_length(token, 4097);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
two_parts_are_refused(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	make_hs256(token, &p);
	*strrchr(token, '.') = '\0';
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
four_parts_are_refused(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	make_hs256(token, &p);
	strcat(token, ".e30");
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
empty_signature_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, HS256_HEADER, json, NULL, NULL);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/*
 * The payload part spelled with '+' (standard base64) where base64url has
 * '-', and signed as written: only the alphabet check can refuse it.
 */
static void
characters_outside_base64url_are_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF], *dash;
	struct token_claims out;
	struct payload p;
	size_t len;

	(void)state;
	lobby(&p);
	p.extra = "\"pad\":\"~~~~~~\""; /* 0x7e7e7e encodes as "fn5-" */
	render(&p, json, sizeof(json));
	len = b64url(HS256_HEADER, strlen(HS256_HEADER), token);
	token[len++] = '.';
	b64url(json, strlen(json), token + len);
	assert_non_null(dash = strchr(token + len, '-'));
	*dash = '+';
	append_signature(token, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
base64_padding_is_refused(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	make_hs256(token, &p);
	strcat(token, "=");
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* Leftover bits set in the last character: a second spelling of the same bytes. */
static void
noncanonical_base64url_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF], *end;
	struct token_claims out;
	struct payload p;
	size_t len;

	(void)state;
	lobby(&p);
	p.extra = "\"pad\":\"x\"";
	render(&p, json, sizeof(json));
	assert_int_not_equal(strlen(json) % 3, 0);
	len = b64url(HS256_HEADER, strlen(HS256_HEADER), token);
	token[len++] = '.';
	len += b64url(json, strlen(json), token + len);
	end = &token[len - 1];
	assert_non_null(strchr("AEIMQUYcgkosw048", *end)); /* low two bits zero */
	*end = (char)(*end + 1);                           /* 'A' -> 'B' and so on */
	append_signature(token, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* Header and algorithm */

static void
alg_none_with_empty_signature_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"none\",\"typ\":\"JWT\"}", json, NULL, NULL);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
alg_none_with_signature_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"none\",\"typ\":\"JWT\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
hs384_with_same_secret_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", json, EVP_sha384(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
hs512_with_same_secret_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", json, EVP_sha512(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
rs256_header_with_hmac_signature_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* libjwt 1.10.2 compares alg case-insensitively and accepts this one. */
static void
alg_hs256_in_lowercase_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* libjwt 1.10.2 keeps the last of two "alg" members and accepts this one. */
static void
header_with_duplicate_alg_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"none\",\"alg\":\"HS256\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* libjwt 1.10.2 compares typ case-insensitively and accepts this one. */
static void
header_typ_other_than_jwt_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", json, EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
header_with_other_members_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}", json, EVP_sha256(),
	    SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* Signature: libjwt's HMAC comparison, with the key */

static void
hs256_signed_with_another_key_is_refused(void **state)
{
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, HS256_HEADER, json, EVP_sha256(), OTHER_SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
tampered_payload_is_refused(void **state)
{
	char token[TOKEN_BUF], forged[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;
	size_t len;

	(void)state;
	lobby(&p);
	make_hs256(token, &p);
	p.sub = Q(SUPER);
	render(&p, json, sizeof(json));
	len = b64url(HS256_HEADER, strlen(HS256_HEADER), forged);
	forged[len++] = '.';
	b64url(json, strlen(json), forged + len);
	strcat(forged, strrchr(token, '.')); /* the original's signature */
	assert_int_equal(token_verify(&keys, forged, NOW, &out), APP_ERR_INVALID_TOKEN);
}

/* libjwt skips the signature when the key is empty: the module must not. */
static void
empty_secret_is_refused(void **state)
{
	struct token_keys k = keys;
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	k.secret = "";
	k.secret_len = 0;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, HS256_HEADER, json, EVP_sha256(), OTHER_SECRET);
	assert_int_equal(token_verify(&k, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
secret_shorter_than_32_bytes_is_refused(void **state)
{
	struct token_keys k = keys;
	char token[TOKEN_BUF], json[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	k.secret = "0123456789abcdef0123456789abcde"; /* 31 bytes */
	k.secret_len = 31;
	lobby(&p);
	render(&p, json, sizeof(json));
	make(token, HS256_HEADER, json, EVP_sha256(), k.secret);
	assert_int_equal(token_verify(&k, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

static void
keys_without_issuer_or_audience_are_refused(void **state)
{
	struct token_keys k = keys;
	struct token_claims c = lobby_claims(), out;
	char token[TOKEN_BUF];
	struct payload p;

	(void)state;
	lobby(&p);
	make_hs256(token, &p);
	k.issuer = NULL;
	assert_int_equal(token_verify(&k, token, NOW, &out), APP_ERR_INVALID_TOKEN);
	assert_null(token_issue(&k, &c, 900));
	k = keys;
	k.audience = "";
	assert_int_equal(token_verify(&k, token, NOW, &out), APP_ERR_INVALID_TOKEN);
	assert_null(token_issue(&k, &c, 900));
}

/* Times */

static void
expired_beyond_leeway_is_token_expired(void **state)
{
	struct token_claims out;
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.iat, NOW - 1000);
	set_time(p.nbf, NOW - 1000);
	set_time(p.exp, NOW - 61);
	assert_int_equal(verify_at(&p, NOW, &out), APP_ERR_TOKEN_EXPIRED);
	assert_string_equal(out.sub, ""); /* nothing filled unless APP_OK */
}

static void
expired_within_leeway_is_accepted(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.iat, NOW - 1000);
	set_time(p.nbf, NOW - 1000);
	set_time(p.exp, NOW - 60);
	assert_int_equal(verify(&p), APP_OK);
}

static void
leeway_is_capped_at_60_seconds(void **state)
{
	struct token_keys k = keys;
	char token[TOKEN_BUF];
	struct token_claims out;
	struct payload p;

	(void)state;
	k.leeway = 3600;
	lobby(&p);
	set_time(p.iat, NOW - 1000);
	set_time(p.nbf, NOW - 1000);
	set_time(p.exp, NOW - 61);
	make_hs256(token, &p);
	assert_int_equal(token_verify(&k, token, NOW, &out), APP_ERR_TOKEN_EXPIRED);
}

static void
expired_with_wrong_audience_is_invalid_not_expired(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.aud = Q("other-api");
	set_time(p.exp, NOW - 61);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
nbf_in_future_beyond_leeway_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.nbf, NOW + 61);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
nbf_in_future_within_leeway_is_accepted(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.iat, NOW + 60);
	set_time(p.nbf, NOW + 60);
	assert_int_equal(verify(&p), APP_OK);
}

static void
iat_in_future_beyond_leeway_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.iat, NOW + 61);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_exp_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.exp[0] = '\0';
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_nbf_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.nbf[0] = '\0';
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_iat_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.iat[0] = '\0';
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* libjwt's jwt_get_grant_int() reads a string exp as 0, without an error. */
static void
exp_as_string_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	snprintf(p.exp, sizeof(p.exp), "\"%lld\"", NOW + 890);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
exp_as_real_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	snprintf(p.exp, sizeof(p.exp), "%lld.5", NOW + 890);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
exp_beyond_year_9999_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	set_time(p.exp, 9223372036854775807LL); /* exp + leeway would overflow */
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* Issuer, audience, kind */

static void
wrong_iss_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.iss = Q("https://evil.example.test");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_iss_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.iss = NULL;
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
wrong_aud_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.aud = Q("billing-api");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
aud_as_array_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.aud = "[" Q(AUD) "]";
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* Jansson refuses \u0000 unless asked (here and in libjwt); jwt.c checks too. */
static void
aud_with_embedded_nul_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.aud = Q(AUD "\\u0000x");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
token_use_refresh_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.token_use = Q("refresh");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_token_use_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.token_use = NULL;
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* Identifiers and the tenant triple */

static void
jti_not_uuid_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.jti = Q("1");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
sub_not_uuid_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.sub = Q("admin@example.test");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
sub_as_number_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.sub = "42";
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
missing_sid_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.sid = NULL;
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
tenant_role_superadmin_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.role = Q("superadmin");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
lobby_token_with_tid_but_no_ten_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.tid = Q(TENANT);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
lobby_token_with_ten_and_role_but_no_tid_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.tid = NULL;
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
tenant_claims_as_empty_strings_are_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.tid = Q("");
	p.ten = Q("");
	p.role = Q("");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
ten_not_a_slug_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.ten = Q("Acme Corp");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
act_as_string_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.act = Q(SUPER);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
act_sub_not_uuid_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.act = "{" Q("sub") ":" Q("root") "}";
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
act_with_other_members_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.act = "{" Q("sub") ":" Q(SUPER) "," Q("act") ":{" Q("sub") ":" Q(USER) "}}";
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

static void
ten_with_embedded_nul_is_refused(void **state)
{
	struct payload p;

	(void)state;
	tenant(&p);
	p.ten = Q("acme\\u0000");
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* Payload shape */

static void
duplicate_claim_is_refused(void **state)
{
	struct payload p;

	(void)state;
	lobby(&p);
	p.extra = Q("sub") ":" Q(SUPER);
	assert_int_equal(verify(&p), APP_ERR_INVALID_TOKEN);
}

/* libjwt 1.10.2 accepts a signed payload that is not an object. */
static void
payload_not_an_object_is_refused(void **state)
{
	char token[TOKEN_BUF];
	struct token_claims out;

	(void)state;
	make(token, HS256_HEADER, "[" Q(USER) "]", EVP_sha256(), SECRET);
	assert_int_equal(token_verify(&keys, token, NOW, &out), APP_ERR_INVALID_TOKEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(issued_lobby_token_round_trips),
	    cmocka_unit_test(issued_tenant_token_round_trips),
	    cmocka_unit_test(issued_impersonation_token_round_trips),
	    cmocka_unit_test(issued_token_has_hs256_jwt_header),
	    cmocka_unit_test(issued_jti_is_a_fresh_uuid_v4),
	    cmocka_unit_test(issued_token_expires_after_ttl_and_leeway),
	    cmocka_unit_test(issue_refuses_bad_claims),
	    cmocka_unit_test(issue_refuses_bad_ttl),
	    cmocka_unit_test(issue_refuses_short_secret),
	    cmocka_unit_test(handmade_lobby_token_is_accepted),
	    cmocka_unit_test(handmade_tenant_token_is_accepted),
	    cmocka_unit_test(handmade_impersonation_token_is_accepted),
	    cmocka_unit_test(header_without_typ_is_accepted),
	    cmocka_unit_test(token_of_4096_bytes_is_accepted),
	    cmocka_unit_test(null_token_is_refused),
	    cmocka_unit_test(token_of_4097_bytes_is_refused),
	    cmocka_unit_test(two_parts_are_refused),
	    cmocka_unit_test(four_parts_are_refused),
	    cmocka_unit_test(empty_signature_is_refused),
	    cmocka_unit_test(characters_outside_base64url_are_refused),
	    cmocka_unit_test(base64_padding_is_refused),
	    cmocka_unit_test(noncanonical_base64url_is_refused),
	    cmocka_unit_test(alg_none_with_empty_signature_is_refused),
	    cmocka_unit_test(alg_none_with_signature_is_refused),
	    cmocka_unit_test(hs384_with_same_secret_is_refused),
	    cmocka_unit_test(hs512_with_same_secret_is_refused),
	    cmocka_unit_test(rs256_header_with_hmac_signature_is_refused),
	    cmocka_unit_test(alg_hs256_in_lowercase_is_refused),
	    cmocka_unit_test(header_with_duplicate_alg_is_refused),
	    cmocka_unit_test(header_typ_other_than_jwt_is_refused),
	    cmocka_unit_test(header_with_other_members_is_refused),
	    cmocka_unit_test(hs256_signed_with_another_key_is_refused),
	    cmocka_unit_test(tampered_payload_is_refused),
	    cmocka_unit_test(empty_secret_is_refused),
	    cmocka_unit_test(secret_shorter_than_32_bytes_is_refused),
	    cmocka_unit_test(keys_without_issuer_or_audience_are_refused),
	    cmocka_unit_test(expired_beyond_leeway_is_token_expired),
	    cmocka_unit_test(expired_within_leeway_is_accepted),
	    cmocka_unit_test(leeway_is_capped_at_60_seconds),
	    cmocka_unit_test(expired_with_wrong_audience_is_invalid_not_expired),
	    cmocka_unit_test(nbf_in_future_beyond_leeway_is_refused),
	    cmocka_unit_test(nbf_in_future_within_leeway_is_accepted),
	    cmocka_unit_test(iat_in_future_beyond_leeway_is_refused),
	    cmocka_unit_test(missing_exp_is_refused),
	    cmocka_unit_test(missing_nbf_is_refused),
	    cmocka_unit_test(missing_iat_is_refused),
	    cmocka_unit_test(exp_as_string_is_refused),
	    cmocka_unit_test(exp_as_real_is_refused),
	    cmocka_unit_test(exp_beyond_year_9999_is_refused),
	    cmocka_unit_test(wrong_iss_is_refused),
	    cmocka_unit_test(missing_iss_is_refused),
	    cmocka_unit_test(wrong_aud_is_refused),
	    cmocka_unit_test(aud_as_array_is_refused),
	    cmocka_unit_test(aud_with_embedded_nul_is_refused),
	    cmocka_unit_test(token_use_refresh_is_refused),
	    cmocka_unit_test(missing_token_use_is_refused),
	    cmocka_unit_test(jti_not_uuid_is_refused),
	    cmocka_unit_test(sub_not_uuid_is_refused),
	    cmocka_unit_test(sub_as_number_is_refused),
	    cmocka_unit_test(missing_sid_is_refused),
	    cmocka_unit_test(tenant_role_superadmin_is_refused),
	    cmocka_unit_test(lobby_token_with_tid_but_no_ten_is_refused),
	    cmocka_unit_test(lobby_token_with_ten_and_role_but_no_tid_is_refused),
	    cmocka_unit_test(tenant_claims_as_empty_strings_are_refused),
	    cmocka_unit_test(ten_not_a_slug_is_refused),
	    cmocka_unit_test(act_as_string_is_refused),
	    cmocka_unit_test(act_sub_not_uuid_is_refused),
	    cmocka_unit_test(act_with_other_members_is_refused),
	    cmocka_unit_test(ten_with_embedded_nul_is_refused),
	    cmocka_unit_test(duplicate_claim_is_refused),
	    cmocka_unit_test(payload_not_an_object_is_refused),
	};

	return cmocka_run_group_tests_name("jwt", tests, NULL, NULL);
}
