/* Form decoding (see form.h). */
#include "form.h"

#include <string.h>

#include "arena.h"
#include "validate.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes at s into the arena; NULL on a bad escape, a NUL or bad UTF-8. */
static char *
decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return NULL;
			if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			return NULL;
		else
			*o++ = s[i];
	}
	*o = '\0';
	return utf8_is_valid(out, (size_t)(o - out)) ? out : NULL;
}

int
form_parse(struct arena *a, const char *s, size_t len, struct form_pair *pairs, size_t max)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		const char *eq;
		size_t plen;

		if (i < len && s[i] != '&')
			continue;
		plen = i - start;
		if (plen > 0) {
			if (n == max)
				return -1;
			eq = memchr(s + start, '=', plen);
			pairs[n].name = decode(a, s + start, eq ? (size_t)(eq - s - start) : plen);
			pairs[n].value =
			    eq ? decode(a, eq + 1, plen - (size_t)(eq - s - start) - 1) : "";
			if (pairs[n].name == NULL || pairs[n].value == NULL)
				return -1;
			n++;
		}
		start = i + 1;
	}
	return (int)n;
}

const char *
form_get(const struct form_pair *pairs, size_t n, const char *name, int *dup)
{
	const char *found = NULL;
	size_t i;

	*dup = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(pairs[i].name, name) != 0)
			continue;
		if (found != NULL)
			*dup = 1;
		found = pairs[i].value;
	}
	return found;
}
