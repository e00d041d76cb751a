/*
 * lib/arena: alignment, zeroed memory, big allocations, cleanups run once
 * in reverse order on reset and on free, the string helpers, and that a
 * reset gives big blocks back (a worker's arena lives for many requests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define MIB (1024 * 1024)

/* A record of the cleanups that ran, in order. */
struct trail {
	int order[16];
	int n;
};

struct mark {
	struct trail *trail;
	int id;
};

static void
mark_run(void *p)
{
	struct mark *m = p;

	assert_true(m->trail->n < 16);
	m->trail->order[m->trail->n++] = m->id;
}

static int
is_aligned(const void *p)
{
	return ((uintptr_t)p & 15) == 0;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
arena_alloc_is_aligned_16(void **state)
{
	static const size_t sizes[] = {
	    1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 4095, 4097, 5000, 16384, 20000};
	struct arena *a = arena_new();
	size_t i, round;

	(void)state;
	for (round = 0; round < 8; round++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			void *p = arena_alloc(a, sizes[i]);

			assert_non_null(p);
			if (!is_aligned(p))
				fail_msg("arena_alloc(%zu) gave %p", sizes[i], p);
		}
	arena_free(a);
}

static void
arena_alloc_is_zeroed(void **state)
{
	struct arena *a = arena_new();
	unsigned char *p;
	size_t i;

	(void)state;
	/* Fill, reset, allocate the same memory again: it must come back zeroed. */
	for (i = 0; i < 3; i++) {
		p = arena_alloc(a, 8000);
		assert_true(all_zero(p, 8000));
		memset(p, 0xa5, 8000);
		p = arena_alloc(a, 100);
		assert_true(all_zero(p, 100));
		memset(p, 0x5a, 100);
		arena_reset(a);
	}
	arena_free(a);
}

static void
arena_alloc_big_allocation_works(void **state)
{
	struct arena *a = arena_new();
	unsigned char *small1, *big, *small2;
	size_t i;

	(void)state;
	small1 = arena_alloc(a, 64);
	memset(small1, 1, 64);
	big = arena_alloc(a, MIB);
	assert_non_null(big);
	assert_true(is_aligned(big));
	assert_true(all_zero(big, MIB));
	memset(big, 2, MIB);
	small2 = arena_alloc(a, 64);
	memset(small2, 3, 64);
	/* Nothing overlaps. */
	for (i = 0; i < 64; i++) {
		assert_int_equal(small1[i], 1);
		assert_int_equal(small2[i], 3);
	}
	for (i = 0; i < MIB; i++)
		if (big[i] != 2)
			fail_msg("big[%zu] overwritten", i);
	arena_free(a);
}

static void
arena_alloc_many_allocations_do_not_overlap(void **state)
{
	struct arena *a = arena_new();
	unsigned char *p[2000];
	size_t sz[2000], i, j;

	(void)state;
	for (i = 0; i < 2000; i++) {
		sz[i] = 1 + (i * 37) % 6000; /* mixes small and big */
		p[i] = arena_alloc(a, sz[i]);
		memset(p[i], (int)(i & 0xff), sz[i]);
	}
	for (i = 0; i < 2000; i++)
		for (j = 0; j < sz[i]; j++)
			if (p[i][j] != (unsigned char)(i & 0xff))
				fail_msg("allocation %zu overwritten at %zu", i, j);
	arena_free(a);
}

static void
arena_usable_after_reset(void **state)
{
	struct arena *a = arena_new();
	char *s;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		arena_alloc(a, 3 * MIB);
		arena_alloc(a, 10000);
		s = arena_strdup(a, "still here");
		assert_string_equal(s, "still here");
		arena_reset(a);
	}
	s = arena_alloc(a, 16);
	assert_true(all_zero((unsigned char *)s, 16));
	arena_free(a);
}

