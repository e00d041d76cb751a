/*
 * Projects (API.md, "Projects"): the example tenant data. The rows live in
 * the tenant's own schema, and every statement here runs in a transaction
 * on that schema's path and role (the schema from the tenants row, never
 * from the request), so no SQL here names a tenant schema: another
 * tenant's project is out of reach, not filtered out, and answers 404 like
 * one that never was. Members list, read, create and edit; admins delete,
 * softly: a deleted project is gone from every read and its name is free.
 *
 * A name is trimmed of white space at both ends, then must hold 1..200
 * characters and no control character; it is unique in the tenant whatever
 * its case (the index projects_name_key). A description holds 0..10000
 * characters, kept as given; tabs and line breaks are its only controls.
 * Lengths count characters, as the table's CHECKs do.
 *
 * A project's ETag stands for its id and version (etag.h). GET, PATCH and
 * DELETE on one project honour If-Match (RFC 9110 13.1.1): PATCH and
 * DELETE check it against the row they have locked, so no change slips in
 * between the check and the write. Every change writes its audit entry in
 * the same transaction.
 */
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "etag.h"
#include "json.h"
#include "list.h"
#include "page.h"
#include "routes.h"
#include "text.h"
#include "token.h"
#include "validate.h"

#define NAME_CHARS 200
#define DESCRIPTION_CHARS 10000
/*
 * The field tables' bounds are in bytes; a character takes at most four in
 * UTF-8, so these let through every text the bounds in characters accept.
 */
#define NAME_BYTES (NAME_CHARS * 4)
#define DESCRIPTION_BYTES (DESCRIPTION_CHARS * 4)

/* The columns of a project, in the order project_json() reads them. */
#define PROJECT_COLS                                                                               \
	"id, name, description, created_by, public.rfc3339(created_at),"                           \
	" public.rfc3339(updated_at), version"
enum {
	COL_ID,
	COL_NAME,
	COL_DESCRIPTION,
	COL_CREATED_BY,
	COL_CREATED_AT,
	COL_UPDATED_AT,
	COL_VERSION,
	COL__MAX
};

static json_t *
project_json(const PGresult *res, int i)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", db_value(res, i, COL_ID), "name",
	    db_value(res, i, COL_NAME), "description", db_value(res, i, COL_DESCRIPTION),
	    "created_by", db_value(res, i, COL_CREATED_BY), "created_at",
	    db_value(res, i, COL_CREATED_AT), "updated_at", db_value(res, i, COL_UPDATED_AT));
}

/* The ETag of the project in the first row of res (NULL only for a broken row). */
static const char *
project_etag(struct request *req, const PGresult *res)
{
	return etag_make(req->arena, db_value(res, 0, COL_ID), db_value(res, 0, COL_VERSION));
}

/* Answers status with the project in the first row of res and its ETag; no-store. */
static enum app_err
project_reply(struct request *req, struct response *resp, int status, const PGresult *res)
{
	const char *tag = project_etag(req, res);

	if (tag == NULL)
		return APP_ERR_INTERNAL;
	response_header(resp, "ETag", tag);
	resp->no_store = 1;
	return response_json(req, resp, status, project_json(res, 0));
}

/* ---- input ----------------------------------------------------------- */

static const struct field create_fields[] = {
    {"name", FIELD_STRING, 1, 1, NAME_BYTES, NULL},
    {"description", FIELD_STRING, 0, 0, DESCRIPTION_BYTES, NULL},
};

static const struct field update_fields[] = {
    {"name", FIELD_STRING, 0, 1, NAME_BYTES, NULL},
    {"description", FIELD_STRING, 0, 0, DESCRIPTION_BYTES, NULL},
};

/* What a text field must be beyond its JSON type: the rules of the head comment. */
struct text_rule {
	const char *field;
	int trim;
	size_t min, max;      /* characters, after trimming */
	const char *controls; /* the control characters allowed */
};

static const struct text_rule name_rule = {"name", 1, 1, NAME_CHARS, ""};
static const struct text_rule description_rule = {"description", 0, 0, DESCRIPTION_CHARS, "\t\n\r"};

