/*
 * The master of the prefork pool (see pool.h). All its work happens in one
 * loop: wait for a signal (or a second to pass), then bring the set of
 * children back to what it should be.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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

/*
 * Runs argv[0] --check with the same arguments: 0 when it exits 0 within
 * 10 s, else -1 (logged).
 */
static int
upgrade_check(struct pool *p)
{
	static char check_opt[] = "--check";
	char **argv = p->opts->argv, **check;
	size_t n = 0;
	struct timespec tenth = {0, 100000000};
	sigset_t none;
	pid_t pid, got;
	int status, tries;

	while (argv[n] != NULL)
		n++;
	if ((check = calloc(n + 2, sizeof(*check))) == NULL)
		return -1;
	memcpy(check, argv, n * sizeof(*check));
	check[n] = check_opt;
	if ((pid = fork()) == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(check[0], check);
		_exit(127);
	}
	free(check);
	if (pid == -1)
		return -1;
	/* A program that does not answer in 10 s is no saas-fcgi to run. */
	for (tries = 0; (got = waitpid(pid, &status, WNOHANG)) == 0 && tries < 100; tries++)
		nanosleep(&tenth, NULL);
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (got == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg(LOG_ERROR, NULL, "pool: upgrade refused: %s --check %s %d", argv[0],
		    WIFEXITED(status) ? "exited with" : "was killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

/*
 * SIGUSR2 (see pool.h): exec the binary at argv[0] in place of this one.
 * The listening socket stays open across exec; SAAS_FCGI_LISTEN_FD and
 * SAAS_FCGI_WORKER_PIDS tell the new image which descriptor it is and which
 * children are already serving on it. Returns only when the upgrade did not
 * happen, with the running binary still in charge.
 */
static void
upgrade(struct pool *p)
{
	char fd[16], *pids = NULL;
	size_t i, len = 0, cap = 1;
	int flags;

	if (p->opts->argv == NULL || p->stopping)
		return;
	log_msg(LOG_INFO, NULL, "pool: upgrade: checking %s", p->opts->argv[0]);
	if (upgrade_check(p) == -1)
		return;
	for (i = 0; i < SLOTS_MAX; i++)
		cap += p->slots[i].pid != 0 ? 12 : 0;
	if ((pids = calloc(1, cap)) == NULL)
		return;
	for (i = 0; i < SLOTS_MAX; i++)
		if (p->slots[i].pid != 0)
			len += (size_t)snprintf(
			    pids + len, cap - len, "%s%d", len ? "," : "", (int)p->slots[i].pid);
	snprintf(fd, sizeof(fd), "%d", p->opts->listen_fd);
	if ((flags = fcntl(p->opts->listen_fd, F_GETFD)) == -1 ||
	    fcntl(p->opts->listen_fd, F_SETFD, flags & ~FD_CLOEXEC) == -1 ||
	    setenv("SAAS_FCGI_LISTEN_FD", fd, 1) == -1 ||
	    setenv("SAAS_FCGI_WORKER_PIDS", pids, 1) == -1)
		goto out;
	log_msg(LOG_INFO, NULL, "pool: upgrade: exec %s, handing over workers %s", p->opts->argv[0],
	    pids);
	execvp(p->opts->argv[0], p->opts->argv);
	log_msg(LOG_ERROR, NULL, "pool: upgrade: exec %s: %s", p->opts->argv[0], strerror(errno));
out:
	unsetenv("SAAS_FCGI_LISTEN_FD");
	unsetenv("SAAS_FCGI_WORKER_PIDS");
	free(pids);
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

/* The workers of the binary this one replaced: an older generation. */
static void
adopt(struct pool *p)
{
	size_t i;

	if (p->opts->nadopted == 0)
		return;
	p->gen = 1;
	for (i = 0; i < p->opts->nadopted && i < SLOTS_MAX; i++) {
		p->slots[i].pid = p->opts->adopted[i];
		p->slots[i].gen = 0;
		p->slots[i].started = time(NULL);
	}
	log_msg(LOG_INFO, NULL,
	    "pool: upgraded; replacing the %zu workers of the old binary one at a time", i);
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
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (worker_listen_nonblocking(opts->listen_fd) == -1) {
		log_msg(LOG_ERROR, NULL, "pool: the listening socket: %s", strerror(errno));
		return 1;
	}
	adopt(&p);
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
		else if (sig == SIGUSR2)
			upgrade(&p);
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
