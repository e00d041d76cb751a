/*
 * One request, start to end: CGI parameters into a struct request, the
 * request id, the route, the body, the handler, the response, the log line
 * and the counters. The only place where a request meets libfcgi.
 */
#ifndef SERVE_H
#define SERVE_H

#include <fcgiapp.h>

#include "app.h"

struct arena;

/* Answers the request held by fr. Everything it allocates is in a. */
void serve(struct app *, FCGX_Request *fr, struct arena *a);

#endif
