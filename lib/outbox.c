/* The workflows' names and steps (see outbox.h). */
#include "outbox.h"

#include <string.h>

#define STEPS(...)                                                                                 \
	(const char *const[]){__VA_ARGS__},                                                        \
	    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

const struct workflow workflows[] = {
    {"provision_tenant", STEPS("create_schema", "migrate", "seed", "mark_ready", "welcome_email")},
    {"send_email", STEPS("send", "redact")},
    {"delete_tenant", STEPS("backup", "drop_schema", "mark_deleted")},
    {"cleanup", STEPS("prune")},
};

const size_t nworkflows = sizeof(workflows) / sizeof(workflows[0]);

const struct workflow *
outbox_workflow(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < nworkflows; i++)
		if (strcmp(workflows[i].kind, kind) == 0)
			return &workflows[i];
	return NULL;
}
