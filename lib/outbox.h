/*
 * The outbox's workflows (public.jobs): each kind of job is a named list of
 * steps, and a job row records the index of the next step to run. The
 * runner (jobs/) holds the code of each step; this table, shared with the
 * handlers, holds their names, so GET /jobs/{id} can say where a job is.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>

struct workflow {
	const char *kind;
	const char *const *steps;
	size_t nsteps;
};

extern const struct workflow workflows[];
extern const size_t nworkflows;

/* The workflow of a kind of job, or NULL. */
const struct workflow *outbox_workflow(const char *kind);

#endif
