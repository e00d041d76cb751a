/*
 * Mail is rendered here and handed to the outbox (a send_email job) in the
 * transaction that made it necessary; the job runner delivers it later
 * through MAIL_COMMAND or into MAIL_DIR. Plain text; a message that carries
 * a one-time token has it on a line of its own, "Token: <token>", and as a
 * link under APP_BASE_URL.
 */
#ifndef MAIL_H
#define MAIL_H

#include <jansson.h>

#include "config.h"

struct arena;

/* The send_email payload {"to", "from", "subject", "text"}: a new reference. */
json_t *mail_message(const struct config *, const char *to, const char *subject,
    const char *text);

/*
 * The body of a message carrying token: intro, the link
 * APP_BASE_URL + path + "?token=" + token, the Token line, and how long it
 * is valid. In the arena.
 */
char *mail_token_text(struct arena *, const struct config *, const char *intro,
    const char *path, const char *token, const char *valid_for);

#endif
