/*
 * Route lookup over the table in handlers/routes.c: literal segments match
 * themselves, {name} segments match one non-empty segment and are handed to
 * the handler as req->params.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include <stddef.h>

#include "routes.h"

/*
 * The route for method and path. On a match, fills params (at most
 * HTTP_PARAMS_MAX, copied into the arena) and returns its index. Otherwise
 * returns -1 and, when the path exists under other methods, writes them as
 * an Allow list ("GET, POST") into allow (size allowlen); allow[0] is NUL
 * for an unknown path.
 */
int router_find(struct arena *, const char *method, const char *path, const char **params,
    size_t *nparams, char *allow, size_t allowlen);

#endif
