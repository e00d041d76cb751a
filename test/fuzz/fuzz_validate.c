/*
 * The checks of untrusted text (lib/validate.c, lib/text.c, lib/etag.c):
 * slugs, emails, uuids, request ids, RFC 3339 times, numbers, booleans,
 * UTF-8, and If-Match values. Each is held to its grammar as validate.h
 * states it; an accepted request id is kept the way fcgi/serve.c keeps it.
 */
#include "fuzz.h"

#include <string.h>

#include "etag.h"
#include "text.h"
#include "validate.h"

static int
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ^[a-z][a-z0-9-]{1,54}[a-z0-9]$ without "--", as validate.h states it. */
static int
slug_grammar(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || n > 56 || !(s[0] >= 'a' && s[0] <= 'z') || !lower_alnum(s[n - 1]) ||
	    strstr(s, "--") != NULL)
		return 0;
	for (i = 1; i < n - 1; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
uuid_grammar(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23)
		        ? s[i] != '-'
		        : strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

static int
request_id_grammar(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static void
check_email(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (!email_is_valid(s))
		return;
	FUZZ_ASSERT(strlen(s) >= 3 && strlen(s) <= 254, "an email has 3..254 bytes");
	FUZZ_ASSERT(at != NULL && at > s && at - s <= 64 && strchr(at + 1, '@') == NULL,
	    "an email has one '@' after a local part of 1..64 bytes");
	FUZZ_ASSERT(strchr(at + 1, '.') != NULL && at[1] != '.' && strstr(at, "..") == NULL,
	    "an email's domain has a dot, no empty label first, no \"..\"");
	for (p = s; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p > ' ' && *p != 0x7f && strchr("<>,;\"\\", *p) == NULL,
		    "an email has no space, control or special byte");
}

static void
check_numbers(const char *s)
{
	long v;
	int b;

	if (parse_long(s, -1000, 1000, &v) == 0)
		FUZZ_ASSERT(v >= -1000 && v <= 1000, "a number within its bounds");
	if (parse_long(s, 0, 253402300799999999L, &v) == 0)
		FUZZ_ASSERT(v >= 0, "a non-negative number");
	if (parse_bool(s, &b) == 0)
		FUZZ_ASSERT(b == 0 || b == 1, "a boolean is 0 or 1");
}

static void
check_text(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *t;
	size_t i, chars = 0, n = size;

	if (!utf8_is_valid(s, size))
		return;
	for (i = 0; i < size; i++)
		chars += (data[i] & 0xc0) != 0x80;
	FUZZ_ASSERT(text_length(s, size) == chars, "a character per lead byte");
	t = text_trim(s, &n);
	FUZZ_ASSERT(t >= s && t + n <= s + size, "trimmed text lies within the text");
	FUZZ_ASSERT(utf8_is_valid(t, n), "trimmed text is still UTF-8");
	(void)text_has_control(s, size, "\t\n\r");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "\"0123456789abcdef0123456789abcdef\"";
	static char kept[65]; /* as struct request's request_id */
	char *s = fuzz_cstr(data, size);
	int m;

	FUZZ_ASSERT(slug_is_wellformed(s) == slug_grammar(s), "a slug is what the grammar says");
	if (slug_is_allowed(s))
		FUZZ_ASSERT(slug_grammar(s) && strncmp(s, "pg", 2) != 0 && strcmp(s, "www") != 0 &&
		        strcmp(s, "api") != 0 && strcmp(s, "admin") != 0,
		    "an allowed slug is well-formed and not reserved");
	FUZZ_ASSERT(uuid_is_valid(s) == uuid_grammar(s), "a uuid is 8-4-4-4-12 hex");
	if (request_id_is_valid(s))
		strcpy(kept, s); /* fcgi/serve.c: request_id() into req->request_id[65] */
	FUZZ_ASSERT(request_id_is_valid(s) == request_id_grammar(s),
	    "a request id is [A-Za-z0-9._-]{1,64}");
	check_email(s);
	if (rfc3339_is_valid(s))
		FUZZ_ASSERT(strlen(s) >= 20 && strlen(s) <= 35 && s[4] == '-' && s[7] == '-',
		    "an RFC 3339 time has its shape");
	check_numbers(s);
	if (role_is_valid(s) || tenant_status_is_valid(s) || job_status_is_valid(s))
		FUZZ_ASSERT(strlen(s) <= 12, "a role or status is a known word");
	check_text(data, size);
	m = etag_if_match(s, tag);
	FUZZ_ASSERT(m >= -1 && m <= 1, "If-Match holds, fails or is malformed");
	if (m == 1)
		FUZZ_ASSERT(strchr(s, '*') != NULL || strstr(s, tag) != NULL ||
		        strspn(s, " \t,") == strlen(s),
		    "If-Match holds for *, the tag, or an empty list");
	free(s);
	return 0;
}
