/*
 * One error enum for the whole program. Zero is success. Every member is
 * also an error code of the HTTP contract (API.md): app_strerror() gives the
 * code's name and a sentence for a person; fcgi/ maps each to its HTTP status
 * in one table. lib/ returns these and never talks to a client.
 */
#ifndef ERR_H
#define ERR_H

#define APP_ERRORS(X)                                                                              \
	X(OK, "OK", "ok")                                                                          \
	X(BAD_REQUEST, "BAD_REQUEST", "The request could not be understood.")                      \
	X(INVALID_JSON, "INVALID_JSON", "The request body is not valid JSON.")                     \
	X(INVALID_CURSOR, "INVALID_CURSOR", "The cursor is not valid.")                            \
	X(INVALID_TENANT, "INVALID_TENANT", "The tenant slug is not valid.")                       \
	X(INVALID_QUERY, "INVALID_QUERY", "The query string is not valid.")                        \
	X(TENANT_MISMATCH, "TENANT_MISMATCH", "The request names two different tenants.")          \
	X(UNAUTHENTICATED, "UNAUTHENTICATED", "Authentication is required.")                       \
	X(INVALID_TOKEN, "INVALID_TOKEN", "The token is not valid.")                               \
	X(INVALID_LINK_TOKEN, "INVALID_TOKEN", "The link is not valid or has expired.")            \
	X(TOKEN_EXPIRED, "TOKEN_EXPIRED", "The token has expired.")                                \
	X(REFRESH_TOKEN_REUSED, "REFRESH_TOKEN_REUSED",                                            \
	    "The refresh token was already used; the session has ended.")                          \
	X(INVALID_CREDENTIALS, "INVALID_CREDENTIALS", "The email or password is wrong.")           \
	X(FORBIDDEN, "FORBIDDEN", "You are not allowed to do this.")                               \
	X(NOT_A_MEMBER, "NOT_A_MEMBER", "You are not a member of this tenant.")                    \
	X(EMAIL_NOT_VERIFIED, "EMAIL_NOT_VERIFIED", "The email address is not verified yet.")      \
	X(ACCOUNT_DISABLED, "ACCOUNT_DISABLED", "The account is disabled.")                        \
	X(TENANT_SUSPENDED, "TENANT_SUSPENDED", "The tenant is suspended.")                        \
	X(TENANT_TOKEN_MISMATCH, "TENANT_MISMATCH", "The token belongs to another tenant.")        \
	X(IMPERSONATION_FORBIDDEN, "IMPERSONATION_FORBIDDEN",                                      \
	    "This is not allowed under impersonation.")                                            \
	X(INVITE_EMAIL_MISMATCH, "INVITE_EMAIL_MISMATCH",                                          \
	    "The invitation was sent to another email address.")                                   \
	X(NOT_FOUND, "NOT_FOUND", "Nothing is here.")                                              \
	X(TENANT_NOT_FOUND, "TENANT_NOT_FOUND", "The tenant does not exist.")                      \
	X(METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "This method is not allowed on this path.")    \
	X(CONFLICT, "CONFLICT", "The request conflicts with the current state.")                   \
	X(EMAIL_ALREADY_EXISTS, "EMAIL_ALREADY_EXISTS",                                            \
	    "An account with this email already exists.")                                          \
	X(SLUG_TAKEN, "SLUG_TAKEN", "This tenant slug is taken.")                                  \
	X(PROJECT_NAME_TAKEN, "PROJECT_NAME_TAKEN", "A project with this name already exists.")    \
	X(ALREADY_VERIFIED, "ALREADY_VERIFIED", "The email address is already verified.")          \
	X(ALREADY_MEMBER, "ALREADY_MEMBER", "This user is already a member.")                      \
	X(INVITE_PENDING, "INVITE_PENDING", "An invitation for this email is already pending.")    \
	X(LAST_OWNER, "LAST_OWNER", "The last owner cannot be removed or demoted.")                \
	X(TENANT_DELETED, "TENANT_DELETED", "The tenant has been deleted.")                        \
	X(PRECONDITION_FAILED, "PRECONDITION_FAILED",                                              \
	    "The resource has changed since you read it.")                                         \
	X(PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "The request body is too large.")                \
	X(UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",                                        \
	    "The request body has an unsupported content type.")                                   \
	X(VALIDATION_FAILED, "VALIDATION_FAILED", "Some fields are not valid.")                    \
	X(WEAK_PASSWORD, "WEAK_PASSWORD", "The password is too weak.")                             \
	X(RATE_LIMITED, "RATE_LIMITED", "Too many requests; try again later.")                     \
	X(INTERNAL, "INTERNAL", "Something went wrong on our side.")                               \
	X(SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.")   \
	X(TENANT_NOT_READY, "TENANT_NOT_READY", "The tenant is not ready yet.")

#define APP_ERR_ENUM(name, code, msg) APP_ERR_##name,
enum app_err { APP_ERRORS(APP_ERR_ENUM) APP_ERR__MAX };
#undef APP_ERR_ENUM
#define APP_OK APP_ERR_OK

/* The contract's code, e.g. "NOT_FOUND". Never NULL. */
const char *app_errcode(enum app_err);

/* A sentence for a person. Never NULL, never internal detail. */
const char *app_strerror(enum app_err);

#endif
