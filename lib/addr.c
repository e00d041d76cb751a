/* Client addresses and lists of trusted peers (see addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "arena.h"

/* An address as 16 bytes, IPv4 mapped into IPv6 (::ffff:a.b.c.d); 1 or 0. */
static int
addr_parse(const char *s, size_t n, unsigned char out[16])
{
	char text[ADDR_TEXT_MAX];
	struct in_addr v4;

	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 1;
	}
	return inet_pton(AF_INET6, text, out) == 1;
}

/*
 * One entry of a list, "ADDR" or "ADDR/BITS", into a network and a prefix
 * length counted in the 128 bits of addr_parse. 1 or 0.
 */
static int
entry_parse(const char *s, size_t n, unsigned char net[16], unsigned *bits)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	unsigned max, b = 0;
	size_t i;

	if (!addr_parse(s, alen, net))
		return 0;
	max = memchr(s, ':', alen) ? 128 : 32;
	if (slash == NULL) {
		*bits = 128;
		return 1;
	}
	if (n - alen < 2 || n - alen > 4)
		return 0;
	for (i = alen + 1; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		b = b * 10 + (unsigned)(s[i] - '0');
	}
	if (b > max)
		return 0;
	*bits = b + 128 - max;
	return 1;
}

static int
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

/* Calls fn on each entry of a comma- or space-separated list until it returns non-zero. */
static int
list_each(const char *list, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = list;
	int rc;

	while (*p != '\0') {
		size_t len;

		while (*p == ',' || *p == ' ')
			p++;
		if ((len = strcspn(p, ", ")) == 0)
			break;
		if ((rc = fn(p, len, arg)) != 0)
			return rc;
		p += len;
	}
	return 0;
}

static int
entry_matches(const char *s, size_t n, void *arg)
{
	unsigned char net[16];
	unsigned bits;

	return entry_parse(s, n, net, &bits) && prefix_equal(net, arg, bits);
}

static int
entry_invalid(const char *s, size_t n, void *arg)
{
	unsigned char net[16];
	unsigned bits;

	(void)arg;
	return !entry_parse(s, n, net, &bits);
}

int
addr_in_list(const char *list, const char *addr)
{
	unsigned char a[16];

	if (list == NULL || addr == NULL || !addr_parse(addr, strlen(addr), a))
		return 0;
	return list_each(list, entry_matches, a);
}

int
addr_list_is_valid(const char *list)
{
	return list_each(list, entry_invalid, NULL) == 0;
}

const char *
addr_client(
    struct arena *a, const char *trusted, const char *peer, const char *forwarded_for)
{
	const char *end, *seg, *start, *client = peer;
	char hop[ADDR_TEXT_MAX];
	unsigned char bin[16];

	if (peer == NULL || forwarded_for == NULL || !addr_in_list(trusted, peer))
		return peer;
	/* From the right: each hop was written by the one after it, trusted so far. */
	end = forwarded_for + strlen(forwarded_for);
	for (;;) {
		size_t n;

		for (seg = end; seg > forwarded_for && seg[-1] != ','; seg--)
			;
		for (start = seg; start < end && *start == ' '; start++)
			;
		for (n = (size_t)(end - start); n > 0 && start[n - 1] == ' '; n--)
			;
		if (!addr_parse(start, n, bin))
			return client;
		memcpy(hop, start, n);
		hop[n] = '\0';
		client = arena_strdup(a, hop);
		if (!addr_in_list(trusted, hop) || seg == forwarded_for)
			return client;
		end = seg - 1; /* the comma */
	}
	return client;
}
