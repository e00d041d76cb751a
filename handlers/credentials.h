/*
 * Passwords as the endpoints take them: the strength rule of API.md with
 * its 422 WEAK_PASSWORD answer, and new hashes at the configured cost.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include "app.h"
#include "http.h"

/*
 * APP_OK, or APP_ERR_WEAK_PASSWORD with details [{field, issue}] naming the
 * reason (too_short, too_long, too_guessable, contains_email). words are
 * further user words (names), NULL-terminated.
 */
enum app_err credentials_strong(struct request *, const char *field, const char *password,
    const char *email, const char *const *words);

/* A new Argon2id hash of password in the arena, or NULL. */
const char *credentials_hash(struct app *, struct request *, const char *password);

#endif
