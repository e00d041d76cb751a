/*
 * application/x-www-form-urlencoded: query strings and form bodies. Pure:
 * bytes in, decoded pairs out, in the arena.
 */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

struct arena;

struct form_pair {
	const char *name, *value;
};

/*
 * Splits and decodes len bytes at s ("+" is a space, %XX a byte). Returns
 * the number of pairs (at most max) stored in pairs, or -1 on a bad
 * escape, a NUL byte, text that is not UTF-8, or more than max pairs.
 */
int form_parse(struct arena *, const char *s, size_t len, struct form_pair *pairs, size_t max);

/* The value of name, NULL when absent; *dup set when it occurs more than once. */
const char *form_get(const struct form_pair *pairs, size_t n, const char *name, int *dup);

#endif