/*
 * "Keeps the first block": after a reset, allocation starts again at the
 * front of the first block, whatever big blocks came and went.
 */
static void
arena_reset_keeps_first_block(void **state)
{
	struct arena *a = arena_new();
	void *first, *big, *again;

	(void)state;
	first = arena_alloc(a, 16);
	big = arena_alloc(a, 8 * MIB);
	arena_reset(a);
	again = arena_alloc(a, 16);
	arena_free(a);
	if (again == big)
		fail_msg("after arena_reset, allocation continues in the 8 MiB block");
	assert_ptr_equal(again, first);
}

/* Bytes in use by malloc, mmap'd chunks included. */
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void
arena_reset_gives_back_big_blocks(void **state)
{
	struct arena *a;
	size_t before, grown, after;

	(void)state;
	if (heap_in_use() == 0)
		skip(); /* a malloc without statistics (valgrind) */
	a = arena_new();
	before = heap_in_use();
	/* A big allocation while the first block is still the only one. */
	arena_alloc(a, 8 * MIB);
	grown = heap_in_use();
	arena_reset(a);
	after = heap_in_use();
	arena_free(a);
	assert_true(grown >= before + 8 * MIB);
	if (after > before + 64 * 1024)
		fail_msg("arena_reset kept %zu bytes", after - before);
}

static void
arena_reset_gives_back_big_blocks_after_small_ones(void **state)
{
	struct arena *a;
	size_t before, after;
	int i;

	(void)state;
	if (heap_in_use() == 0)
		skip();
	a = arena_new();
	before = heap_in_use();
	for (i = 0; i < 10; i++)
		arena_alloc(a, 4000); /* past the first block */
	arena_alloc(a, 8 * MIB);
	arena_reset(a);
	after = heap_in_use();
	arena_free(a);
	if (after > before + 64 * 1024)
		fail_msg("arena_reset kept %zu bytes", after - before);
}

static void
arena_defer_runs_in_reverse_on_reset(void **state)
{
	struct arena *a = arena_new();
	struct trail t = {{0}, 0};
	struct mark m[3] = {{&t, 1}, {&t, 2}, {&t, 3}};
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_ptr_equal(arena_defer(a, mark_run, &m[i]), &m[i]);
	assert_int_equal(t.n, 0);
	arena_reset(a);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.order[0], 3);
	assert_int_equal(t.order[1], 2);
	assert_int_equal(t.order[2], 1);
	/* They ran once: freeing does not run them again. */
	arena_free(a);
	assert_int_equal(t.n, 3);
}

static void
arena_defer_runs_in_reverse_on_free(void **state)
{
	struct arena *a = arena_new();
	struct trail t = {{0}, 0};
	struct mark m[4] = {{&t, 1}, {&t, 2}, {&t, 3}, {&t, 4}};
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		arena_defer(a, mark_run, &m[i]);
	arena_free(a);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.order[0], 4);
	assert_int_equal(t.order[1], 3);
	assert_int_equal(t.order[2], 2);
	assert_int_equal(t.order[3], 1);
}

static void
arena_defer_after_reset_runs_at_next_end(void **state)
{
	struct arena *a = arena_new();
	struct trail t = {{0}, 0};
	struct mark m1 = {&t, 1}, m2 = {&t, 2};

	(void)state;
	arena_defer(a, mark_run, &m1);
	arena_reset(a);
	assert_int_equal(t.n, 1);
	arena_defer(a, mark_run, &m2);
	arena_free(a);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.order[0], 1);
	assert_int_equal(t.order[1], 2);
}

static void
arena_defer_null_is_not_registered(void **state)
{
	struct arena *a = arena_new();
	struct trail t = {{0}, 0};

	(void)state;
	assert_null(arena_defer(a, mark_run, NULL));
	arena_free(a); /* mark_run(NULL) would crash */
	assert_int_equal(t.n, 0);
}

