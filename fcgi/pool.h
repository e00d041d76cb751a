/*
 * The prefork pool. The master forks WORKERS children that all accept on the
 * same socket, replaces a child that dies, replaces them one at a time with
 * the configuration re-read on SIGHUP, and on SIGTERM (or SIGINT) lets every
 * child finish the request it holds before exiting, bounded by
 * SHUTDOWN_TIMEOUT. The master handles signals synchronously (sigtimedwait);
 * a child keeps SIGTERM blocked except while it waits for a connection, so
 * a request it has begun is always finished.
 */
#ifndef POOL_H
#define POOL_H

#include "app.h"

struct pool_opts {
	const char *config_path; /* NULL: defaults and environment only */
	long workers;            /* --workers, or 0 to use WORKERS */
	int listen_fd;
};

/* Runs the pool until it is told to stop. Returns the exit status. */
int pool_run(struct app *, const struct pool_opts *);

#endif
