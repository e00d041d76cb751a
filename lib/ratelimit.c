/* Rate limits in memcached (see ratelimit.h). */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "cache.h"
#include "log.h"
#include "metrics.h"

/* ---- addresses ------------------------------------------------------ */

#define ADDR_TEXT_MAX 64

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
ratelimit_addr_in(const char *list, const char *addr)
{
	unsigned char a[16];

	if (list == NULL || addr == NULL || !addr_parse(addr, strlen(addr), a))
		return 0;
	return list_each(list, entry_matches, a);
}

int
ratelimit_list_is_valid(const char *list)
{
	return list_each(list, entry_invalid, NULL) == 0;
}

const char *
ratelimit_client(
    struct arena *a, const char *trusted, const char *peer, const char *forwarded_for)
{
	const char *end, *seg, *start, *client = peer;
	char hop[ADDR_TEXT_MAX];
	unsigned char bin[16];

	if (peer == NULL || forwarded_for == NULL || !ratelimit_addr_in(trusted, peer))
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
		if (!ratelimit_addr_in(trusted, hop) || seg == forwarded_for)
			return client;
		end = seg - 1; /* the comma */
	}
	return client;
}

/* ---- counting ------------------------------------------------------- */

struct limit {
	char tag;
	long period; /* seconds */
};

static const struct limit limits[] = {
    [RATELIMIT_REQUEST] = {'a', 1},
    [RATELIMIT_LOGIN] = {'l', 60},
    [RATELIMIT_FORGOT] = {'f', 60},
    [RATELIMIT_REGISTER] = {'r', 3600},
};

static long
limit_of(const struct config *cfg, enum ratelimit_kind kind)
{
	switch (kind) {
	case RATELIMIT_REQUEST:
		return cfg->rate_limit_per_second;
	case RATELIMIT_LOGIN:
	case RATELIMIT_FORGOT:
		return cfg->login_rate_limit_per_minute;
	case RATELIMIT_REGISTER:
		return cfg->register_rate_limit_per_hour;
	}
	return 0;
}

/*
 * "saas:rl:TAG:WINDOW:MAC", MAC the first 16 bytes of HMAC-SHA256 under
 * JWT_SECRET of the kind, the address and the email in lower case.
 */
static void
counter_key(const struct config *cfg, const struct limit *l, long window, const char *addr,
    const char *email, char *key, size_t keylen)
{
	unsigned char msg[1 + ADDR_TEXT_MAX + 1 + 256], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	size_t n = 0;
	int len;

	msg[n++] = (unsigned char)l->tag;
	for (; *addr != '\0' && n < 1 + ADDR_TEXT_MAX; addr++)
		msg[n++] = (unsigned char)*addr;
	msg[n++] = '\0';
	for (; email != NULL && *email != '\0' && n < sizeof(msg); email++)
		msg[n++] = (unsigned char)tolower((unsigned char)*email);
	if (HMAC(EVP_sha256(), cfg->jwt_secret, (int)strlen(cfg->jwt_secret), msg, n, mac,
	        &maclen) == NULL)
		maclen = 0; /* then every caller shares one counter: still limited */
	len = snprintf(key, keylen, "saas:rl:%c:%ld:", l->tag, window);
	for (i = 0; i < maclen && i < 16 && (size_t)len + 2 < keylen; i++)
		len += snprintf(key + len, keylen - (size_t)len, "%02x", mac[i]);
}

/* Logs the start and the end of a memcached outage, once each. */
static void
cache_state(struct app *app, int up)
{
	if (!metrics_cache_state(app->metrics, up))
		return;
	if (up)
		log_msg(LOG_INFO, NULL, "memcached answers again; rate limits are counted");
	else if (app->cfg.rate_limit_fail_open)
		log_msg(LOG_ERROR, NULL,
		    "memcached is unreachable; serving without rate limits until it is back"
		    " (RATE_LIMIT_FAIL_OPEN=true)");
	else
		log_msg(LOG_ERROR, NULL,
		    "memcached is unreachable; answering 503 where a rate limit applies until it"
		    " is back (RATE_LIMIT_FAIL_OPEN=false)");
}

enum app_err
ratelimit_hit(struct app *app, enum ratelimit_kind kind, const char *addr, const char *email,
    long *retry_after)
{
	const struct limit *l = &limits[kind];
	long max = limit_of(&app->cfg, kind);
	time_t now = time(NULL);
	unsigned long count;
	char key[128];

	if (max <= 0)
		return APP_OK;
	counter_key(&app->cfg, l, (long)(now / l->period), addr ? addr : "", email, key,
	    sizeof(key));
	/* The counter outlives its window by a second: clocks of workers differ a little. */
	if (cache_count(app->cache, key, (unsigned)l->period + 1, &count) == -1) {
		cache_state(app, 0);
		if (app->cfg.rate_limit_fail_open)
			return APP_OK;
		*retry_after = 5;
		return APP_ERR_SERVICE_UNAVAILABLE;
	}
	cache_state(app, 1);
	if (count <= (unsigned long)max)
		return APP_OK;
	metrics_rate_limited(app->metrics);
	*retry_after = l->period - (long)(now % l->period);
	return APP_ERR_RATE_LIMITED;
}