static void
arena_defer_releases_foreign_memory(void **state)
{
	struct arena *a = arena_new();
	char *p = malloc(100);

	(void)state;
	assert_ptr_equal(arena_defer(a, free, p), p);
	arena_free(a); /* valgrind would report p if it leaked */
}

static void
arena_free_null_is_ok(void **state)
{
	(void)state;
	arena_free(NULL);
	arena_reset(NULL);
}

static void
arena_printf_formats(void **state)
{
	struct arena *a = arena_new();
	char *s;

	(void)state;
	s = arena_printf(a, "%s-%d-%05.1f-%c-%zu", "abc", -42, 3.14159, 'z', (size_t)7);
	assert_string_equal(s, "abc--42-003.1-z-7");
	s = arena_printf(a, "%s", "");
	assert_string_equal(s, "");
	arena_free(a);
}

static void
arena_printf_long_output(void **state)
{
	struct arena *a = arena_new();
	char *big = malloc(100001), *s;

	(void)state;
	memset(big, 'q', 100000);
	big[100000] = '\0';
	s = arena_printf(a, "<%s>", big);
	assert_int_equal(strlen(s), 100002);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[100001], '>');
	assert_int_equal(s[50000], 'q');
	free(big);
	arena_free(a);
}

static void
arena_strndup_copies_n_bytes(void **state)
{
	struct arena *a = arena_new();
	const char src[] = "hello, world";
	char *s;

	(void)state;
	s = arena_strndup(a, src, 5);
	assert_string_equal(s, "hello");
	assert_ptr_not_equal(s, src);
	s = arena_strndup(a, src, 0);
	assert_string_equal(s, "");
	/* Only n bytes are copied, then a NUL. */
	s = arena_strndup(a, "abcdef", 3);
	assert_int_equal(strlen(s), 3);
	assert_memory_equal(s, "abc", 4);
	arena_free(a);
}

static void
arena_strndup_keeps_embedded_nul(void **state)
{
	struct arena *a = arena_new();
	char *s;

	(void)state;
	s = arena_strndup(a, "ab\0cd", 5);
	assert_memory_equal(s, "ab\0cd\0", 6);
	arena_free(a);
}

static void
arena_strdup_copies_and_null_gives_null(void **state)
{
	struct arena *a = arena_new();
	char src[] = "copy me", *s;

	(void)state;
	s = arena_strdup(a, src);
	assert_string_equal(s, "copy me");
	src[0] = 'X';
	assert_string_equal(s, "copy me");
	assert_null(arena_strdup(a, NULL));
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(arena_alloc_is_aligned_16),
	    cmocka_unit_test(arena_alloc_is_zeroed),
	    cmocka_unit_test(arena_alloc_big_allocation_works),
	    cmocka_unit_test(arena_alloc_many_allocations_do_not_overlap),
	    cmocka_unit_test(arena_usable_after_reset),
	    cmocka_unit_test(arena_reset_keeps_first_block),
	    cmocka_unit_test(arena_reset_gives_back_big_blocks),
	    cmocka_unit_test(arena_reset_gives_back_big_blocks_after_small_ones),
	    cmocka_unit_test(arena_defer_runs_in_reverse_on_reset),
	    cmocka_unit_test(arena_defer_runs_in_reverse_on_free),
	    cmocka_unit_test(arena_defer_after_reset_runs_at_next_end),
	    cmocka_unit_test(arena_defer_null_is_not_registered),
	    cmocka_unit_test(arena_defer_releases_foreign_memory),
	    cmocka_unit_test(arena_free_null_is_ok),
	    cmocka_unit_test(arena_printf_formats),
	    cmocka_unit_test(arena_printf_long_output),
	    cmocka_unit_test(arena_strndup_copies_n_bytes),
	    cmocka_unit_test(arena_strndup_keeps_embedded_nul),
	    cmocka_unit_test(arena_strdup_copies_and_null_gives_null),
	};

	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