/*
 * The body's value of r->field as it is to be stored (in the arena), or
 * NULL when the body has none or it breaks the rule; then the issue goes
 * into details.
 */
static const char *
text_field(struct request *req, const struct text_rule *r, json_t *details)
{
	json_t *v = json_object_get(req->json, r->field);
	const char *s, *issue = NULL;
	size_t n, chars;

	if (v == NULL)
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (r->trim)
		s = text_trim(s, &n);
	chars = text_length(s, n);
	if (chars < r->min)
		issue = "too_short";
	else if (chars > r->max)
		issue = "too_long";
	else if (text_has_control(s, n, r->controls))
		issue = "invalid";
	if (issue == NULL)
		return arena_strndup(req->arena, s, n);
	json_array_append_new(details, json_pack("{s:s, s:s}", "field", r->field, "issue", issue));
	return NULL;
}

/*
 * Checks the body against fields and the text rules; *name and
 * *description are what to store, NULL where the body has none. 422
 * VALIDATION_FAILED with details.
 */
static enum app_err
project_input(
    struct request *req, const struct field *fields, const char **name, const char **description)
{
	json_t *details;
	enum app_err err;

	if ((err = request_fields(req, fields, 2)) != APP_OK)
		return err;
	details = req_json(req, json_array());
	*name = text_field(req, &name_rule, details);
	*description = text_field(req, &description_rule, details);
	if (json_array_size(details) == 0)
		return APP_OK;
	req->err_details = details;
	return APP_ERR_VALIDATION_FAILED;
}

/* ---- list --------------------------------------------------------------- */

/*
 * Newest first, after the cursor (page.h). q matches names that contain
 * it, ignoring case; strpos() takes it as plain text, so % _ and \ are no
 * wildcards.
 */
#define LIST_KEY PAGE_KEY("created_at")
#define LIST_AFTER PAGE_AFTER("created_at", "id", "$2", "$3")
static const char sql_list[] =
    "SELECT " PROJECT_COLS ", " LIST_KEY ", id FROM projects"
    " WHERE deleted_at IS NULL"
    "  AND ($4::text IS NULL OR strpos(lower(name), lower($4::text)) > 0)"
    "  AND " LIST_AFTER " ORDER BY created_at DESC, id DESC LIMIT $1";

static const char *const list_names[] = {"q"};

/* q, when given, holds 1..200 characters, as a name does. 422 otherwise. */
static enum app_err
q_check(struct request *req, const char *q)
{
	size_t n = text_length(q, strlen(q));
	const char *issue = n < 1 ? "too_short" : n > NAME_CHARS ? "too_long" : NULL;

	if (issue == NULL)
		return APP_OK;
	req->err_details = req_json(req, json_pack("[{s:s, s:s}]", "field", "q", "issue", issue));
	return APP_ERR_VALIDATION_FAILED;
}

/*
 * GET /projects?limit&cursor&q: 200 {items, next_cursor}, newest first;
 * 400 INVALID_CURSOR, INVALID_QUERY; 422 (limit, q of 1..200 characters,
 * unknown names).
 */
enum app_err
projects_list(struct app *app, struct request *req, struct response *resp)
{
	struct page page;
	const char *q, **p;
	enum app_err err;

	if ((err = page_parse(req, list_names, &q, 1, &page)) != APP_OK ||
	    (q != NULL && (err = q_check(req, q)) != APP_OK))
		return err;
	p = arena_alloc(req->arena, 4 * sizeof(*p));
	p[0] = page.fetch;
	p[1] = page.after_us;
	p[2] = page.after_id;
	p[3] = q;
	return page_reply(app, req, resp, req->who->schema, &(struct db_stmt){sql_list, 4, p},
	    &page, project_json, COL__MAX);
}

/* ---- create ----------------------------------------------------------- */

static const char sql_create[] = "INSERT INTO projects (id, name, description, created_by)"
                                 " VALUES ($1, $2, coalesce($3, ''), $4) RETURNING " PROJECT_COLS;

/*
 * POST /projects {name, description?}: 201 the project, Location, ETag;
 * 409 PROJECT_NAME_TAKEN; 422.
 */
