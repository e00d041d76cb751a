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
struct arena;

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

/*
 * The client's address: the peer (REMOTE_ADDR), or, when the peer is one of
 * the trusted proxies, the nearest hop of X-Forwarded-For that is not (read
 * from the right; a hop that is not an address stops the walk at the last
 * trusted one). NULL peer: NULL. The result is the peer, a hop copied into
 * the arena, or NULL.
 */
const char *ratelimit_client(
    struct arena *, const char *trusted, const char *peer, const char *forwarded_for);

/* Whether addr (IPv4 or IPv6) is in list ("ADDR[/BITS], ..."): 1 or 0. */
int ratelimit_addr_in(const char *list, const char *addr);

/* Whether list is a valid TRUSTED_PROXIES value: 1 or 0. */
int ratelimit_list_is_valid(const char *list);

#endif
