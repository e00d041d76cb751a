/*
 * The workflows' steps (see steps.h): provision_tenant, send_email,
 * delete_tenant and cleanup.
 */
#include "steps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "token.h"

#define FILES_MAX 1000

static enum step_rc
fail(struct step_err *e, enum step_rc rc, const char *reason)
{
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	return rc;
}

/* A query in the runner's open transaction; its rows in *out when given. */
static enum step_rc
sql(struct runner *r, struct job *job, const char *text, int n, const char *const *p,
    PGresult **out, struct step_err *e)
{
	PGresult *res;

	if (db_query(r->app->db, job->arena, &(struct db_stmt){text, n, p}, &res) != APP_OK)
		return fail(e, STEP_RETRY, "the database refused the step");
	if (out != NULL)
		*out = res;
	return STEP_OK;
}

/* A command (no rows) in the runner's open transaction. */
static enum step_rc
cmd(struct runner *r, struct job *job, const char *text, int n, const char *const *p,
    struct step_err *e)
{
	if (db_command(r->app->db, job->arena, &(struct db_stmt){text, n, p}) != APP_OK)
		return fail(e, STEP_RETRY, "the database refused the step");
	return STEP_OK;
}

/* --- tenant migrations ---------------------------------------------------- */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_migration_name(const char *s)
{
	size_t d = strspn(s, "0123456789"), n = strlen(s);

	return d > 0 && s[d] == '_' && n > d + 5 && strcmp(s + n - 4, ".sql") == 0 &&
	    strspn(s + d + 1,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n - d - 1;
}

/* The tenant migration files, sorted; their count, or -1. */
static int
list_migrations(struct arena *a, const char *dir, char ***out)
{
	char **names = arena_alloc(a, FILES_MAX * sizeof(*names));
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL && n < FILES_MAX)
		if (is_migration_name(d->d_name))
			names[n++] = arena_strdup(a, d->d_name);
	closedir(dp);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	*out = names;
	return n;
}

/* A whole file, NUL-terminated, in the arena; NULL when unreadable or not text. */
static char *
read_file(struct arena *a, const char *path)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd == -1 || fstat(fd, &st) == -1 || st.st_size > 16 * 1024 * 1024) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	buf = arena_alloc(a, (size_t)st.st_size + 1);
	got = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size)
		return NULL;
	buf[got] = '\0';
	return strlen(buf) == (size_t)got ? buf : NULL;
}

static const char sql_migration_log[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                        " filename   text PRIMARY KEY,"
                                        " checksum   text NOT NULL,"
                                        " applied_at timestamptz NOT NULL DEFAULT now())";

enum step_rc
schema_migrate(struct runner *r, struct arena *a, const char *schema, const char *tenant_id,
    struct step_err *e)
{
	struct db *db = r->app->db;
	const char *path[1] = {schema};
	char dir[1024], file[1280], sum[TOKEN_HASH_HEX], **names;
	struct job fake = {.arena = a};
	PGresult *applied, *res;
	int n, i, k;

	snprintf(dir, sizeof(dir), "%s/tenant", r->app->cfg.migrations_dir);
	if ((n = list_migrations(a, dir, &names)) < 0) {
		log_msg(
		    LOG_ERROR, NULL, "MIGRATIONS_DIR: cannot read %s: %s", dir, strerror(errno));
		return fail(e, STEP_RETRY, "the tenant migrations cannot be read");
	}
	/* The lock scripts/migrate takes for this schema; then its log. */
	if (sql(r, &fake,
	        "SELECT pg_advisory_xact_lock(hashtextextended('saas-migrate/' || $1, 0)),"
	        " set_config('search_path', quote_ident($1), true)",
	        1, path, NULL, e) != STEP_OK ||
	    cmd(r, &fake, sql_migration_log, 0, NULL, e) != STEP_OK ||
	    sql(r, &fake, "SELECT filename, checksum FROM schema_migrations", 0, NULL, &applied,
	        e) != STEP_OK)
		return STEP_RETRY;
	for (i = 0; i < n; i++) {
		const char *text, *p[2];

		snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		if ((text = read_file(a, file)) == NULL)
			return fail(e, STEP_RETRY, "a tenant migration cannot be read");
		token_hash(text, sum);
		for (k = 0; k < PQntuples(applied); k++)
			if (strcmp(db_value(applied, k, 0), names[i]) == 0)
				break;
		if (k < PQntuples(applied)) {
			if (strcmp(db_value(applied, k, 1), sum + 2) != 0) {
				log_msg(LOG_ERROR, NULL, "%s: %s was changed after it was applied",
				    schema, names[i]);
				return fail(e, STEP_PERMANENT,
				    "a tenant migration changed after it was applied");
			}
			continue;
		}
		res = PQexec(db_conn(db), text);
		arena_defer(a, (void (*)(void *))PQclear, res);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			log_msg(LOG_ERROR, NULL, "%s: %s failed: %s", schema, names[i],
			    PQresultErrorMessage(res));
			return fail(e, STEP_RETRY, "a tenant migration failed");
		}
		p[0] = names[i];
		p[1] = sum + 2;
		if (sql(r, &fake, "SELECT set_config('search_path', quote_ident($1), true)", 1,
		        path, NULL, e) != STEP_OK ||
		    cmd(r, &fake,
		        "INSERT INTO schema_migrations (filename, checksum) VALUES ($1, $2)", 2, p,
		        e) != STEP_OK ||
		    cmd(r, &fake,
		        "INSERT INTO public.tenant_migrations (filename, checksum) VALUES ($1, $2)"
		        " ON CONFLICT (filename) DO NOTHING",
		        2, p, e) != STEP_OK)
			return STEP_RETRY;
		log_msg(LOG_INFO, NULL, "applied %s %s", schema, names[i]);
	}
	if (tenant_id != NULL) {
		const char *p[1] = {tenant_id};

		return cmd(r, &fake,
		    "UPDATE public.tenants SET schema_version = (SELECT count(*) FROM "
		    "schema_migrations)"
		    " WHERE id = $1",
		    1, p, e);
	}
	return STEP_OK;
}