enum app_err
projects_create(struct app *app, struct request *req, struct response *resp)
{
	const struct principal *who = req->who;
	char *id = arena_alloc(req->arena, 37);
	const char *name, *description, **p;
	struct db_stmt st[2];
	PGresult *res[2];
	enum app_err err;

	if ((err = project_input(req, create_fields, &name, &description)) != APP_OK)
		return err;
	/* The id is made here so the audit entry, sent along, can name it. */
	if (token_uuid(id) == -1)
		return APP_ERR_INTERNAL;
	p = arena_alloc(req->arena, 4 * sizeof(*p));
	p[0] = id;
	p[1] = name;
	p[2] = description;
	p[3] = who->user_id;
	st[0] = (struct db_stmt){sql_create, 4, p};
	st[1] = audit_stmt(req,
	    &(struct audit_entry){"project.create", who->user_id, who->impersonator_id,
	        who->tenant_id, "project", id, req_json(req, json_pack("{s:s}", "name", name))});
	if ((err = db_tx(app->db, req->arena, who->schema, st, 2, res)) != APP_OK)
		return err;
	response_header(resp, "Location", arena_printf(req->arena, "/api/v1/projects/%s", id));
	return project_reply(req, resp, 201, res[0]);
}

/* ---- one project ------------------------------------------------------ */

static const char sql_get[] =
    "SELECT " PROJECT_COLS " FROM projects WHERE id = $1 AND deleted_at IS NULL";

/* The row a change starts from, locked until the transaction ends. */
static const char sql_lock[] =
    "SELECT " PROJECT_COLS " FROM projects WHERE id = $1 AND deleted_at IS NULL FOR UPDATE";

/* Whether If-Match holds for the project in res: 412, or 400 for a value that is none. */
static enum app_err
precondition(struct request *req, const PGresult *res)
{
	const char *tag = project_etag(req, res);

	if (tag == NULL)
		return APP_ERR_INTERNAL;
	switch (etag_if_match(req->if_match, tag)) {
	case 1:
		return APP_OK;
	case 0:
		return APP_ERR_PRECONDITION_FAILED;
	default:
		return APP_ERR_BAD_REQUEST;
	}
}

/* GET /projects/{id}: 200 the project, ETag; 404 (also another tenant's); 412. */
enum app_err
projects_get(struct app *app, struct request *req, struct response *resp)
{
	PGresult *res;
	enum app_err err;

	/* Checked first: a malformed id must not reach SQL as a failed cast. */
	if (!uuid_is_valid(req->params[0]))
		return APP_ERR_NOT_FOUND;
	if ((err = db_tx(app->db, req->arena, req->who->schema,
	         &(struct db_stmt){sql_get, 1, &req->params[0]}, 1, &res)) != APP_OK)
		return err;
	if (PQntuples(res) != 1)
		return APP_ERR_NOT_FOUND;
	if ((err = precondition(req, res)) != APP_OK)
		return err;
	return project_reply(req, resp, 200, res);
}

/*
 * Begins the tenant transaction of a change to project {id} and locks its
 * row into *cur: 404 for a malformed, unknown or deleted id, then 412 (400)
 * when If-Match does not hold. On success the transaction stays open.
 */
static enum app_err
lock_project(struct app *app, struct request *req, PGresult **cur)
{
	enum app_err err;

	if (!uuid_is_valid(req->params[0]))
		return APP_ERR_NOT_FOUND;
	if ((err = db_begin(app->db, req->arena, req->who->schema)) != APP_OK)
		return err;
	if ((err = db_query(app->db, req->arena, &(struct db_stmt){sql_lock, 1, &req->params[0]},
	         cur)) == APP_OK)
		err = PQntuples(*cur) == 1 ? precondition(req, *cur) : APP_ERR_NOT_FOUND;
	if (err != APP_OK)
		db_rollback(app->db);
	return err;
}

/*
 * Runs st, the change to the project locked in cur, which must return one
 * row (else 412: the row moved), into *res; then the change's audit entry
 * and the commit. Rolls back on any failure.
 */
