/*
 * Lists as API.md shapes them: {"items": [...], "next_cursor": ...}. The
 * lists here fit one page (a tenant's members, a user's tenants, a tenant's
 * invitations), so next_cursor is null. Paged lists (page.h) come with
 * their cursor.
 */
#ifndef LIST_H
#define LIST_H

#include "app.h"
#include "db.h"
#include "http.h"
#include "page.h"

/* Runs st and answers 200 with one item per row, made by row(res, i); no-store. */
enum app_err list_reply(struct app *, struct request *, struct response *, const struct db_stmt *st,
    json_t *(*row)(const PGresult *, int));

/*
 * Runs st (in a transaction on schema's search path and role when schema is
 * not NULL) and answers 200 with the first page->limit rows, made by
 * row(res, i), and next_cursor from the last of them when st returned more
 * (st asks for page->fetch rows). Columns key_col and key_col + 1 of st are
 * PAGE_KEY(time) and the id. no-store.
 */
enum app_err page_reply(struct app *, struct request *, struct response *, const char *schema,
    const struct db_stmt *st, const struct page *, json_t *(*row)(const PGresult *, int),
    int key_col);

#endif
