/*
 * Client addresses: IPv4 and IPv6 text, lists of trusted peers
 * ("ADDR[/BITS], ..."), and who the client is behind them. Pure functions.
 */
#ifndef ADDR_H
#define ADDR_H

struct arena;

/* Longest address text taken, with its NUL. */
#define ADDR_TEXT_MAX 64

/*
 * The client's address: the peer (REMOTE_ADDR), or, when the peer is one of
 * the trusted proxies, the nearest hop of X-Forwarded-For that is not (read
 * from the right; a hop that is not an address stops the walk at the last
 * trusted one). NULL peer: NULL. The result is the peer, a hop copied into
 * the arena, or NULL.
 */
const char *addr_client(
    struct arena *, const char *trusted, const char *peer, const char *forwarded_for);

/* Whether addr (IPv4 or IPv6) is in list ("ADDR[/BITS], ..."): 1 or 0. */
int addr_in_list(const char *list, const char *addr);

/* Whether list is a valid TRUSTED_PROXIES value: 1 or 0. */
int addr_list_is_valid(const char *list);

#endif