/* --- provision_tenant ----------------------------------------------------- */

static enum step_rc
need_tenant(struct job *job, struct step_err *e)
{
	if (job->tenant_id == NULL || job->schema == NULL)
		return fail(e, STEP_PERMANENT, "the tenant does not exist");
	return STEP_OK;
}

/* A schema from the pool, renamed, or a new one; with its role. */
static enum step_rc
provision_create_schema(struct runner *r, struct job *job, struct step_err *e)
{
	PGresult *res;
	const char *p[2] = {NULL, job->schema};

	if (need_tenant(job, e) != STEP_OK)
		return STEP_PERMANENT;
	/*
	 * Deleted before it was ever made: nothing to make. Failed: a retry of
	 * the job after it gave up (its compensation sent it back to step 0).
	 */
	if (sql(r, job,
	        "UPDATE public.tenants SET status = 'provisioning', updated_at = now()"
	        " WHERE id = $1 AND status IN ('provisioning', 'failed') RETURNING id",
	        1, &job->tenant_id, &res, e) != STEP_OK)
		return STEP_RETRY;
	if (PQntuples(res) != 1)
		return fail(e, STEP_PERMANENT, "the tenant is no longer being provisioned");
	if (sql(r, job,
	        "DELETE FROM public.tenant_pool WHERE schema_name = ("
	        " SELECT schema_name FROM public.tenant_pool ORDER BY created_at, schema_name"
	        " LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING schema_name",
	        0, NULL, &res, e) != STEP_OK)
		return STEP_RETRY;
	if (PQntuples(res) == 1) {
		p[0] = db_value(res, 0, 0);
		log_msg(LOG_INFO, NULL, "job %s: %s takes the pooled schema %s", job->id,
		    job->schema, p[0]);
		return sql(r, job, "SELECT public.tenant_schema_rename($1, $2)", 2, p, NULL, e);
	}
	return sql(r, job, "SELECT public.tenant_schema_create($1)", 1, p + 1, NULL, e);
}

static enum step_rc
provision_migrate(struct runner *r, struct job *job, struct step_err *e)
{
	if (need_tenant(job, e) != STEP_OK)
		return STEP_PERMANENT;
	return schema_migrate(r, job->arena, job->schema, job->tenant_id, e);
}

/* A first project, so a new workspace is not empty. */
static enum step_rc
provision_seed(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->tenant_id};

	return cmd(r, job,
	    "INSERT INTO projects (name, description, created_by)"
	    " SELECT 'Getting started', 'A first project to try things out. Rename it, or delete "
	    "it.',"
	    "  m.user_id FROM public.user_tenant_membership m"
	    " WHERE m.tenant_id = $1 AND m.role = 'owner' ORDER BY m.created_at LIMIT 1",
	    1, p, e);
}

