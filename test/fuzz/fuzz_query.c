/*
 * Query strings of paged lists and their cursors (lib/page.c): the input
 * is a query string for page_parse() (with "q", as the projects list) and
 * page_parse_filters() (status, since and action, as the admin lists), and
 * a cursor for page_cursor_parse() on its own.
 */
#include "fuzz.h"

#include <string.h>

#include "arena.h"
#include "http.h"
#include "page.h"
#include "validate.h"

static const char *const list_names[] = {"q"};

static const struct page_filter filters[] = {
    {"status", tenant_status_is_valid},
    {"since", rfc3339_is_valid},
    {"action", NULL},
};
#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

/* What a page that parsed holds. */
static void
check_page(struct arena *a, const struct page *p)
{
	char fetch[24], us[24], id[37], *cursor;

	FUZZ_ASSERT(p->limit >= 1 && p->limit <= PAGE_LIMIT_MAX, "limit within 1..100");
	snprintf(fetch, sizeof(fetch), "%ld", p->limit + 1);
	FUZZ_ASSERT(strcmp(p->fetch, fetch) == 0, "fetch is limit + 1");
	FUZZ_ASSERT((p->after_us == NULL) == (p->after_id == NULL), "a cursor is both or none");
	if (p->after_us == NULL)
		return;
	FUZZ_ASSERT(uuid_is_valid(p->after_id), "the cursor's id is a uuid");
	cursor = page_cursor(a, p->after_us, p->after_id);
	FUZZ_ASSERT(cursor != NULL, "a parsed cursor can be made again");
	FUZZ_ASSERT(page_cursor_parse(cursor, us, id) == 0 && strcmp(us, p->after_us) == 0 &&
	        strcmp(id, p->after_id) == 0,
	    "a cursor made again parses the same");
	(void)page_params(a, p, NULL, 0);
}

static void
check_refusal(enum app_err err, struct request *req)
{
	FUZZ_ASSERT(err == APP_ERR_INVALID_QUERY || err == APP_ERR_INVALID_CURSOR ||
	        err == APP_ERR_VALIDATION_FAILED,
	    "a refusal is INVALID_QUERY, INVALID_CURSOR or VALIDATION_FAILED");
	FUZZ_ASSERT((err == APP_ERR_VALIDATION_FAILED) == (req->err_details != NULL),
	    "details exactly for VALIDATION_FAILED");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *arena;
	struct request req;
	struct page page;
	const char *values[NFILTERS];
	char *s = fuzz_cstr(data, size), us[24], id[37], *again;
	enum app_err err;
	size_t i;

	if (arena == NULL)
		arena = arena_new();
	memset(&req, 0, sizeof(req));
	req.arena = arena;
	req.query = s;

	err = page_parse(&req, list_names, values, 1, &page);
	if (err == APP_OK)
		check_page(req.arena, &page);
	else
		check_refusal(err, &req);

	req.err_details = NULL;
	err = page_parse_filters(&req, filters, NFILTERS, values, &page);
	if (err == APP_OK) {
		check_page(req.arena, &page);
		for (i = 0; i < NFILTERS; i++)
			FUZZ_ASSERT(values[i] == NULL || filters[i].valid == NULL ||
			        filters[i].valid(values[i]),
			    "a filter's value passed its check");
	} else
		check_refusal(err, &req);

	if (page_cursor_parse(s, us, id) == 0) {
		FUZZ_ASSERT(uuid_is_valid(id), "a cursor's id is a uuid");
		again = page_cursor(req.arena, us, id);
		FUZZ_ASSERT(
		    again != NULL && strcmp(again, s) == 0, "a cursor is made again the same");
	}

	arena_reset(arena); /* as a worker between requests */
	free(s);
	return 0;
}
