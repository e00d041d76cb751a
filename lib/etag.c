/* Entity tags and If-Match (see etag.h). */
#include "etag.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "arena.h"
#include "validate.h"

char *
etag_make(struct arena *a, const char *id, const char *version)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char text[36 + 1 + 24], tag[ETAG_LEN + 1];
	long v;
	size_t i;

	if (id == NULL || !uuid_is_valid(id) || version == NULL ||
	    parse_long(version, 0, 0x7fffffffL, &v) != 0)
		return NULL;
	/* The id in one case, so that both spellings of it are one resource. */
	for (i = 0; id[i] != '\0'; i++)
		text[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] - 'A' + 'a' : id[i]);
	snprintf(text + i, sizeof(text) - i, ":%ld", v);
	SHA256((const unsigned char *)text, strlen(text), md);
	tag[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(tag + 1 + 2 * i, 3, "%02x", md[i]);
	tag[ETAG_LEN - 1] = '"';
	tag[ETAG_LEN] = '\0';
	return arena_strdup(a, tag);
}

/* etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3) */
static int
is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int
etag_if_match(const char *header, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p, *tag;
	int weak, match = 0;

	if (header == NULL)
		return 1;
	p = skip_ows(header);
	if (*p == '*')
		return *skip_ows(p + 1) == '\0' ? 1 : -1;
	/* #entity-tag: elements separated by commas, empty ones allowed. */
	for (;;) {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			return match;
		weak = strncmp(p, "W/", 2) == 0;
		if (weak)
			p += 2;
		tag = p;
		if (*p++ != '"')
			return -1;
		while (is_etagc((unsigned char)*p))
			p++;
		if (*p++ != '"')
			return -1;
		if (!weak && (size_t)(p - tag) == elen && memcmp(tag, etag, elen) == 0)
			match = 1;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return -1;
	}
}
