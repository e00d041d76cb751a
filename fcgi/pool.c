/*
 * The master of the prefork pool (see pool.h). All its work happens in one
 * loop: wait for a signal (or a second to pass), then bring the set of
 * children back to what it should be.
 */
#include "pool.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define SLOTS_MAX 512

struct slot {
	pid_t pid;    /* 0: empty */
	unsigned gen; /* the configuration it started with */
	int retiring; /* sent SIGTERM, still finishing */
	time_t started;
};

struct pool {
	struct app *app;
	const struct pool_opts *opts;
	struct slot slots[SLOTS_MAX];
	unsigned gen;
	int stopping;
	time_t deadline;    /* when stopping: SIGKILL after this */
	time_t spawn_after; /* crash backoff */
	long backoff;
};

static long
wanted(const struct pool *p)
{
	return p->opts->workers > 0 ? p->opts->workers : p->app->cfg.workers;
}

static struct slot *
slot_free(struct pool *p)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (p->slots[i].pid == 0)
			return &p->slots[i];
	return NULL;
}

static int
spawn(struct pool *p)
{
	struct slot *s = slot_free(p);
	pid_t master = getpid(), pid;

	if (s == NULL)
		return -1;
	if ((pid = fork()) == -1) {
		log_msg(LOG_ERROR, NULL, "pool: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		worker_main(p->app, p->opts->listen_fd, master);
	s->pid = pid;
	s->gen = p->gen;
	s->retiring = 0;
	s->started = time(NULL);
	return 0;
}

static void
retire(struct slot *s)
{
	s->retiring = 1;
	kill(s->pid, SIGTERM);
}

static void
reap(struct pool *p)
{
	pid_t pid;
	int status;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < SLOTS_MAX && p->slots[i].pid != pid; i++)
			;
		if (i == SLOTS_MAX)
			continue;
		if (!p->slots[i].retiring && !p->stopping) {
			time_t lived = time(NULL) - p->slots[i].started;

			if (WIFSIGNALED(status))
				log_msg(LOG_ERROR, NULL,
				    "pool: worker %d killed by signal %d; replacing it", (int)pid,
				    WTERMSIG(status));
			else
				log_msg(LOG_ERROR, NULL,
				    "pool: worker %d exited with %d; replacing it", (int)pid,
				    WEXITSTATUS(status));
			/* A worker that dies at once would fork in a loop: back off. */
			if (lived < 1) {
				p->backoff =
				    p->backoff ? (p->backoff * 2 > 10 ? 10 : p->backoff * 2) : 1;
				p->spawn_after = time(NULL) + p->backoff;
			} else
				p->backoff = 0;
		}
		memset(&p->slots[i], 0, sizeof(p->slots[i]));
	}
}

/* Brings the children back to WORKERS of the current generation, replacing
 * an older generation one child at a time. */
static void
balance(struct pool *p)
{
	long live = 0;
	struct slot *old = NULL, *retiring = NULL;
	size_t i;

	if (p->stopping)
		return;
	for (i = 0; i < SLOTS_MAX; i++) {
		struct slot *s = &p->slots[i];

		if (s->pid == 0)
			continue;
		if (s->retiring)
			retiring = s;
		else {
			live++;
			if (s->gen != p->gen)
				old = s;
		}
	}
	if (time(NULL) < p->spawn_after)
		return;
	if (retiring == NULL && old != NULL) {
		/* The newcomer first, so capacity never dips. */
		if (spawn(p) == 0)
			retire(old);
		return;
	}
	for (; live < wanted(p); live++)
		if (spawn(p) == -1)
			break;
	for (i = 0; live > wanted(p) && retiring == NULL && i < SLOTS_MAX; i++) {
		if (p->slots[i].pid != 0 && !p->slots[i].retiring) {
			retire(&p->slots[i]);
			live--;
			break;
		}
	}
}

static void
reload(struct pool *p)
{
	struct config cfg;
	char err[256];

	if (config_load(&cfg, p->opts->config_path, err, sizeof(err)) == -1) {
		log_msg(LOG_ERROR, NULL,
		    "pool: reload refused, keeping the running configuration: %s", err);
		return;
	}
	config_free(&p->app->cfg);
	p->app->cfg = cfg;
	log_set_level(cfg.log_level);
	p->gen++;
	p->backoff = 0;
	p->spawn_after = 0;
	log_msg(LOG_INFO, NULL, "pool: configuration reloaded; replacing workers one at a time");
}

static void
stop(struct pool *p)
{
	size_t i;

	if (p->stopping)
		return;
	p->stopping = 1;
	p->deadline = time(NULL) + p->app->cfg.shutdown_timeout;
	log_msg(LOG_INFO, NULL, "pool: stopping; workers finish the requests they hold");
	for (i = 0; i < SLOTS_MAX; i++)
		if (p->slots[i].pid != 0)
			kill(p->slots[i].pid, SIGTERM);
}

static int
children(const struct pool *p)
{
	int n = 0;
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		n += p->slots[i].pid != 0;
	return n;
}

static void
kill_all(struct pool *p)
{
	size_t i;

	log_msg(LOG_WARN, NULL, "pool: SHUTDOWN_TIMEOUT passed; killing the workers left");
	for (i = 0; i < SLOTS_MAX; i++)
		if (p->slots[i].pid != 0)
			kill(p->slots[i].pid, SIGKILL);
	while (children(p) > 0 && waitpid(-1, NULL, 0) > 0)
		reap(p);
}

int
pool_run(struct app *app, const struct pool_opts *opts)
{
	struct pool p;
	sigset_t set;

	memset(&p, 0, sizeof(p));
	p.app = app;
	p.opts = opts;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (worker_listen_nonblocking(opts->listen_fd) == -1) {
		log_msg(LOG_ERROR, NULL, "pool: the listening socket: %s", strerror(errno));
		return 1;
	}
	log_msg(LOG_INFO, NULL, "pool: started with %ld workers", wanted(&p));
	balance(&p);
	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGCHLD)
			reap(&p);
		else if (sig == SIGTERM || sig == SIGINT)
			stop(&p);
		else if (sig == SIGHUP)
			reload(&p);
		reap(&p);
		if (p.stopping && children(&p) == 0)
			break;
		if (p.stopping && time(NULL) >= p.deadline) {
			kill_all(&p);
			break;
		}
		balance(&p);
	}
	log_msg(LOG_INFO, NULL, "pool: stopped");
	return 0;
}
