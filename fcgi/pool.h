/*
 * The prefork pool. The master forks WORKERS children that all accept on the
 * same socket, replaces a child that dies, replaces them one at a time with
 * the configuration re-read on SIGHUP, and on SIGTERM (or SIGINT) lets every
 * child finish the request it holds before exiting, bounded by
 * SHUTDOWN_TIMEOUT. The master handles signals synchronously (sigtimedwait);
 * a child keeps SIGTERM blocked except while it waits for a connection, so
 * a request it has begun is always finished.
 *
 * SIGUSR2 upgrades the binary in place: the program at argv[0] (the new
 * binary, installed over the old one) is first run with --check; when it
 * accepts the configuration, the master execs it with the same pid and the
 * same listening socket, and hands it the running workers by pid, which it
 * then replaces one at a time as SIGHUP does. No connection is refused and
 * no request in flight is dropped.
 */
#ifndef POOL_H
#define POOL_H

#include <sys/types.h>

#include "app.h"

struct pool_opts {
	const char *config_path; /* NULL: defaults and environment only */
	long workers;            /* --workers, or 0 to use WORKERS */
	int listen_fd;
	char **argv;          /* the command line, for SIGUSR2; NULL: no upgrades */
	const pid_t *adopted; /* workers the previous binary left running */
	size_t nadopted;
};

/* Runs the pool until it is told to stop. Returns the exit status. */
int pool_run(struct app *, const struct pool_opts *);

#endif
