/*
 * A worker: one process, one database connection, one memcached handle,
 * accepting and answering requests one at a time until told to stop.
 */
#ifndef WORKER_H
#define WORKER_H

#include "app.h"

/* Never returns: the process exits when SIGTERM asks it to. */
void worker_main(struct app *, int listen_fd) __attribute__((noreturn));

/* Makes the shared listening socket non-blocking (see worker.c). 0 or -1. */
int worker_listen_nonblocking(int fd);

#endif
