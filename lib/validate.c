/* Pure checks of untrusted text (see validate.h). */
#include "validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || *s == '+' || *s == ' ' ||
	    (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "1", "yes", "on"};
	static const char *const no[] = {"false", "0", "no", "off"};
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
slug_is_wellformed(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 3 || n > 56 || s[0] < 'a' || s[0] > 'z' || !is_lower_alnum(s[n - 1]))
		return 0;
	for (i = 1; i < n - 1; i++) {
		if (s[i] == '-') {
			if (s[i + 1] == '-')
				return 0;
		} else if (!is_lower_alnum(s[i]))
			return 0;
	}
	return 1;
}

int
slug_is_reserved(const char *s)
{
	static const char *const reserved[] = {
	    "www",
	    "api",
	    "admin",
	    "app",
	    "public",
	    "static",
	    "assets",
	    "docs",
	    "mail",
	};
	size_t i;

	if (s == NULL || strncmp(s, "pg", 2) == 0)
		return 1;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(s, reserved[i]) == 0)
			return 1;
	return 0;
}

int
slug_is_allowed(const char *s)
{
	return slug_is_wellformed(s) && !slug_is_reserved(s);
}

int
role_is_valid(const char *s)
{
	return s != NULL &&
	    (strcmp(s, "owner") == 0 || strcmp(s, "admin") == 0 || strcmp(s, "member") == 0);
}

int
email_is_valid(const char *s)
{
	const char *at, *dot, *p;
	size_t n;

	if (s == NULL || (n = strlen(s)) < 3 || n > 254)
		return 0;
	at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' ||
		    *p == ';' || *p == '"' || *p == '\\')
			return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0' && strstr(at + 1, "..") == NULL &&
	    at[1] != '.';
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
uuid_is_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i]))
			return 0;
	}
	return 1;
}

int
request_id_is_valid(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= 64 ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
utf8_is_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* n decimal digits at s into *out, within [min, max]. 0 or -1. */
static int
digits(const char *s, size_t n, int min, int max, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v >= min && v <= max ? 0 : -1;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

int
rfc3339_is_valid(const char *s)
{
	int year, month, day, v;
	size_t n;

	/* YYYY-MM-DDTHH:MM:SS is 19 bytes, then fraction and offset. */
	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return 0;
	if (digits(s, 4, 1, 9999, &year) || digits(s + 5, 2, 1, 12, &month) ||
	    digits(s + 8, 2, 1, days_in_month(year, month), &day) || digits(s + 11, 2, 0, 23, &v) ||
	    digits(s + 14, 2, 0, 59, &v) || digits(s + 17, 2, 0, 60, &v))
		return 0;
	s += 19;
	if (*s == '.') {
		for (n = 1; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n == 1 || n > 10)
			return 0;
		s += n;
	}
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		return 1;
	return (s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':' &&
	    digits(s + 1, 2, 0, 15, &v) == 0 && digits(s + 4, 2, 0, 59, &v) == 0;
}

/* Whether s is one of the NULL-terminated words. */
static int
one_of(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

int
tenant_status_is_valid(const char *s)
{
	static const char *const statuses[] = {
	    "provisioning", "ready", "suspended", "deleting", "deleted", "failed", NULL};

	return one_of(s, statuses);
}

int
job_status_is_valid(const char *s)
{
	static const char *const statuses[] = {
	    "pending", "running", "succeeded", "failed", "dead", NULL};

	return one_of(s, statuses);
}
