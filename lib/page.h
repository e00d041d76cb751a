/*
 * Paged lists (API.md, "Conventions"): ?limit= (1..100, default 20) and
 * ?cursor=, newest first. A cursor names the last row of the page before:
 * its time in microseconds since the epoch and its id, so a page is
 * "(time, id) < (cursor)" in (time DESC, id DESC) order and stays stable
 * while rows are inserted. To a client the cursor is opaque text; here it
 * is "<microseconds>.<32 hex digits of the id>". No I/O.
 */
#ifndef PAGE_H
#define PAGE_H

#include <stddef.h>

#include "err.h"

struct arena;
struct request;

#define PAGE_LIMIT_DEFAULT 20
#define PAGE_LIMIT_MAX 100

struct page {
	long limit;
	char fetch[24]; /* limit + 1 as text: one row more tells if a next page exists */
	/* From the cursor, as bind parameters; both NULL on the first page. */
	const char *after_us, *after_id;
	char us_buf[24], id_buf[37];
};

/*
 * SQL for a page over rows keyed by a time column T and an id column I, in
 * (T DESC, I DESC) order. PAGE_KEY(T) is the microseconds a cursor holds;
 * PAGE_AFTER(T, I, "$n", "$m") with after_us bound to $n and after_id to $m
 * keeps the rows after the cursor (all of them on the first page):
 *
 *     SELECT ..., PAGE_KEY("p.created_at"), p.id FROM projects p
 *     WHERE PAGE_AFTER("p.created_at", "p.id", "$2", "$3")
 *     ORDER BY p.created_at DESC, p.id DESC LIMIT $1     -- $1: fetch
 */
#define PAGE_KEY(t) "(extract(epoch FROM " t ") * 1000000)::bigint"
#define PAGE_AFTER(t, i, us, id)                                                                   \
	"(" us "::bigint IS NULL OR (" t ", " i ") < (timestamptz 'epoch' + " us                   \
	"::bigint * interval '1 microsecond', " id "::uuid))"

/*
 * Reads limit, cursor and the names in extra[0..nextra-1] from the request's
 * query string; values[i] gets extra[i]'s value or NULL. Errors: 400
 * INVALID_QUERY (bad escapes, NUL, not UTF-8, a name given twice), 400
 * INVALID_CURSOR, 422 VALIDATION_FAILED with details in req->err_details
 * (limit not a number in 1..100: issue "invalid"; a name that is not limit,
 * cursor or one of extra: issue "unknown").
 */
enum app_err page_parse(struct request *, const char *const *extra, const char **values,
    size_t nextra, struct page *out);

/* A filter of a paged list: a query parameter and the check of its value (or NULL). */
struct page_filter {
	const char *name;
	int (*valid)(const char *);
};

#define PAGE_FILTERS_MAX 8

/*
 * page_parse() with the names of filters[0..n-1] (n at most
 * PAGE_FILTERS_MAX), then each given value checked: one that fails is 422
 * VALIDATION_FAILED, issue "invalid".
 */
enum app_err page_parse_filters(struct request *, const struct page_filter *filters, size_t n,
    const char **values, struct page *out);

/*
 * The bind parameters of a page's statement, in the arena: $1 fetch, $2
 * after_us, $3 after_id (as PAGE_AFTER takes them), then values[0..n-1]
 * as $4 onwards. They point into page, which must outlive them.
 */
const char **page_params(struct arena *, const struct page *, const char *const *values, size_t n);

/* Parses a cursor into us (decimal text) and id (canonical uuid). 0 or -1. */
int page_cursor_parse(const char *cursor, char us[24], char id[37]);

/* The cursor for a row with time us (decimal text) and a uuid, in the arena; NULL if bad. */
char *page_cursor(struct arena *, const char *us, const char *id);

#endif