static enum step_rc
provision_mark_ready(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->tenant_id};

	return cmd(r, job,
	    "WITH t AS (UPDATE public.tenants SET status = 'ready', updated_at = now()"
	    "  WHERE id = $1 AND status = 'provisioning' RETURNING id)"
	    " INSERT INTO public.audit_logs (action, outcome, tenant_id, target_type, target_id)"
	    " SELECT 'tenant.ready', 'success', id, 'tenant', id::text FROM t",
	    1, p, e);
}

/* Delivers a message with a Message-ID made of the job and the step: a retry overwrites. */
static enum step_rc
deliver(struct runner *r, struct job *job, json_t *msg, struct step_err *e)
{
	char id[64], why[256];

	snprintf(id, sizeof(id), "%s.%ld", job->id, job->step);
	if (mail_deliver(&r->app->cfg, msg, id, why, sizeof(why)) != 0) {
		log_msg(LOG_ERROR, NULL, "job %s: mail: %s", job->id, why);
		return fail(e, STEP_RETRY, "the mail could not be delivered");
	}
	return STEP_OK;
}

static enum step_rc
provision_welcome_email(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[2] = {job->created_by, job->tenant_id};
	PGresult *res;
	char subject[300], *text;
	size_t len;
	enum step_rc rc;
	json_t *msg;

	if (job->created_by == NULL)
		return STEP_OK;
	if (sql(r, job,
	        "SELECT u.email, t.name, t.slug FROM public.users u, public.tenants t"
	        " WHERE u.id = $1 AND u.is_active AND t.id = $2 AND t.status = 'ready'",
	        2, p, &res, e) != STEP_OK)
		return STEP_RETRY;
	if (PQntuples(res) != 1)
		return STEP_OK; /* the user or the tenant went meanwhile: nobody to welcome */
	snprintf(subject, sizeof(subject), "Your workspace %s is ready", db_value(res, 0, 1));
	len = strlen(db_value(res, 0, 1)) + strlen(db_value(res, 0, 2)) +
	    strlen(r->app->cfg.app_base_url) + 200;
	text = arena_alloc(job->arena, len);
	snprintf(text, len,
	    "Your workspace \"%s\" is ready.\n\nSign in at %s and choose the workspace \"%s\".\n",
	    db_value(res, 0, 1), r->app->cfg.app_base_url, db_value(res, 0, 2));
	msg = mail_message(&r->app->cfg, db_value(res, 0, 0), subject, text);
	if (msg == NULL)
		return fail(e, STEP_RETRY, "the mail could not be made");
	rc = deliver(r, job, msg, e);
	json_decref(msg);
	return rc;
}

/*
 * Gave up: the tenant failed, a schema this job made is dropped, and the
 * job is back at its first step, so that a retry (POST /admin/jobs/{id}/retry,
 * scripts/jobs retry) provisions from scratch.
 */
static enum step_rc
provision_compensate(struct runner *r, struct job *job)
{
	struct step_err e;
	const char *p[1] = {job->tenant_id};
	PGresult *res;

	if (job->tenant_id == NULL || job->schema == NULL)
		return STEP_OK;
	if (sql(r, job,
	        "UPDATE public.tenants SET status = 'failed', updated_at = now()"
	        " WHERE id = $1 AND status = 'provisioning' RETURNING id",
	        1, p, &res, &e) != STEP_OK)
		return STEP_RETRY;
	if (PQntuples(res) == 0)
		return STEP_OK;
	if (job->step > 0 &&
	    sql(r, job,
	        "SELECT public.tenant_schema_drop(schema_name)"
	        " FROM public.tenants WHERE id = $1",
	        1, p, NULL, &e) != STEP_OK)
		return STEP_RETRY;
	return cmd(r, job, "UPDATE public.jobs SET step = 0 WHERE id = $1", 1, &job->id, &e);
}

/* --- send_email ----------------------------------------------------------- */

static enum step_rc
email_send(struct runner *r, struct job *job, struct step_err *e)
{
	return deliver(r, job, job->payload, e);
}

/* Sent: the text (which may hold a one-time token) leaves the outbox. */
static enum step_rc
email_redact(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->id};

	return cmd(
	    r, job, "UPDATE public.jobs SET payload = payload - 'text' WHERE id = $1", 1, p, e);
}

/* --- delete_tenant -------------------------------------------------------- */

