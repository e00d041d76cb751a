/* The job runner: claim, steps, advance, failure (see runner.h). */
#include "runner.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "steps.h"
#include "validate.h"

/* Due, or running for a runner whose lease lapsed or whose server process is gone. */
#define CLAIMABLE(j)                                                                               \
	"((" j ".status IN ('pending', 'failed') AND " j ".run_after <= now())"                    \
	" OR (" j ".status = 'running' AND (" j ".locked_until < now()"                            \
	" OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a"                              \
	"  WHERE a.pid = " j ".locked_backend))))"

/*
 * Round robin over tenants: "turn" is a job's place in its tenant's queue,
 * and among the first turns the tenant served longest ago goes first
 * (public.job_turns remembers when each was last served), so a tenant with
 * a thousand jobs queued gets one job in, then every other tenant waiting
 * gets one. The re-check after the lock sees rows that other runners
 * changed meanwhile. Jobs without a tenant queue together.
 */
#define TENANT_KEY(j) "coalesce(" j ".tenant_id, '00000000-0000-0000-0000-000000000000')"

static const char sql_claim[] =
    "WITH candidate AS ("
    "  SELECT d.id, d.turn, coalesce(s.served_at, '-infinity') AS served, d.run_after"
    "  FROM (SELECT j.id, j.run_after, " TENANT_KEY(
        "j") " AS tenant_key,"
             "    row_number() OVER (PARTITION BY j.tenant_id ORDER BY j.run_after, j.id) AS turn"
             "   FROM public.jobs j WHERE " CLAIMABLE(
                 "j") ") d"
                      "  LEFT JOIN public.job_turns s ON s.tenant_key = d.tenant_key"
                      "  ORDER BY d.turn, served, d.run_after, d.id LIMIT 32),"
                      " claimed AS ("
                      "  SELECT j.id FROM public.jobs j JOIN candidate c ON c.id = j.id"
                      "  WHERE " CLAIMABLE(
                          "j") " ORDER BY c.turn, c.served, c.run_after, c.id"
                               "  LIMIT 1 FOR UPDATE OF j SKIP LOCKED),"
                               " job AS ("
                               "  UPDATE public.jobs j SET status = 'running', attempts = "
                               "j.attempts + 1,"
                               "   locked_by = $1, locked_backend = pg_backend_pid(),"
                               "   locked_until = now() + $2::integer * interval '1 second',"
                               "   lease_token = gen_random_uuid(), updated_at = now()"
                               "  FROM claimed WHERE j.id = claimed.id RETURNING j.*)"
                               " SELECT j.id, j.kind, j.tenant_id, j.lease_token, j.created_by, "
                               "j.payload::text,"
                               "  j.step, j.attempts, j.max_attempts, t.schema_name, t.slug"
                               " FROM job j LEFT JOIN public.tenants t ON t.id = j.tenant_id";

/*
 * The tenant was served now. A statement of its own, after the claim
 * committed: the row lock it takes must not hold other runners' claims.
 */
static const char sql_served[] =
    "INSERT INTO public.job_turns (tenant_key, served_at)"
    " VALUES (coalesce($1::uuid, '00000000-0000-0000-0000-000000000000'), clock_timestamp())"
    " ON CONFLICT (tenant_key) DO UPDATE SET served_at = excluded.served_at";

/* The job is still this attempt's: locked for the transaction. */
static const char sql_fence[] = "SELECT 1 FROM public.jobs"
                                " WHERE id = $1 AND lease_token = $2 AND status = 'running'"
                                " FOR UPDATE";

/* Step $3 done: the next one, or the end; the lease renewed. */
static const char sql_advance[] =
    "UPDATE public.jobs SET step = step + 1,"
    "  status = CASE WHEN step + 1 >= $4 THEN 'succeeded' ELSE status END,"
    "  finished_at = CASE WHEN step + 1 >= $4 THEN now() END,"
    "  last_error = CASE WHEN step + 1 >= $4 THEN NULL ELSE last_error END,"
    "  locked_until = CASE WHEN step + 1 < $4 THEN now() + $5::integer * interval '1 second' END,"
    "  locked_by = CASE WHEN step + 1 < $4 THEN locked_by END,"
    "  locked_backend = CASE WHEN step + 1 < $4 THEN locked_backend END,"
    "  lease_token = CASE WHEN step + 1 < $4 THEN lease_token END,"
    "  updated_at = now()"
    " WHERE id = $1 AND lease_token = $2 AND step = $3 AND status = 'running'"
    " RETURNING status";

