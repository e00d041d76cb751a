/*
 * memcached through libmemcached: one handle per process, binary protocol,
 * short timeouts. The cache may speed things up or count (rate limits);
 * it never decides who is authenticated.
 */
#ifndef CACHE_H
#define CACHE_H

struct cache;

/*
 * A handle for a server list "host:port[,host:port...]"; a server that does
 * not connect or answer within timeout_ms costs a call at most that long.
 * NULL on a bad list.
 */
struct cache *cache_new(const char *servers, long timeout_ms);
void cache_free(struct cache *);

/* 0 when a server answers a round trip, -1 otherwise. */
int cache_ping(struct cache *);

/*
 * Adds one to the counter at key, making it 1 with a lifetime of ttl
 * seconds when absent (add, then increment: atomic on the server, right
 * under either protocol). The new value in *value; 0, or -1 when no server
 * answered as it should.
 */
int cache_count(struct cache *, const char *key, unsigned ttl, unsigned long *value);

#endif
