/* One-page lists (see list.h). */
#include "list.h"

enum app_err
list_reply(struct app *app, struct request *req, struct response *resp, const struct db_stmt *st,
    json_t *(*row)(const PGresult *, int))
{
	json_t *items;
	PGresult *res;
	enum app_err err;
	int i;

	if ((err = db_query(app->db, req->arena, st, &res)) != APP_OK)
		return err;
	items = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(items, row(res, i));
	resp->no_store = 1;
	return response_json(
	    req, resp, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

enum app_err
page_reply(struct app *app, struct request *req, struct response *resp, const char *schema,
    const struct db_stmt *st, const struct page *page, json_t *(*row)(const PGresult *, int),
    int key_col)
{
	json_t *items, *next = json_null();
	PGresult *res;
	enum app_err err;
	int i, n;

	if (schema != NULL)
		err = db_tx(app->db, req->arena, schema, st, 1, &res);
	else
		err = db_query(app->db, req->arena, st, &res);
	if (err != APP_OK)
		return err;
	n = PQntuples(res);
	if (n > page->limit) {
		n = (int)page->limit;
		next = json_string(page_cursor(
		    req->arena, db_value(res, n - 1, key_col), db_value(res, n - 1, key_col + 1)));
		if (next == NULL)
			return APP_ERR_INTERNAL;
	}
	items = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(items, row(res, i));
	resp->no_store = 1;
	return response_json(
	    req, resp, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