static const char sql_renew[] =
    "UPDATE public.jobs SET locked_until = now() + $3::integer * interval '1 second'"
    " WHERE id = $1 AND lease_token = $2 AND status = 'running' RETURNING 1";

/* A failed attempt: retried after the backoff, or dead when none are left. */
static const char sql_fail[] =
    "UPDATE public.jobs SET"
    "  status = CASE WHEN attempts >= max_attempts OR $5 THEN 'dead' ELSE 'failed' END,"
    "  finished_at = CASE WHEN attempts >= max_attempts OR $5 THEN now() END,"
    "  run_after = now() + $3::integer * interval '1 second', last_error = $4,"
    "  locked_by = NULL, locked_until = NULL, locked_backend = NULL, lease_token = NULL,"
    "  updated_at = now()"
    " WHERE id = $1 AND lease_token = $2 AND status = 'running'"
    " RETURNING status";

static const char sql_audit_dead[] =
    "INSERT INTO public.audit_logs (action, outcome, tenant_id, target_type, target_id, details)"
    " VALUES ('job.dead', 'success', $2, 'job', $1,"
    "  jsonb_build_object('kind', $3::text, 'step', $4::text, 'error', $5::text))";

/* A stop between steps: the job goes back, this attempt not counted. */
static const char sql_release[] =
    "UPDATE public.jobs SET status = 'pending', attempts = greatest(attempts - 1, 0),"
    "  locked_by = NULL, locked_until = NULL, locked_backend = NULL, lease_token = NULL,"
    "  updated_at = now()"
    " WHERE id = $1 AND lease_token = $2 AND status = 'running'";

static const char sql_cleanup[] =
    "INSERT INTO public.jobs (kind, idempotency_key)"
    " VALUES ('cleanup', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'))"
    " ON CONFLICT (kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING";

int
runner_init(struct runner *r, struct app *app, volatile sig_atomic_t *stop)
{
	char host[64] = "localhost", step[24];
	const char *f = app->cfg.job_fault, *at;

	memset(r, 0, sizeof(*r));
	r->app = app;
	r->stop = stop;
	gethostname(host, sizeof(host) - 1);
	snprintf(r->name, sizeof(r->name), "%s:%ld", host, (long)getpid());
	r->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (f[0] == '\0')
		return 0;
	if (strncmp(f, "stop-after:", 11) == 0)
		r->fault = 1, f += 11;
	else if (strncmp(f, "stop-in:", 8) == 0)
		r->fault = 2, f += 8;
	at = strchr(f, '@');
	snprintf(step, sizeof(step), "%.*s", at ? (int)(at - f) : (int)strlen(f), f);
	if (at != NULL)
		snprintf(r->fault_kind, sizeof(r->fault_kind), "%s", at + 1);
	if (r->fault == 0 || parse_long(step, 0, 1000, &r->fault_step) != 0 ||
	    (at != NULL && outbox_workflow(r->fault_kind) == NULL)) {
		fprintf(stderr,
		    "saas-jobs: JOB_FAULT: give stop-after:K or stop-in:K, and"
		    " optionally @KIND\n");
		return -1;
	}
	return 0;
}

void
runner_fault(const struct runner *r, const struct job *job, int kind)
{
	if (r->fault != kind || r->fault_step != job->step ||
	    (r->fault_kind[0] != '\0' && strcmp(r->fault_kind, job->kind) != 0))
		return;
	log_msg(LOG_WARN, NULL, "fault injection: stopping %s step %ld of job %s",
	    kind == 1 ? "after" : "inside", job->step, job->id);
	raise(SIGSTOP);
}

