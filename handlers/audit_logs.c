/*
 * The audit log read back (API.md, "Audit log"): a tenant's entries for its
 * admins, every entry for a superuser, newest first. Both lists are one
 * statement with one table of filters. The tenant's list binds the tenant
 * of the request's own token in place of the tenant_id filter, which it
 * does not take (an unknown filter is 422): no query string reaches
 * another tenant's entries.
 */
#include "arena.h"
#include "db.h"
#include "json.h"
#include "list.h"
#include "routes.h"
#include "validate.h"

/* An entry as API.md shapes it; the columns of entry_json(). */
#define ENTRY_COLS                                                                                 \
	"id, public.rfc3339(at), action, outcome, actor_id, impersonator_id, tenant_id,"           \
	" target_type, target_id, ip, user_agent, request_id, details::text"

/*
 * Since is inclusive and until exclusive, so that adjacent windows never
 * share an entry. Each filter is NULL or checked by entry_filters' rule.
 * (The page macros sit inside the text, which clang-format would take for
 * their arguments.)
 */
/* clang-format off */
static const char sql_entries[] =
    "SELECT " ENTRY_COLS ", " PAGE_KEY("at") ", id FROM public.audit_logs"
    " WHERE ($4::text IS NULL OR action = $4)"
    "  AND ($5::uuid IS NULL OR actor_id = $5)"
    "  AND ($6::timestamptz IS NULL OR at >= $6)"
    "  AND ($7::timestamptz IS NULL OR at < $7)"
    "  AND ($8::uuid IS NULL OR tenant_id = $8)"
    "  AND " PAGE_AFTER("at", "id", "$2", "$3")
    " ORDER BY at DESC, id DESC LIMIT $1";
/* clang-format on */

/* $4.. of sql_entries, in order; the tenant's list takes all but the last. */
static const struct page_filter entry_filters[] = {
    {"action", NULL},
    {"actor_id", uuid_is_valid},
    {"since", rfc3339_is_valid},
    {"until", rfc3339_is_valid},
    {"tenant_id", uuid_is_valid},
};
#define NFILTERS (sizeof(entry_filters) / sizeof(entry_filters[0]))
#define TENANT_FILTER (NFILTERS - 1)

/* {id, at, action, outcome, actor_id, impersonator_id, tenant_id, target_type,
 * target_id, ip, user_agent, request_id, details}. */
static json_t *
entry_json(const PGresult *res, int i)
{
	const char *text = db_value(res, i, 12);
	json_t *details = text != NULL ? json_loads(text, 0, NULL) : NULL;

	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "id",
	    db_value(res, i, 0), "at", db_value(res, i, 1), "action", db_value(res, i, 2),
	    "outcome", db_value(res, i, 3), "actor_id", db_value(res, i, 4), "impersonator_id",
	    db_value(res, i, 5), "tenant_id", db_value(res, i, 6), "target_type",
	    db_value(res, i, 7), "target_id", db_value(res, i, 8), "ip", db_value(res, i, 9),
	    "user_agent", db_value(res, i, 10), "request_id", db_value(res, i, 11), "details",
	    details != NULL ? details : json_object());
}

/*
 * A page of entries: of tenant_id only, the tenant_id filter not taken,
 * or (tenant_id NULL) of every tenant and none.
 */
static enum app_err
entries(struct app *app, struct request *req, struct response *resp, const char *tenant_id)
{
	const char *values[NFILTERS] = {NULL};
	struct page page;
	enum app_err err;

	if ((err = page_parse_filters(req, entry_filters,
	         tenant_id != NULL ? TENANT_FILTER : NFILTERS, values, &page)) != APP_OK)
		return err;
	if (tenant_id != NULL)
		values[TENANT_FILTER] = tenant_id;
	return page_reply(app, req, resp, NULL,
	    &(struct db_stmt){
	        sql_entries, 3 + NFILTERS, page_params(req->arena, &page, values, NFILTERS)},
	    &page, entry_json, 13);
}

/*
 * GET /audit-logs?action&actor_id&since&until&limit&cursor: 200 the
 * tenant's entries, newest first; 403 below admin; 422 for a malformed
 * filter or one not taken here.
 */
enum app_err
audit_logs_list(struct app *app, struct request *req, struct response *resp)
{
	if (req->who->tenant_id == NULL)
		return APP_ERR_INTERNAL; /* the route table's NEED_ADMIN saw to it */
	return entries(app, req, resp, req->who->tenant_id);
}

/* GET /admin/audit-logs?...&tenant_id: 200 every entry, newest first; 422. */
enum app_err
audit_logs_admin_list(struct app *app, struct request *req, struct response *resp)
{
	return entries(app, req, resp, NULL);
}
