/*
 * The worker loop (see worker.h). SIGTERM is blocked all the time except
 * inside ppoll(), where the worker waits for a connection, so a SIGTERM that
 * arrives while a request is in hand waits until that request is answered.
 * The listening socket is non-blocking: when several workers wake for one
 * connection, the losers get EAGAIN from accept and go back to waiting.
 */
#include "worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "serve.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Signals of a worker: SIGTERM stops it; the terminal's, libfcgi's and the
 * master's own (SIGHUP, SIGUSR2: a signal sent to the whole group, as
 * systemctl kill does, must not end a request in flight) are ignored.
 */
static void
worker_signals(sigset_t *waitmask)
{
	struct sigaction sa = {.sa_handler = on_term};
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_SETMASK, &block, NULL);
	sigemptyset(waitmask);
}

void
worker_main(struct app *app, int listen_fd, pid_t master)
{
	FCGX_Request fr;
	struct arena *arena;
	sigset_t waitmask;

	worker_signals(&waitmask);
	/* Orphaned before the death signal was armed: the master is gone. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	app->db = db_new(app->cfg.database_url, "saas-fcgi", app->cfg.statement_timeout_ms,
	    app->cfg.db_recycle_tenants);
	db_set_error_counter(app->db, metrics_db_errors(app->metrics));
	app->cache = cache_new(app->cfg.memcached_servers, app->cfg.memcached_timeout_ms);
	arena = arena_new();
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0)
		_exit(1);
	while (!stopping) {
		struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
		int rc;

		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno != EINTR) {
				log_msg(LOG_ERROR, NULL, "worker: poll: %m");
				break;
			}
			continue;
		}
		if ((rc = FCGX_Accept_r(&fr)) < 0) {
			if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR)
				log_msg(LOG_WARN, NULL, "worker: accept failed (%d)", rc);
			continue;
		}
		serve(app, &fr, arena);
		FCGX_Finish_r(&fr);
		arena_reset(arena);
	}
	arena_free(arena);
	cache_free(app->cache);
	db_free(app->db);
	config_free(&app->cfg);
	exit(0);
}

int
worker_listen_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