static enum app_err
change(struct app *app, struct request *req, const PGresult *cur, const struct db_stmt *st,
    const char *action, json_t *details, PGresult **res)
{
	const struct principal *who = req->who;
	struct db_stmt audit = audit_stmt(req,
	    &(struct audit_entry){action, who->user_id, who->impersonator_id, who->tenant_id,
	        "project", db_value(cur, 0, COL_ID), details});
	enum app_err err;

	if ((err = db_query(app->db, req->arena, st, res)) == APP_OK && PQntuples(*res) != 1)
		err = APP_ERR_PRECONDITION_FAILED;
	if (err == APP_OK && (err = db_command(app->db, req->arena, &audit)) == APP_OK)
		err = db_commit(app->db);
	if (err != APP_OK)
		db_rollback(app->db);
	return err;
}

/*
 * The version the change was checked against stays a condition of the
 * write; the lock keeps it true, and a row that moved anyway is a 412.
 */
static const char sql_update[] =
    "UPDATE projects SET name = $3, description = $4, version = version + 1, updated_at = now()"
    " WHERE id = $1 AND version = $2 AND deleted_at IS NULL RETURNING " PROJECT_COLS;

/*
 * Keeps *value when the body has one that differs from the column of cur
 * (and names the field in changed); otherwise takes the stored one.
 */
static void
merge(const PGresult *cur, int col, const char *field, const char **value, json_t *changed)
{
	const char *stored = db_value(cur, 0, col);

	if (*value != NULL && strcmp(*value, stored) != 0)
		json_array_append_new(changed, json_string(field));
	else
		*value = stored;
}

/*
 * PATCH /projects/{id} {name?, description?}, If-Match optional: 200 the
 * project and its new ETag (unchanged, and nothing written, when no value
 * differs); 404; 409 PROJECT_NAME_TAKEN; 412 PRECONDITION_FAILED; 422.
 */
enum app_err
projects_update(struct app *app, struct request *req, struct response *resp)
{
	const char *p[4];
	PGresult *cur, *res;
	json_t *changed;
	enum app_err err;

	if ((err = project_input(req, update_fields, &p[2], &p[3])) != APP_OK)
		return err;
	if (p[2] == NULL && p[3] == NULL) {
		req->err_details =
		    req_json(req, json_pack("[{s:s, s:s}]", "field", "body", "issue", "required"));
		return APP_ERR_VALIDATION_FAILED;
	}
	if ((err = lock_project(app, req, &cur)) != APP_OK)
		return err;
	changed = req_json(req, json_array());
	merge(cur, COL_NAME, "name", &p[2], changed);
	merge(cur, COL_DESCRIPTION, "description", &p[3], changed);
	if (json_array_size(changed) == 0) {
		db_rollback(app->db);
		return project_reply(req, resp, 200, cur);
	}
	p[0] = db_value(cur, 0, COL_ID);
	p[1] = db_value(cur, 0, COL_VERSION);
	if ((err = change(app, req, cur, &(struct db_stmt){sql_update, 4, p}, "project.update",
	         req_json(req, json_pack("{s:O}", "fields", changed)), &res)) != APP_OK)
		return err;
	return project_reply(req, resp, 200, res);
}

static const char sql_delete[] = "UPDATE projects SET deleted_at = now()"
                                 " WHERE id = $1 AND version = $2 AND deleted_at IS NULL"
                                 " RETURNING id";

/* DELETE /projects/{id}, If-Match optional: 204, soft; 403 below admin; 404; 412. */
enum app_err
projects_delete(struct app *app, struct request *req, struct response *resp)
{
	const char *p[2];
	PGresult *cur, *res;
	enum app_err err;

	if ((err = lock_project(app, req, &cur)) != APP_OK)
		return err;
	p[0] = db_value(cur, 0, COL_ID);
	p[1] = db_value(cur, 0, COL_VERSION);
	if ((err = change(app, req, cur, &(struct db_stmt){sql_delete, 2, p}, "project.delete",
	         req_json(req, json_pack("{s:s}", "name", db_value(cur, 0, COL_NAME))), &res)) !=
	    APP_OK)
		return err;
	resp->status = 204;
	return APP_OK;
}
