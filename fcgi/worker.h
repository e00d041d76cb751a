/*
 * A worker: one process, one database connection, one memcached handle,
 * accepting and answering requests one at a time until told to stop.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/types.h>

#include "app.h"

/* Never returns: the process exits when SIGTERM asks it to. */
/* master is the pid of the pool's master, so a worker notices it is gone. */
void worker_main(struct app *, int listen_fd, pid_t master) __attribute__((noreturn));

/* Makes the shared listening socket non-blocking (see worker.c). 0 or -1. */
int worker_listen_nonblocking(int fd);

#endif
