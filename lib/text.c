/* Characters, white space and control characters of UTF-8 text (see text.h). */
#include "text.h"

#include <string.h>

static int
is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* The code point of the len bytes at s, one whole UTF-8 sequence. */
static unsigned long
decode(const unsigned char *s, size_t len)
{
	unsigned long cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	size_t i;

	for (i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* The length in bytes of the sequence that starts with lead byte c. */
static size_t
seq_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Unicode's White_Space property (PropList.txt). */
static int
is_space(unsigned long cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

size_t
text_length(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (!is_continuation((unsigned char)s[i]))
			count++;
	return count;
}

const char *
text_trim(const char *str, size_t *n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, end = *n, len, k;

	while (start < end && start + (len = seq_len(s[start])) <= end &&
	    is_space(decode(s + start, len)))
		start += len;
	while (end > start) {
		for (k = end - 1; k > start && is_continuation(s[k]); k--)
			;
		if (k + seq_len(s[k]) != end || !is_space(decode(s + k, end - k)))
			break;
		end = k;
	}
	*n = end - start;
	return str + start;
}

int
text_has_control(const char *str, size_t n, const char *allow)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	for (i = 0; i < n; i++) {
		/* C1 controls, U+0080..U+009F, are 0xc2 0x80..0x9f in UTF-8. */
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return 1;
		if ((s[i] < 0x20 || s[i] == 0x7f) && (s[i] == '\0' || strchr(allow, s[i]) == NULL))
			return 1;
	}
	return 0;
}