/* The claim's row as a job; -1 on a payload that is not an object. */
static int
job_from_row(struct job *job, const PGresult *res)
{
	const char *payload = db_value(res, 0, 5);

	job->id = arena_strdup(job->arena, db_value(res, 0, 0));
	job->kind = arena_strdup(job->arena, db_value(res, 0, 1));
	job->tenant_id = arena_strdup(job->arena, db_value(res, 0, 2));
	job->lease = arena_strdup(job->arena, db_value(res, 0, 3));
	job->created_by = arena_strdup(job->arena, db_value(res, 0, 4));
	job->step = strtol(db_value(res, 0, 6), NULL, 10);
	job->attempts = strtol(db_value(res, 0, 7), NULL, 10);
	job->max_attempts = strtol(db_value(res, 0, 8), NULL, 10);
	job->schema = arena_strdup(job->arena, db_value(res, 0, 9));
	job->slug = arena_strdup(job->arena, db_value(res, 0, 10));
	job->payload = json_loads(payload ? payload : "{}", 0, NULL);
	if (job->payload == NULL)
		return -1;
	arena_defer(job->arena, (void (*)(void *))json_decref, job->payload);
	return json_is_object(job->payload) ? 0 : -1;
}

/* Seconds before the next attempt: base * 2^(attempts-1), capped, times 0.5..1. */
static long
backoff(struct runner *r, long attempts)
{
	const struct config *cfg = &r->app->cfg;
	double d = (double)cfg->job_backoff_seconds;
	long i;

	for (i = 1; i < attempts && d < (double)cfg->job_backoff_max_seconds; i++)
		d *= 2;
	if (d > (double)cfg->job_backoff_max_seconds)
		d = (double)cfg->job_backoff_max_seconds;
	d *= 0.5 + 0.5 * ((double)rand_r(&r->seed) / RAND_MAX);
	return d < 1 ? 1 : (long)d;
}

static const char *
num(struct arena *a, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	return arena_strdup(a, buf);
}

/*
 * Records a failed attempt; on the last one (or a permanent failure), the
 * job is dead: its workflow's compensation and the audit entry commit with it.
 */
static void
fail_job(struct runner *r, struct job *job, const struct flow *flow, const char *step,
    const struct step_err *e, int permanent)
{
	struct db *db = r->app->db;
	const char *p[5] = {job->id, job->lease, num(job->arena, backoff(r, job->attempts)),
	    e->reason, permanent ? "true" : "false"};
	const char *ap[5] = {job->id, job->tenant_id, job->kind, step, e->reason};
	PGresult *res;

	if (db_begin(db, job->arena, job->schema) != APP_OK)
		return;
	if (db_query(db, job->arena, &(struct db_stmt){sql_fail, 5, p}, &res) != APP_OK ||
	    PQntuples(res) != 1) {
		db_rollback(db);
		return;
	}
	if (strcmp(db_value(res, 0, 0), "dead") == 0) {
		if ((flow != NULL && flow->compensate != NULL &&
		        flow->compensate(r, job) != STEP_OK) ||
		    db_command(db, job->arena, &(struct db_stmt){sql_audit_dead, 5, ap}) !=
		        APP_OK) {
			db_rollback(db);
			return;
		}
		log_msg(LOG_ERROR, NULL, "job %s (%s) is dead at step %s: %s", job->id, job->kind,
		    step, e->reason);
	} else
		log_msg(LOG_WARN, NULL, "job %s (%s) failed at step %s, attempt %ld: %s", job->id,
		    job->kind, step, job->attempts, e->reason);
	db_commit(db);
}

/* One row from st in the open transaction (or on its own): 1, 0 for none, -1 on failure. */
static int
one_row(struct runner *r, struct job *job, const char *sql, int n, const char *const *p)
{
	PGresult *res;

	if (db_query(r->app->db, job->arena, &(struct db_stmt){sql, n, p}, &res) != APP_OK)
		return -1;
	return PQntuples(res) == 1;
}

int
runner_renew(struct runner *r, const struct job *job)
{
	const char *p[3] = {job->id, job->lease, num(job->arena, r->app->cfg.job_lease_seconds)};

	return one_row(r, (struct job *)job, sql_renew, 3, p) == 1 ? 0 : -1;
}

/* Records that step job->step is done (the end, after the last). 1, 0 lost, -1 failed. */
static int
advance(struct runner *r, struct job *job)
{
	const char *p[5] = {job->id, job->lease, num(job->arena, job->step),
	    num(job->arena, (long)job->wf->nsteps), num(job->arena, r->app->cfg.job_lease_seconds)};

	return one_row(r, job, sql_advance, 5, p);
}

/*
 * Runs one step: inside a transaction with the job row locked, or outside
 * and then the advance. The database is the judge of what happened: a
 * failed commit means nothing of the step happened.
 */
