/*
 * Rate limits (API.md, "Rate limits"): fixed windows counted in memcached,
 * one counter per limit, window and caller. The caller is the client
 * address, or the address and an email; both are keyed through an HMAC, so
 * no address or email reaches a memcached key and no client can shape one.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>

#include "err.h"

struct app;

enum ratelimit_kind {
	RATELIMIT_REQUEST,  /* every request, per address: RATE_LIMIT_PER_SECOND */
	RATELIMIT_LOGIN,    /* login and token, per address and email: LOGIN_RATE_LIMIT_PER_MINUTE */
	RATELIMIT_FORGOT,   /* forgot-password, per address and email: the same limit */
	RATELIMIT_REGISTER, /* register, per address: REGISTER_RATE_LIMIT_PER_HOUR */
};

/*
 * Counts one event of kind for addr (and email, for the per-email kinds;
 * compared without regard to case). APP_OK within the limit or when the
 * limit is 0; APP_ERR_RATE_LIMITED over it, with the seconds until the
 * window ends in *retry_after; with memcached unreachable, APP_OK when
 * RATE_LIMIT_FAIL_OPEN, else APP_ERR_SERVICE_UNAVAILABLE. An outage and its
 * end are logged once, saying which of the two the service does.
 */
enum app_err ratelimit_hit(struct app *, enum ratelimit_kind, const char *addr,
    const char *email, long *retry_after);

#endif
