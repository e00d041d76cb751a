/* Rate limits in memcached (see ratelimit.h). */
#include "ratelimit.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "app.h"
#include "cache.h"
#include "log.h"
#include "metrics.h"

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
