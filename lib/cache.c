/* memcached through libmemcached (see cache.h). */
#include "cache.h"

#include <libmemcached/memcached.h>
#include <stdlib.h>
#include <string.h>

struct cache {
	memcached_st *memc;
};

/* How the handle talks to the servers: each must take, or the handle is refused. */
static const struct {
	memcached_behavior_t what;
	uint64_t value;
} behaviors[] = {
    /* Counters: increments are right under either protocol (cache_count), but
     * the binary one is the one libmemcached's increment is well tested on. */
    {MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1},
    /* Several servers: a key lives on one, chosen on a ring, so adding or
     * losing a server moves only its share of the keys. */
    {MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA},
    /* A server that did not answer (within cache_new's timeout) is tried
     * again a second later. */
    {MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1},
    {MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
};

struct cache *
cache_new(const char *servers, long timeout_ms)
{
	struct cache *c;
	memcached_server_st *list;
	memcached_return_t rc;
	size_t i;

	if ((list = memcached_servers_parse(servers)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->memc = memcached_create(NULL)) == NULL)
		abort();
	rc = MEMCACHED_SUCCESS;
	for (i = 0; i < sizeof(behaviors) / sizeof(behaviors[0]) && rc == MEMCACHED_SUCCESS; i++)
		rc = memcached_behavior_set(c->memc, behaviors[i].what, behaviors[i].value);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(
		    c->memc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, (uint64_t)timeout_ms);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, (uint64_t)timeout_ms);
	if (rc == MEMCACHED_SUCCESS)
		rc = memcached_server_push(c->memc, list);
	memcached_server_list_free(list);
	if (rc != MEMCACHED_SUCCESS) {
		cache_free(c);
		return NULL;
	}
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	memcached_free(c->memc);
	free(c);
}

int
cache_ping(struct cache *c)
{
	static const char key[] = "saas:readyz";
	memcached_return_t rc;

	rc = memcached_set(c->memc, key, sizeof(key) - 1, "1", 1, 10, 0);
	return rc == MEMCACHED_SUCCESS ? 0 : -1;
}

int
cache_count(struct cache *c, const char *key, unsigned ttl, unsigned long *value)
{
	size_t len = strlen(key);
	uint64_t v;
	memcached_return_t rc;
	int tries;

	if (c == NULL)
		return -1;
	/* Increment; if absent, add 1; if another worker added it meanwhile, increment again. */
	for (tries = 0; tries < 2; tries++) {
		rc = memcached_increment(c->memc, key, len, 1, &v);
		if (rc == MEMCACHED_SUCCESS) {
			*value = (unsigned long)v;
			return 0;
		}
		if (rc != MEMCACHED_NOTFOUND)
			return -1;
		rc = memcached_add(c->memc, key, len, "1", 1, (time_t)ttl, 0);
		if (rc == MEMCACHED_SUCCESS) {
			*value = 1;
			return 0;
		}
		if (rc != MEMCACHED_NOTSTORED && rc != MEMCACHED_DATA_EXISTS)
			return -1;
	}
	return -1;
}