/* Runs PG_DUMP for the schema into path, renewing the lease while it works. */
static enum step_rc
dump_schema(struct runner *r, struct job *job, const char *path, struct step_err *e)
{
	const struct config *cfg = &r->app->cfg;
	long renew_every = cfg->job_lease_seconds / 3 > 0 ? cfg->job_lease_seconds / 3 : 1;
	char schema_arg[128];
	time_t last = time(NULL);
	int status;
	pid_t pid;

	snprintf(schema_arg, sizeof(schema_arg), "--schema=\"%s\"", job->schema);
	if ((pid = fork()) == -1)
		return fail(e, STEP_RETRY, "the backup could not start");
	if (pid == 0) {
		execlp(cfg->pg_dump, cfg->pg_dump, "--format=custom", "--no-owner", schema_arg,
		    "--file", path, "--dbname", cfg->database_owner_url, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR)
			return fail(e, STEP_RETRY, "the backup was lost");
		if (time(NULL) - last >= renew_every) {
			if (runner_renew(r, job) != 0) {
				kill(pid, SIGTERM);
				waitpid(pid, &status, 0);
				return STEP_LOST;
			}
			last = time(NULL);
		}
		usleep(100 * 1000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg(LOG_ERROR, NULL, "job %s: %s exited with status %d", job->id, cfg->pg_dump,
		    status);
		return fail(e, STEP_RETRY, "the backup failed");
	}
	return STEP_OK;
}

/* BACKUP_DIR/<slug>-<job id>.dump: the same file on a retry. */
static enum step_rc
delete_backup(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->schema};
	char path[1024], tmp[1100];
	PGresult *res;
	enum step_rc rc;

	if (need_tenant(job, e) != STEP_OK)
		return STEP_PERMANENT;
	if (sql(r, job, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1, p, &res,
	        e) != STEP_OK)
		return STEP_RETRY;
	if (PQntuples(res) == 0)
		return STEP_OK; /* never made, or already dropped: nothing to keep */
	if (mkdir(r->app->cfg.backup_dir, 0700) == -1 && errno != EEXIST) {
		log_msg(
		    LOG_ERROR, NULL, "BACKUP_DIR: %s: %s", r->app->cfg.backup_dir, strerror(errno));
		return fail(e, STEP_RETRY, "the backup directory is not usable");
	}
	snprintf(path, sizeof(path), "%s/%s-%s.dump", r->app->cfg.backup_dir, job->slug, job->id);
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	if ((rc = dump_schema(r, job, tmp, e)) != STEP_OK) {
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) == -1) {
		log_msg(LOG_ERROR, NULL, "BACKUP_DIR: %s: %s", path, strerror(errno));
		return fail(e, STEP_RETRY, "the backup could not be kept");
	}
	log_msg(LOG_INFO, NULL, "job %s: %s backed up to %s", job->id, job->schema, path);
	return STEP_OK;
}

static enum step_rc
delete_drop_schema(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->schema};

	if (need_tenant(job, e) != STEP_OK)
		return STEP_PERMANENT;
	return sql(r, job, "SELECT public.tenant_schema_drop($1)", 1, p, NULL, e);
}

/*
 * Deleted: its invitations die and its custom domain is free again. Its
 * memberships and sessions stay, so a token for it keeps being answered
 * 410 TENANT_DELETED rather than looking like any other bad token.
 */
static enum step_rc
delete_mark_deleted(struct runner *r, struct job *job, struct step_err *e)
{
	const char *p[1] = {job->tenant_id};

	if (need_tenant(job, e) != STEP_OK)
		return STEP_PERMANENT;
	return cmd(r, job,
	    "WITH t AS (UPDATE public.tenants SET status = 'deleted', custom_domain = NULL,"
	    "  updated_at = now() WHERE id = $1 RETURNING id)"
	    " UPDATE public.tenant_invites SET status = 'revoked'"
	    " WHERE tenant_id = $1 AND status = 'pending'",
	    1, p, e);
}

/* --- cleanup -------------------------------------------------------------- */

/* What is past its use: expired tokens and sessions, old invitations and jobs. */
static enum step_rc
cleanup_prune(struct runner *r, struct job *job, struct step_err *e)
{
	char days[24];
	const char *p[1] = {days};

	snprintf(days, sizeof(days), "%ld", r->app->cfg.job_retention_days);
	return cmd(r, job,
	    "WITH s AS (DELETE FROM public.sessions"
	    "  WHERE expires_at < now() OR revoked_at < now() - $1::integer * interval '1 day'),"
	    " rt AS (DELETE FROM public.refresh_tokens WHERE expires_at < now()"
	    "  AND (used_at IS NOT NULL OR revoked_at IS NOT NULL OR expires_at < now()"
	    "   - $1::integer * interval '1 day')),"
	    " et AS (DELETE FROM public.email_tokens WHERE expires_at < now()),"
	    " ix AS (UPDATE public.tenant_invites SET status = 'expired'"
	    "  WHERE status = 'pending' AND expires_at < now()),"
	    " io AS (DELETE FROM public.tenant_invites WHERE status <> 'pending'"
	    "  AND created_at < now() - $1::integer * interval '1 day'),"
	    " jt AS (DELETE FROM public.job_turns"
	    "  WHERE served_at < now() - $1::integer * interval '1 day')"
	    " DELETE FROM public.jobs WHERE status IN ('succeeded', 'dead')"
	    "  AND finished_at < now() - $1::integer * interval '1 day'",
	    1, p, e);
}

