/*
 * Counters for /metrics in one shared memory mapping made before the fork,
 * so that every worker adds to the same numbers and any worker can answer
 * for all. Updates are relaxed atomic adds.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct metrics;

#define METRICS_ROUTES_MAX 128

/* A mapping shared with every child forked after it; NULL on failure. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *);

/* One request: route index (or -1 when no route matched), HTTP status, seconds. */
void metrics_request(struct metrics *, int route, int status, double seconds);
/* Where database errors are counted. */
unsigned long *metrics_db_errors(struct metrics *);
/* Counts one refusal by a rate limit. */
void metrics_rate_limited(struct metrics *);
/*
 * Records whether memcached answered (up 1) or not (0), in the state every
 * worker shares; 1 when this call changed it, so an outage and its end are
 * each logged once, whichever worker sees them first.
 */
int metrics_cache_state(struct metrics *, int up);

struct metrics_job_count {
	const char *status;
	long count;
};

/*
 * Prometheus text exposition into a malloc'd string (caller frees).
 * route_label(i) names route i ("GET /api/v1/x"), split into method and path.
 */
char *metrics_render(const struct metrics *, size_t nroutes, const char *(*route_method)(size_t),
    const char *(*route_path)(size_t), const struct metrics_job_count *jobs, size_t njobs);

#endif
