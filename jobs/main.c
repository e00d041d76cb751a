/*
 * saas-jobs: the outbox runner.
 *
 *   saas-jobs [--config FILE] --once [--max-seconds N]
 *   saas-jobs [--config FILE] --loop
 *
 * --once runs what is due and exits when the queue is empty or N seconds
 * (default 50) have passed: cron starts it every minute. --loop waits on
 * LISTEN jobs_ready (the enqueuing transaction's NOTIFY), and looks anyway
 * every JOB_POLL_SECONDS. Both queue the daily cleanup and keep the pool of
 * ready schemas (TENANT_POOL_SIZE) full. SIGTERM or SIGINT: the step in
 * hand finishes, the job is put back, the runner exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "app.h"
#include "db.h"
#include "log.h"
#include "runner.h"
#include "steps.h"
#include "validate.h"

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: saas-jobs [--config FILE] --once [--max-seconds N]\n"
	    "       saas-jobs [--config FILE] --loop\n");
	exit(2);
}

/* Runs due jobs until none is left, time is up, or a stop. -1: no database. */
static int
drain(struct runner *r, time_t deadline)
{
	int rc = 0;

	while (
	    !stopping && (deadline == 0 || time(NULL) < deadline) && (rc = runner_run_one(r)) == 1)
		;
	return rc < 0 ? -1 : 0;
}

/* A connection that listens on jobs_ready, or NULL. */
static PGconn *
listener(const struct config *cfg)
{
	const char *const keys[] = {"dbname", "application_name", "connect_timeout", NULL};
	const char *const vals[] = {cfg->database_owner_url, "saas-jobs-listen", "3", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *res;

	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	res = PQexec(c, "LISTEN jobs_ready");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		PQfinish(c);
		return NULL;
	}
	PQclear(res);
	return c;
}

/* Waits for a NOTIFY, the poll interval, or a signal; then takes all notifications. */
static void
wait_for_work(PGconn **c, const struct config *cfg)
{
	struct pollfd pfd;
	PGnotify *n;

	if (*c == NULL && (*c = listener(cfg)) == NULL) {
		sleep((unsigned)cfg->job_poll_seconds);
		return;
	}
	pfd.fd = PQsocket(*c);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)cfg->job_poll_seconds * 1000) == -1 && errno != EINTR)
		return;
	if (PQconsumeInput(*c) != 1 || PQstatus(*c) != CONNECTION_OK) {
		log_msg(LOG_WARN, NULL, "the listening connection was lost; reconnecting");
		PQfinish(*c);
		*c = NULL;
		return;
	}
	while ((n = PQnotifies(*c)) != NULL)
		PQfreemem(n);
}

static int
run_loop(struct runner *r, const struct config *cfg)
{
	PGconn *c = listener(cfg);

	log_msg(LOG_INFO, NULL, "saas-jobs: waiting for jobs (LISTEN jobs_ready)");
	while (!stopping) {
		runner_schedule_cleanup(r);
		if (drain(r, 0) == -1)
			log_msg(LOG_WARN, NULL, "saas-jobs: the database is unavailable");
		if (!stopping)
			pool_fill(r);
		/* Jobs queued while the pool was filling get their NOTIFY in the next wait. */
		if (!stopping)
			wait_for_work(&c, cfg);
	}
	PQfinish(c);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"once", no_argument, NULL, 'o'},
	    {"loop", no_argument, NULL, 'l'},
	    {"max-seconds", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sigaction sa;
	const char *config_path = NULL;
	long max_seconds = 50;
	int c, mode = 0, rc = 0;
	struct runner r;
	struct app app;
	char err[256];

	while ((c = getopt_long(argc, argv, "c:olm:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
		case 'l':
			if (mode != 0 && mode != c)
				usage();
			mode = c;
			break;
		case 'm':
			if (parse_long(optarg, 1, 86400, &max_seconds) != 0) {
				fprintf(stderr, "saas-jobs: --max-seconds: must be 1 to 86400\n");
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || mode == 0)
		usage();
	memset(&app, 0, sizeof(app));
	if (config_load(&app.cfg, config_path, err, sizeof(err)) == -1) {
		fprintf(stderr, "saas-jobs: %s\n", err);
		return 1;
	}
	log_set_level(app.cfg.log_level);
	if (!flows_match_outbox()) {
		fprintf(stderr, "saas-jobs: the workflows do not match lib/outbox.c\n");
		return 1;
	}
	/* A statement may take as long as the lease; a stalled transaction no longer. */
	app.db = db_new(
	    app.cfg.database_owner_url, "saas-jobs", app.cfg.job_lease_seconds * 1000, 1000000);
	db_set_owner(app.db, app.cfg.job_lease_seconds * 1000);
	if (runner_init(&r, &app, &stopping) != 0) {
		rc = 1;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mode == 'l')
		rc = run_loop(&r, &app.cfg);
	else {
		time_t deadline = time(NULL) + max_seconds;

		runner_schedule_cleanup(&r);
		if (drain(&r, deadline) == -1) {
			fprintf(stderr, "saas-jobs: the database is unavailable\n");
			rc = 1;
		} else if (!stopping && time(NULL) < deadline)
			pool_fill(&r);
	}
out:
	db_free(app.db);
	config_free(&app.cfg);
	return rc;
}
