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
json_t *mail_message(const struct config *, const char *to, const char *subject, const char *text);

/*
 * The body of a message carrying token: intro, the link
 * APP_BASE_URL + path + "?token=" + token, the Token line, and how long it
 * is valid. In the arena.
 */
char *mail_token_text(struct arena *, const struct config *, const char *intro, const char *path,
    const char *token, const char *valid_for);

/*
 * The send_email payload of a message carrying token (mail_token_text), as
 * compact JSON text in the arena. Its "to" is left empty: the statement
 * that queues it sets the stored address.
 */
const char *mail_token_payload(struct arena *, const struct config *, const char *subject,
    const char *intro, const char *path, const char *token, const char *valid_for);

/*
 * Delivers one message (a send_email payload) with the given Message-ID
 * (the job runner derives it from the job and step, so a retry overwrites
 * instead of sending twice into MAIL_DIR): into MAIL_DIR as
 * <message_id>.eml, written whole and renamed into place, when MAIL_DIR is
 * set; else to MAIL_COMMAND on standard input. A header value with a line
 * break is refused (no header injection). 0, or -1 with the reason in err.
 */
int mail_deliver(
    const struct config *, json_t *payload, const char *message_id, char *err, size_t errlen);

#endif
