/*
 * JSON log lines on standard error. Each line is built whole and written
 * with one write(2), so lines from several workers never interleave.
 */
#include "log.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(const char *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(level, level_names[i]) == 0)
			min_level = (enum log_level)i;
}

static json_t *
line_new(enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char when[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	return json_pack("{s:s, s:s}", "time", when, "level", level_names[level]);
}

static void
line_write(json_t *line)
{
	char *s;
	size_t n;

	if (line == NULL)
		return;
	s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(line);
	if (s == NULL)
		return;
	n = strlen(s);
	s[n] = '\n'; /* json_dumps leaves room for the NUL we overwrite */
	(void)!write(STDERR_FILENO, s, n + 1);
	free(s);
}

static void
set_str(json_t *line, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(line, key, json_string(value));
}

void
log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *line;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((line = line_new(level)) == NULL)
		return;
	set_str(line, "request_id", request_id);
	json_object_set_new(line, "msg", json_string(msg));
	line_write(line);
}

void
log_request(const struct log_request *r)
{
	json_t *line;

	if (LOG_INFO < min_level || (line = line_new(LOG_INFO)) == NULL)
		return;
	set_str(line, "request_id", r->request_id);
	set_str(line, "method", r->method);
	set_str(line, "path", r->path);
	json_object_set_new(line, "status", json_integer(r->status));
	json_object_set_new(
	    line, "duration_ms", json_real(round(r->duration_ms * 1000.0) / 1000.0));
	json_object_set_new(line, "tenant", r->tenant ? json_string(r->tenant) : json_null());
	json_object_set_new(line, "user", r->user ? json_string(r->user) : json_null());
	line_write(line);
}
