/*
 * Sessions: who is calling, and how a session starts. One session is one
 * refresh-token family; the access token carries its id (sid), and every
 * request with a token checks in one lobby query that the session is alive,
 * the user active, the membership and role, and tokens_valid_after. So
 * logout, logout-all, password changes and removals take effect on the very
 * next request, and nothing depends on a cache remembering a revocation.
 */
#ifndef SESSION_H
#define SESSION_H

#include "app.h"
#include "db.h"
#include "http.h"

/*
 * Verifies the request's bearer token and loads req->who. 401
 * UNAUTHENTICATED (no token), INVALID_TOKEN, TOKEN_EXPIRED; SERVICE_UNAVAILABLE.
 */
enum app_err session_authenticate(struct app *, struct request *);

/*
 * The tenant slug a request names: the web server's TENANT_SLUG first, then
 * X-Tenant-Slug (both present and different: 400 TENANT_MISMATCH; malformed:
 * 400 INVALID_TENANT). *slug is NULL when the request names none by slug;
 * *host is then the Host without its port, for a custom domain.
 */
enum app_err session_requested_tenant(const struct request *, const char **slug, const char **host);

/*
 * For a tenant-scoped route (NEED_TENANT, NEED_ADMIN, NEED_OWNER), after
 * session_authenticate(): the token must be for the tenant the request
 * names (403 TENANT_MISMATCH; a lobby token too), the tenant must serve
 * (503 TENANT_NOT_READY, 403 TENANT_SUSPENDED, 410 TENANT_DELETED), and the
 * membership's role must be enough (403 FORBIDDEN). 400 for a bad slug.
 */
enum app_err session_require_tenant(struct request *, unsigned needs);

/*
 * What a request for a tenant in this status answers (API.md, "Tenant
 * resolution"): APP_OK when ready; 503 TENANT_NOT_READY (provisioning,
 * failed, or a status this code does not know), 403 TENANT_SUSPENDED,
 * 410 TENANT_DELETED (deleting, deleted).
 */
enum app_err session_tenant_state(const char *status);

/*
 * For a superuser route (NEED_SUPERUSER), after session_authenticate(): an
 * impersonation token is 403 IMPERSONATION_FORBIDDEN whoever it names, and
 * anyone whose users row is not a superuser's is 403 FORBIDDEN.
 */
enum app_err session_require_superuser(const struct request *);

/*
 * The statements that begin a transaction changing a user's sessions or
 * password (see public.lock_user in the lobby schema): the user's row
 * locked, and the password hash, when given, still the one just verified.
 * And the session a request acts from, locked and still alive.
 */
struct db_stmt session_lock_user(struct request *, const char *user_id, const char *hash);
struct db_stmt session_lock_session(struct request *, const char *session_id);

/* Whom a new session is for. tenant_* are NULL for a lobby session. */
struct session_subject {
	const char *user_id;
	const char *tenant_id, *tenant_slug, *role;
	const char *impersonator_id;
};

/* The pair a login returns. Strings live in the request's arena. */
struct session_pair {
	const char *access_token;
	const char *refresh_token;
	const char *session_id;
	long expires_in;
};

/* The longest an impersonation lasts, in seconds (API.md: at most 15 min). */
#define SESSION_IMPERSONATION_TTL_MAX 900

/*
 * Starts a session for s with its first refresh token and signs the access
 * token, in one transaction together with the extra statements: the first
 * nbefore of them run before the session is made (revoking others), the
 * rest after (the audit entry of whatever started it).
 *
 * With s->impersonator_id set it is an impersonation: no refresh token
 * (out->refresh_token stays NULL), and the session and its one access
 * token (claim act) end after ACCESS_TOKEN_TTL, at most
 * SESSION_IMPERSONATION_TTL_MAX.
 */
enum app_err session_start(struct app *, struct request *, const struct session_subject *s,
    const struct db_stmt *extra, size_t nextra, size_t nbefore, struct session_pair *out);

/* Signs an access token for an existing session (capped as above for an impersonation). */
enum app_err session_access_token(struct app *, struct request *, const struct session_subject *s,
    const char *session_id, struct session_pair *out);

/*
 * The body of a token answer: {access_token, refresh_token, token_type,
 * expires_in, tenant: {slug, role} | null}, without refresh_token when
 * there is none (an impersonation). Sets Cache-Control: no-store.
 */
enum app_err session_reply(struct request *, struct response *, int status,
    const struct session_subject *s, const struct session_pair *p);

#endif
