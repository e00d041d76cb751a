/* Rendering of outgoing mail (see mail.h). */
#include "mail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "validate.h"

json_t *
mail_message(const struct config *cfg, const char *to, const char *subject, const char *text)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "to", to, "from", cfg->mail_from, "subject",
	    subject, "text", text);
}

char *
mail_token_text(struct arena *a, const struct config *cfg, const char *intro, const char *path,
    const char *token, const char *valid_for)
{
	return arena_printf(a,
	    "%s\n"
	    "\n"
	    "Open this link to continue:\n"
	    "%s%s?token=%s\n"
	    "\n"
	    "Or paste this token where you were asked for it:\n"
	    "Token: %s\n"
	    "\n"
	    "It is valid for %s and can be used once. If you did not ask for\n"
	    "this, ignore this message.\n",
	    intro, cfg->app_base_url, path, token, token, valid_for);
}

static void
json_release(void *p)
{
	json_decref(p);
}

const char *
mail_token_payload(struct arena *a, const struct config *cfg, const char *subject,
    const char *intro, const char *path, const char *token, const char *valid_for)
{
	json_t *msg = arena_defer(a, json_release,
	    mail_message(cfg, "", subject, mail_token_text(a, cfg, intro, path, token, valid_for)));

	return arena_defer(a, free, json_dumps(msg, JSON_COMPACT));
}

/* A header value that cannot break out of its line. */
static int
header_safe(const char *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, "\r\n") == NULL;
}

/* [A-Za-z0-9._-]+ : safe as a file name and inside <...@...>. */
static int
id_safe(const char *s)
{
	size_t n = strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");

	return n > 0 && n <= 128 && s[n] == '\0' && s[0] != '.';
}

/* The whole message, RFC 5322, plain UTF-8 text. */
static void
render(FILE *f, const struct config *cfg, const char *to, const char *subject, const char *text,
    const char *message_id)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f,
	    "From: %s\nTo: %s\nSubject: %s\nDate: %s\n"
	    "Message-ID: <%s@saas-fcgi>\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s",
	    cfg->mail_from, to, subject, date, message_id, text);
}

static int
deliver_dir(const struct config *cfg, const char *to, const char *subject, const char *text,
    const char *message_id, char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	FILE *f;
	int fd, written;

	snprintf(path, sizeof(path), "%s/%s.eml", cfg->mail_dir, message_id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", cfg->mail_dir, message_id);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "MAIL_DIR: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	render(f, cfg, to, subject, text, message_id);
	written = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !written || chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "MAIL_DIR: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
deliver_command(const struct config *cfg, const char *to, const char *subject, const char *text,
    const char *message_id, char *err, size_t errlen)
{
	FILE *p;
	int status;

	/* MAIL_COMMAND is the operator's, from the configuration. */
	if ((p = popen(cfg->mail_command, "w")) == NULL) {
		snprintf(err, errlen, "MAIL_COMMAND: %s", strerror(errno));
		return -1;
	}
	render(p, cfg, to, subject, text, message_id);
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "MAIL_COMMAND failed (status %d)", status);
		return -1;
	}
	return 0;
}

int
mail_deliver(
    const struct config *cfg, json_t *payload, const char *message_id, char *err, size_t errlen)
{
	const char *to = json_string_value(json_object_get(payload, "to"));
	const char *subject = json_string_value(json_object_get(payload, "subject"));
	const char *text = json_string_value(json_object_get(payload, "text"));

	if (!header_safe(to) || !header_safe(subject) || text == NULL || !email_is_valid(to)) {
		snprintf(err, errlen, "the message has a bad recipient, subject or text");
		return -1;
	}
	if (message_id == NULL || !id_safe(message_id)) {
		snprintf(err, errlen, "the message id is not safe");
		return -1;
	}
	if (cfg->mail_dir[0] != '\0')
		return deliver_dir(cfg, to, subject, text, message_id, err, errlen);
	return deliver_command(cfg, to, subject, text, message_id, err, errlen);
}
