/*
 * saas-fcgi --hash-password: a password read from standard input, checked
 * with the strength rules of API.md and hashed with the configured Argon2id
 * parameters, exactly as the service does both. For tools that write users
 * straight into the database (scripts/create-superuser), so no second
 * implementation of either rule exists in a script.
 */
#ifndef HASHPW_H
#define HASHPW_H

#include <stdio.h>

struct config;

/*
 * Reads one line from in (its line end, "\n" or "\r\n", is not part of the
 * password), checks it against email's local part (email may be NULL) and
 * writes its hash and a newline to out. Returns the exit status: 0, or 1
 * with one line on err ("weak password: too_short", no input, a failure).
 * The password is wiped from memory before returning.
 */
int hashpw_run(const struct config *, const char *email, FILE *in, FILE *out, FILE *err);

#endif
