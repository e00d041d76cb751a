/*
 * The code of each workflow's steps (the names are lib/outbox.c's; the
 * runner checks at start that the two tables agree). A step marked in_tx
 * runs inside the runner's transaction, with the job row locked: it uses
 * r->app->db and must not commit. The others run outside any transaction
 * and must be idempotent: a crash after their effect and before the advance
 * runs them again.
 */
#ifndef STEPS_H
#define STEPS_H

#include "runner.h"

struct step {
	const char *name;
	int in_tx;
	enum step_rc (*run)(struct runner *, struct job *, struct step_err *);
};

struct flow {
	const char *kind;
	const struct step *steps;
	size_t nsteps;
	/* Undoes what a job that gave up leaves half made; in the transaction
	 * that marks it dead. NULL: nothing to undo. */
	enum step_rc (*compensate)(struct runner *, struct job *);
};

extern const struct flow flows[];
extern const size_t nflows;

const struct flow *flow_find(const char *kind);

/* Whether flows[] and outbox.h's workflows[] name the same steps. */
int flows_match_outbox(void);

/*
 * Applies every tenant migration that schema lacks (MIGRATIONS_DIR/tenant,
 * in name order), recording each with its SHA-256 as scripts/migrate does,
 * under the same advisory lock, inside the caller's transaction; sets the
 * tenant's schema_version when tenant_id is given.
 */
enum step_rc schema_migrate(
    struct runner *, struct arena *, const char *schema, const char *tenant_id, struct step_err *);

/* Tops the pool of ready schemas up to TENANT_POOL_SIZE. */
void pool_fill(struct runner *);

#endif
