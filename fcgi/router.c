/* Route lookup (see router.h): a walk over a small table, segment by segment. */
#include "router.h"

#include <string.h>

#include "arena.h"

/*
 * Whether path matches pattern. Parameters are recorded as (offset, length)
 * pairs into path, so a failed match costs no allocation.
 */
static int
match(const char *pattern, const char *path, size_t spans[][2], size_t *nspans)
{
	const char *p = pattern, *s = path;

	*nspans = 0;
	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			size_t seg = strcspn(s, "/");

			if (seg == 0 || *nspans == HTTP_PARAMS_MAX)
				return 0;
			spans[*nspans][0] = (size_t)(s - path);
			spans[*nspans][1] = seg;
			(*nspans)++;
			p = strchr(p, '}') + 1;
			s += seg;
		} else if (*p++ != *s++)
			return 0;
	}
	return *p == '\0' && *s == '\0';
}

int
router_find(struct arena *a, const char *method, const char *path, const char **params,
    size_t *nparams, char *allow, size_t allowlen)
{
	size_t spans[HTTP_PARAMS_MAX][2], n, i, j;

	allow[0] = '\0';
	*nparams = 0;
	for (i = 0; i < nroutes; i++) {
		if (!match(routes[i].pattern, path, spans, &n))
			continue;
		/* HEAD is GET without the body (serve() leaves it out). */
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			for (j = 0; j < n; j++)
				params[j] = arena_strndup(a, path + spans[j][0], spans[j][1]);
			*nparams = n;
			return (int)i;
		}
		if (strstr(allow, routes[i].method) == NULL &&
		    strlen(allow) + strlen(routes[i].method) + 3 < allowlen) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
		}
	}
	return -1;
}
