/*
 * Lists as API.md shapes them: {"items": [...], "next_cursor": ...}. The
 * lists here fit one page (a tenant's members, a user's tenants, a tenant's
 * invitations), so next_cursor is null; paged lists come with their cursor.
 */
#ifndef LIST_H
#define LIST_H

#include "app.h"
#include "db.h"
#include "http.h"

/* Runs st and answers 200 with one item per row, made by row(res, i); no-store. */
enum app_err list_reply(struct app *, struct request *, struct response *, const struct db_stmt *st,
    json_t *(*row)(const PGresult *, int));

#endif
