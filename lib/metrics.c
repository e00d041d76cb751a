/*
 * /metrics counters in a MAP_SHARED mapping made by the master before it
 * forks, so every worker adds to the same numbers (relaxed atomic adds) and
 * any worker can render the sum. Only integers live there: durations are
 * kept in microseconds.
 */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static const int statuses[] = {
    200,
    201,
    202,
    204,
    301,
    302,
    304,
    400,
    401,
    403,
    404,
    405,
    409,
    410,
    412,
    413,
    415,
    422,
    429,
    500,
    502,
    503,
    504,
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds of the duration histogram, in microseconds. */
static const unsigned long bounds_us[] = {
    1000,
    5000,
    10000,
    25000,
    50000,
    100000,
    250000,
    500000,
    1000000,
    2500000,
    5000000,
    10000000,
};
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

struct metrics {
	/* Row METRICS_ROUTES_MAX is "no route"; column NSTATUS is "other". */
	unsigned long requests[METRICS_ROUTES_MAX + 1][NSTATUS + 1];
	unsigned long buckets[NBOUNDS + 1];
	unsigned long duration_us_sum;
	unsigned long db_errors;
	unsigned long rate_limited;
	int cache_down; /* whether the last call to memcached failed */
};

struct metrics *
metrics_new(void)
{
	void *p = mmap(NULL, sizeof(struct metrics), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p; /* the kernel zeroes it */
}

void
metrics_free(struct metrics *m)
{
	if (m != NULL)
		munmap(m, sizeof(*m));
}

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS;
}

static void
add(unsigned long *counter, unsigned long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static unsigned long
get(const unsigned long *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void
metrics_request(struct metrics *m, int route, int status, double seconds)
{
	unsigned long us = seconds <= 0 ? 0 : (unsigned long)(seconds * 1e6);
	size_t r = route < 0 || route >= METRICS_ROUTES_MAX ? METRICS_ROUTES_MAX : (size_t)route;
	size_t b;

	if (m == NULL)
		return;
	add(&m->requests[r][status_index(status)], 1);
	for (b = 0; b < NBOUNDS && us > bounds_us[b]; b++)
		;
	add(&m->buckets[b], 1);
	add(&m->duration_us_sum, us);
}

unsigned long *
metrics_db_errors(struct metrics *m)
{
	return m ? &m->db_errors : NULL;
}

void
metrics_rate_limited(struct metrics *m)
{
	if (m != NULL)
		add(&m->rate_limited, 1);
}

int
metrics_cache_state(struct metrics *m, int up)
{
	int down = !up;

	if (m == NULL)
		return 0;
	if (__atomic_load_n(&m->cache_down, __ATOMIC_RELAXED) == down)
		return 0;
	return __atomic_exchange_n(&m->cache_down, down, __ATOMIC_RELAXED) != down;
}

static void
render_requests(FILE *f, const struct metrics *m, size_t nroutes,
    const char *(*route_method)(size_t), const char *(*route_path)(size_t))
{
	size_t r, s;

	fputs("# HELP saas_http_requests_total Requests answered, by route, method and status.\n"
	      "# TYPE saas_http_requests_total counter\n",
	    f);
	for (r = 0; r <= METRICS_ROUTES_MAX; r++) {
		int none = r == METRICS_ROUTES_MAX;

		if (!none && r >= nroutes)
			continue;
		for (s = 0; s <= NSTATUS; s++) {
			unsigned long n = get(&m->requests[r][s]);
			char status[8];

			if (n == 0)
				continue;
			if (s < NSTATUS)
				snprintf(status, sizeof(status), "%d", statuses[s]);
			else
				snprintf(status, sizeof(status), "other");
			fprintf(f,
			    "saas_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} "
			    "%lu\n",
			    none ? "any" : route_method(r), none ? "none" : route_path(r), status,
			    n);
		}
	}
}

static void
render_durations(FILE *f, const struct metrics *m)
{
	unsigned long cumulative = 0;
	size_t b;

	fputs("# HELP saas_http_request_duration_seconds Time from the first byte read to the last "
	      "written.\n"
	      "# TYPE saas_http_request_duration_seconds histogram\n",
	    f);
	for (b = 0; b < NBOUNDS; b++) {
		cumulative += get(&m->buckets[b]);
		fprintf(f, "saas_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
		    bounds_us[b] / 1e6, cumulative);
	}
	cumulative += get(&m->buckets[NBOUNDS]);
	fprintf(f, "saas_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cumulative);
	fprintf(f, "saas_http_request_duration_seconds_sum %.6f\n", get(&m->duration_us_sum) / 1e6);
	fprintf(f, "saas_http_request_duration_seconds_count %lu\n", cumulative);
}

char *
metrics_render(const struct metrics *m, size_t nroutes, const char *(*route_method)(size_t),
    const char *(*route_path)(size_t), const struct metrics_job_count *jobs, size_t njobs)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	render_requests(f, m, nroutes, route_method, route_path);
	render_durations(f, m);
	fputs("# HELP saas_jobs Jobs in the outbox, by status.\n"
	      "# TYPE saas_jobs gauge\n",
	    f);
	for (i = 0; i < njobs; i++)
		fprintf(f, "saas_jobs{status=\"%s\"} %ld\n", jobs[i].status, jobs[i].count);
	fprintf(f,
	    "# HELP saas_db_errors_total Failed database calls.\n"
	    "# TYPE saas_db_errors_total counter\n"
	    "saas_db_errors_total %lu\n"
	    "# HELP saas_rate_limited_total Requests refused by a rate limit.\n"
	    "# TYPE saas_rate_limited_total counter\n"
	    "saas_rate_limited_total %lu\n"
	    "# HELP saas_cache_up Whether memcached answered the last call (1) or not (0).\n"
	    "# TYPE saas_cache_up gauge\n"
	    "saas_cache_up %d\n",
	    get(&m->db_errors), get(&m->rate_limited),
	    !__atomic_load_n(&m->cache_down, __ATOMIC_RELAXED));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
