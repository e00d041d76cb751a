/*
 * Logging: one JSON object per line on standard error, written with a single
 * write so that lines of several processes never interleave. Callers pass
 * no secrets: no passwords, tokens, hashes or connection strings.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written ("debug", "info", "warn", "error"). */
void log_set_level(const char *level);

/* A line {"time", "level", "msg", "request_id"?, ...} from printf-style msg. */
void log_msg(enum log_level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct log_request {
	const char *request_id, *method, *path, *tenant, *user;
	int status;
	double duration_ms;
};

/* The access line of one request. */
void log_request(const struct log_request *);

#endif
