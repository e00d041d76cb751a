/*
 * Form-encoded bodies (lib/form.c): form_parse() on the raw bytes, as
 * POST /auth/token hands it the body, into sixteen pairs. What it returns
 * must be -1 or that many pairs of NUL-free UTF-8, each found again by
 * form_get().
 */
#include "fuzz.h"

#include <string.h>

#include "arena.h"
#include "form.h"
#include "validate.h"

#define PAIRS 16

/* The non-empty '&'-separated pieces of the n bytes at s. */
static size_t
pieces(const uint8_t *s, size_t n)
{
	size_t i, count = 0, len = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '&') {
			len++;
			continue;
		}
		count += len > 0;
		len = 0;
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct form_pair pairs[PAIRS];
	int n, i, dup;

	if (a == NULL)
		a = arena_new();
	n = form_parse(a, (const char *)data, size, pairs, PAIRS);
	FUZZ_ASSERT(n >= -1 && n <= PAIRS, "-1 or at most max pairs");
	if (n >= 0)
		FUZZ_ASSERT((size_t)n == pieces(data, size), "a pair for each non-empty piece");
	for (i = 0; i < n; i++) {
		const char *name = pairs[i].name, *value = pairs[i].value;

		FUZZ_ASSERT(name != NULL && value != NULL, "names and values are set");
		FUZZ_ASSERT(strlen(name) + strlen(value) <= size, "decoding never lengthens");
		FUZZ_ASSERT(
		    utf8_is_valid(name, strlen(name)) && utf8_is_valid(value, strlen(value)),
		    "names and values are UTF-8");
		FUZZ_ASSERT(form_get(pairs, (size_t)n, name, &dup) != NULL, "every name is found");
	}
	arena_reset(a); /* as a worker between requests */
	return 0;
}