static enum step_rc
run_step(struct runner *r, struct job *job, const struct step *step, struct step_err *e)
{
	struct db *db = r->app->db;
	const char *fence[2] = {job->id, job->lease};
	enum step_rc rc;
	int ok;

	if (!step->in_tx) {
		if (runner_renew(r, job) != 0)
			return STEP_LOST;
		if ((rc = step->run(r, job, e)) != STEP_OK)
			return rc;
		ok = advance(r, job);
		return ok == 1 ? STEP_OK : ok == 0 ? STEP_LOST : STEP_RETRY;
	}
	if (db_begin(db, job->arena, job->schema) != APP_OK)
		return STEP_RETRY;
	if ((ok = one_row(r, job, sql_fence, 2, fence)) != 1) {
		db_rollback(db);
		return ok == 0 ? STEP_LOST : STEP_RETRY;
	}
	if ((rc = step->run(r, job, e)) != STEP_OK) {
		db_rollback(db);
		return rc;
	}
	runner_fault(r, job, 2);
	if ((ok = advance(r, job)) != 1) {
		db_rollback(db);
		return ok == 0 ? STEP_LOST : STEP_RETRY;
	}
	/* A commit that fails (a lost connection) took nothing with it. */
	return db_commit(db) == APP_OK ? STEP_OK : STEP_LOST;
}

/* Runs the job's remaining steps in order. */
static void
run_job(struct runner *r, struct job *job)
{
	const struct flow *flow = flow_find(job->kind);
	struct step_err e = {""};
	const struct step *step;
	enum step_rc rc;

	if (flow == NULL || job->wf == NULL) {
		snprintf(e.reason, sizeof(e.reason), "no workflow for this kind of job");
		fail_job(r, job, NULL, "-", &e, 1);
		return;
	}
	while (job->step < (long)flow->nsteps) {
		step = &flow->steps[job->step];
		snprintf(e.reason, sizeof(e.reason), "%s failed", step->name);
		rc = run_step(r, job, step, &e);
		if (rc == STEP_LOST) {
			log_msg(LOG_WARN, NULL, "job %s (%s): lease lost at step %s; leaving it",
			    job->id, job->kind, step->name);
			return;
		}
		if (rc != STEP_OK) {
			fail_job(r, job, flow, step->name, &e, rc == STEP_PERMANENT);
			return;
		}
		log_msg(LOG_INFO, NULL, "job %s (%s) step %s done", job->id, job->kind, step->name);
		runner_fault(r, job, 1);
		job->step++;
		if (job->step < (long)flow->nsteps && *r->stop) {
			const char *p[2] = {job->id, job->lease};

			db_command(r->app->db, job->arena, &(struct db_stmt){sql_release, 2, p});
			log_msg(LOG_INFO, NULL, "job %s (%s): stopping; released at step %s",
			    job->id, job->kind, flow->steps[job->step].name);
			return;
		}
	}
	log_msg(LOG_INFO, NULL, "job %s (%s) succeeded", job->id, job->kind);
}

int
runner_run_one(struct runner *r)
{
	struct job job;
	const char *p[2];
	PGresult *res;
	int got;

	memset(&job, 0, sizeof(job));
	if ((job.arena = arena_new()) == NULL)
		return -1;
	p[0] = r->name;
	p[1] = num(job.arena, r->app->cfg.job_lease_seconds);
	if (db_query(r->app->db, job.arena, &(struct db_stmt){sql_claim, 2, p}, &res) != APP_OK) {
		arena_free(job.arena);
		return -1;
	}
	if ((got = PQntuples(res) == 1)) {
		int ok = job_from_row(&job, res);

		job.wf = outbox_workflow(job.kind);
		db_command(r->app->db, job.arena, &(struct db_stmt){sql_served, 1, &job.tenant_id});
		log_msg(LOG_INFO, NULL, "job %s (%s) claimed at step %ld, attempt %ld", job.id,
		    job.kind, job.step, job.attempts);
		if (ok == 0)
			run_job(r, &job);
		else {
			struct step_err e = {"the payload is not a JSON object"};

			fail_job(r, &job, NULL, "-", &e, 1);
		}
	}
	arena_free(job.arena);
	return got;
}

void
runner_schedule_cleanup(struct runner *r)
{
	struct arena *a = arena_new();

	if (a == NULL)
		return;
	db_command(r->app->db, a, &(struct db_stmt){sql_cleanup, 0, NULL});
	arena_free(a);
}
