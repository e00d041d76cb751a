/*
 * The job runner: claims due jobs from the outbox (public.jobs) and runs
 * their workflows step by step (see outbox.h for the names).
 *
 * A claim is one committed UPDATE: status running, attempts + 1, a lease
 * (locked_until), the claiming server process (locked_backend) and a fresh
 * lease_token. Every later write to the job names that token, so a runner
 * that lost its lease (stopped, partitioned) changes nothing when it comes
 * back: the newer attempt's token is another. A job is claimable when it is
 * due (pending, or failed and past its backoff), or running with a lapsed
 * lease, or running for a server process that no longer exists (its runner
 * died: taken over at once, not after the lease). Among due jobs, each
 * tenant's first job comes before any tenant's second (round robin), so one
 * tenant's backlog cannot starve the others.
 *
 * A step whose effect is in the database runs in one transaction with the
 * job row locked (and its token checked), and commits its effect and the
 * step's advance together. A step whose effect is outside (a mail, a dump
 * file) is made idempotent by key, runs, and then advances. The connection
 * has idle_in_transaction_session_timeout set to the lease, so a runner
 * frozen inside a transaction loses it, and its row lock, when its lease
 * runs out.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "app.h"
#include "outbox.h"

struct arena;

/* A claimed job, as the claim returned it. Strings live in the job's arena. */
struct job {
	const char *id, *kind, *tenant_id, *lease, *created_by;
	const char *schema, *slug; /* the tenant's, or NULL */
	json_t *payload;           /* owned by the arena */
	long step, attempts, max_attempts;
	const struct workflow *wf;
	struct arena *arena;
};

/* How a step ended. */
enum step_rc {
	STEP_OK,
	STEP_RETRY,     /* failed; try again after the backoff */
	STEP_PERMANENT, /* failed in a way no retry mends: dead at once */
	STEP_LOST,      /* the lease is gone: record nothing */
};

/* A step's reason for failing: safe to show (GET /jobs/{id}); detail goes to the log. */
struct step_err {
	char reason[200];
};

struct runner {
	struct app *app; /* configuration; app->db is the owner's connection */
	char name[128];  /* locked_by: host:pid */
	volatile sig_atomic_t *stop;
	int fault; /* JOB_FAULT: 0 none, 1 stop-after, 2 stop-in */
	long fault_step;
	char fault_kind[64]; /* "": any kind */
	unsigned seed;       /* for the jitter of backoffs */
};

/* Sets up r for app (whose db must be the owner's). -1 with a message on a bad JOB_FAULT. */
int runner_init(struct runner *, struct app *, volatile sig_atomic_t *stop);

/*
 * Claims one due job and runs it to its end, its failure or a stop.
 * 1 when a job was claimed, 0 when none was due, -1 when the database
 * could not be reached.
 */
int runner_run_one(struct runner *);

/* Renews the lease of a job during a long step. 0, or -1 when it was lost. */
int runner_renew(struct runner *, const struct job *);

/* The fault point of JOB_FAULT (kind 1: after the step, 2: inside it, before the commit). */
void runner_fault(const struct runner *, const struct job *, int kind);

/* Queues the daily cleanup job, once per day across all runners. */
void runner_schedule_cleanup(struct runner *);

#endif
