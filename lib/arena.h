/*
 * A request's memory. Everything a request allocates comes from its arena
 * and goes at once when the request ends; foreign objects (a PGresult, a
 * json_t) are handed to the arena with a cleanup function and released then.
 * Allocation failure is fatal for the process (the master starts another).
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
/* Runs every cleanup (last registered first), frees every block. NULL is ok. */
void arena_free(struct arena *);
/* Frees what was allocated but keeps the first block for the next request. */
void arena_reset(struct arena *);

/* Zeroed memory, aligned for any type, owned by the arena. */
void *arena_alloc(struct arena *, size_t);
/* A NUL-terminated copy of s (NULL gives NULL). */
char *arena_strdup(struct arena *, const char *s);
/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(struct arena *, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Calls fn(p) when the arena is freed or reset. Returns p for chaining. */
void *arena_defer(struct arena *, void (*fn)(void *), void *p);

#endif
