/* memcached through libmemcached (see cache.h). */
#include "cache.h"

#include <libmemcached/memcached.h>
#include <stdlib.h>

struct cache {
	memcached_st *memc;
};

struct cache *
cache_new(const char *servers)
{
	struct cache *c;
	memcached_server_st *list;

	if ((list = memcached_servers_parse(servers)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->memc = memcached_create(NULL)) == NULL)
		abort();
	memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
	memcached_behavior_set(
	    c->memc, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
	memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 200);
	memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 200);
	memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
	memcached_behavior_set(c->memc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	if (memcached_server_push(c->memc, list) != MEMCACHED_SUCCESS) {
		memcached_server_list_free(list);
		cache_free(c);
		return NULL;
	}
	memcached_server_list_free(list);
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