/* --- the tables ----------------------------------------------------------- */

#define FLOW(kind, steps, comp)                                                                    \
	{                                                                                          \
		kind, steps, sizeof(steps) / sizeof(steps[0]), comp                                \
	}

static const struct step provision_steps[] = {
    {"create_schema", 1, provision_create_schema},
    {"migrate", 1, provision_migrate},
    {"seed", 1, provision_seed},
    {"mark_ready", 1, provision_mark_ready},
    {"welcome_email", 0, provision_welcome_email},
};
static const struct step email_steps[] = {
    {"send", 0, email_send},
    {"redact", 1, email_redact},
};
static const struct step delete_steps[] = {
    {"backup", 0, delete_backup},
    {"drop_schema", 1, delete_drop_schema},
    {"mark_deleted", 1, delete_mark_deleted},
};
static const struct step cleanup_steps[] = {
    {"prune", 1, cleanup_prune},
};

const struct flow flows[] = {
    FLOW("provision_tenant", provision_steps, provision_compensate),
    FLOW("send_email", email_steps, NULL),
    FLOW("delete_tenant", delete_steps, NULL),
    FLOW("cleanup", cleanup_steps, NULL),
};
const size_t nflows = sizeof(flows) / sizeof(flows[0]);

const struct flow *
flow_find(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < nflows; i++)
		if (strcmp(flows[i].kind, kind) == 0)
			return &flows[i];
	return NULL;
}

int
flows_match_outbox(void)
{
	size_t i, k;

	if (nflows != nworkflows)
		return 0;
	for (i = 0; i < nflows; i++) {
		const struct workflow *w = outbox_workflow(flows[i].kind);

		if (w == NULL || w->nsteps != flows[i].nsteps)
			return 0;
		for (k = 0; k < w->nsteps; k++)
			if (strcmp(w->steps[k], flows[i].steps[k].name) != 0)
				return 0;
	}
	return 1;
}

/* --- the pool of ready schemas -------------------------------------------- */

void
pool_fill(struct runner *r)
{
	struct db *db = r->app->db;

	while (!*r->stop) {
		struct arena *a = arena_new();
		struct job fake = {.arena = a};
		struct step_err e;
		char uuid[37], name[64], *o = name;
		const char *p[1] = {name};
		PGresult *res;
		size_t i;

		if (a == NULL || db_begin(db, a, NULL) != APP_OK) {
			arena_free(a);
			return;
		}
		if (sql(r, &fake, "SELECT pg_advisory_xact_lock(hashtextextended('saas-pool', 0))",
		        0, NULL, NULL, &e) != STEP_OK ||
		    sql(r, &fake, "SELECT count(*) FROM public.tenant_pool", 0, NULL, &res, &e) !=
		        STEP_OK ||
		    strtol(db_value(res, 0, 0), NULL, 10) >= r->app->cfg.tenant_pool_size ||
		    token_uuid(uuid) != 0) {
			db_rollback(db);
			arena_free(a);
			return;
		}
		o += sprintf(name, "tenant__pool_");
		for (i = 0; uuid[i] != '\0'; i++)
			if (uuid[i] != '-')
				*o++ = uuid[i];
		*o = '\0';
		if (sql(r, &fake, "SELECT public.tenant_schema_create($1)", 1, p, NULL, &e) !=
		        STEP_OK ||
		    schema_migrate(r, a, name, NULL, &e) != STEP_OK ||
		    cmd(r, &fake, "INSERT INTO public.tenant_pool (schema_name) VALUES ($1)", 1, p,
		        &e) != STEP_OK ||
		    db_commit(db) != APP_OK) {
			db_rollback(db);
			log_msg(LOG_ERROR, NULL, "pool: could not make a schema: %s", e.reason);
			arena_free(a);
			return;
		}
		log_msg(LOG_INFO, NULL, "pool: %s is ready", name);
		arena_free(a);
	}
}
