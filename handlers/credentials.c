/*
 * Passwords as the endpoints take them (see credentials.h).
 */
#include "credentials.h"

#include <string.h>

#include "arena.h"
#include "password.h"

enum app_err
credentials_strong(struct request *req, const char *field, const char *password, const char *email,
    const char *const *words)
{
	enum password_weakness w = password_strength(password, strlen(password), email, words);

	if (w == PASSWORD_STRONG)
		return APP_OK;
	req->err_details = req_json(
	    req, json_pack("[{s:s, s:s}]", "field", field, "issue", password_weakness_reason(w)));
	return APP_ERR_WEAK_PASSWORD;
}

const char *
credentials_hash(struct app *app, struct request *req, const char *password)
{
	struct password_params pp = password_params_from_config(&app->cfg);
	char *out = arena_alloc(req->arena, PASSWORD_HASH_MAX);

	return password_hash(&pp, password, strlen(password), out, PASSWORD_HASH_MAX) == 0 ? out
	                                                                                   : NULL;
}
