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
