/*
 * From a handler's result to bytes on the wire: the one table mapping each
 * enum app_err to its HTTP status, the one error shape of API.md, the
 * headers every response carries, and CORS.
 */
#ifndef RESPOND_H
#define RESPOND_H

#include "app.h"
#include "http.h"

/* The HTTP status for an error. */
int respond_status(enum app_err);

/* Turns resp into the error reply for err (details from req->err_details). */
void respond_error(struct request *, struct response *, enum app_err);

/*
 * The CGI response head (Status line, headers, blank line) and body for
 * resp, in the request's arena. *body may point into resp.
 */
void respond_render(const struct app *, const struct request *, struct response *,
    const char **head, size_t *headlen, const char **body, size_t *bodylen);

#endif
