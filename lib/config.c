/*
 * Configuration keys in one table: name, type, where it lives in struct
 * config, default, bounds. conf/saas.conf.example documents the same keys
 * (a unit test keeps the two in step).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "validate.h"

#define CONFIG_FILE_MAX (1024 * 1024) /* bytes; a configuration is a page of text */

enum ctype { C_STR, C_LONG, C_BOOL };

struct key {
	const char *name;
	enum ctype type;
	size_t off;
	const char *def;
	long min, max; /* C_LONG bounds; C_STR: minimum length */
};

#define S(n, f, d, minlen)                                                                         \
	{                                                                                          \
		n, C_STR, offsetof(struct config, f), d, minlen, 0                                 \
	}
#define L(n, f, d, lo, hi)                                                                         \
	{                                                                                          \
		n, C_LONG, offsetof(struct config, f), d, lo, hi                                   \
	}
#define B(n, f, d)                                                                                 \
	{                                                                                          \
		n, C_BOOL, offsetof(struct config, f), d, 0, 1                                     \
	}

static const struct key keys[] = {
    S("DATABASE_URL", database_url, "postgresql:///saas?user=saas_app", 1),
    S("DATABASE_OWNER_URL", database_owner_url, "postgresql:///saas?user=saas_owner", 1),
    S("MEMCACHED_SERVERS", memcached_servers, "127.0.0.1:11211", 1),
    L("MEMCACHED_TIMEOUT_MS", memcached_timeout_ms, "200", 1, 60000),
    S("JWT_SECRET", jwt_secret, "", 32),
    S("JWT_ISSUER", jwt_issuer, "saas-fcgi", 1),
    S("JWT_AUDIENCE", jwt_audience, "saas-api", 1),
    L("ACCESS_TOKEN_TTL", access_token_ttl, "900", 60, 86400),
    L("REFRESH_TOKEN_TTL", refresh_token_ttl, "1209600", 300, 31536000),
    L("SESSION_MAX_AGE", session_max_age, "2592000", 300, 31536000),
    L("WORKERS", workers, "4", 1, 256),
    L("SHUTDOWN_TIMEOUT", shutdown_timeout, "30", 1, 3600),
    L("MAX_BODY_BYTES", max_body_bytes, "1048576", 1024, 1073741824),
    L("MAX_JSON_DEPTH", max_json_depth, "32", 2, 1000),
    L("STATEMENT_TIMEOUT", statement_timeout_ms, "5000", 0, 3600000),
    L("DB_RECYCLE_TENANTS", db_recycle_tenants, "100", 1, 1000000),
    S("CORS_ALLOW_ORIGINS", cors_allow_origins, "", 0),
    L("RATE_LIMIT_PER_SECOND", rate_limit_per_second, "10", 0, 1000000),
    L("LOGIN_RATE_LIMIT_PER_MINUTE", login_rate_limit_per_minute, "5", 0, 1000000),
    L("REGISTER_RATE_LIMIT_PER_HOUR", register_rate_limit_per_hour, "20", 0, 1000000),
    B("RATE_LIMIT_FAIL_OPEN", rate_limit_fail_open, "true"),
    S("TRUSTED_PROXIES", trusted_proxies, "", 0),
    B("REQUIRE_VERIFIED_EMAIL", require_verified_email, "false"),
    S("APP_BASE_URL", app_base_url, "http://127.0.0.1:8080", 1),
    S("MAIL_COMMAND", mail_command, "/usr/sbin/sendmail -t -i", 1),
    S("MAIL_DIR", mail_dir, "", 0),
    S("MAIL_FROM", mail_from, "no-reply@localhost", 3),
    L("ARGON2_MEMORY_KIB", argon2_memory_kib, "19456", 8, 4194304),
    L("ARGON2_ITERATIONS", argon2_iterations, "2", 1, 64),
    L("ARGON2_PARALLELISM", argon2_parallelism, "1", 1, 64),
    S("LOG_LEVEL", log_level, "info", 1),
    S("RUN_AS_USER", run_as_user, "", 0),
    S("SOCKET_MODE", socket_mode, "0660", 1),
    S("SOCKET_GROUP", socket_group, "", 0),
    S("MIGRATIONS_DIR", migrations_dir, "/usr/local/share/saas-fcgi/schema", 1),
    S("BACKUP_DIR", backup_dir, "/var/lib/saas-fcgi/backups", 1),
    S("PG_DUMP", pg_dump, "pg_dump", 1),
    L("TENANT_POOL_SIZE", tenant_pool_size, "0", 0, 1000),
    L("JOB_LEASE_SECONDS", job_lease_seconds, "60", 2, 86400),
    L("JOB_POLL_SECONDS", job_poll_seconds, "10", 1, 3600),
    L("JOB_BACKOFF_SECONDS", job_backoff_seconds, "10", 1, 86400),
    L("JOB_BACKOFF_MAX_SECONDS", job_backoff_max_seconds, "3600", 1, 604800),
    L("JOB_RETENTION_DAYS", job_retention_days, "30", 1, 3650),
    S("JOB_FAULT", job_fault, "", 0),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
config_key(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

static const struct key *
key_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* Stores value for k in cfg. 0, or -1 with the reason in err. */
static int
key_set(struct config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
	char *base = (char *)cfg;
	char *copy;

	switch (k->type) {
	case C_LONG:
		if (parse_long(value, k->min, k->max, (long *)(base + k->off)) == -1) {
			snprintf(err, errlen, "%s: must be a whole number from %ld to %ld", k->name,
			    k->min, k->max);
			return -1;
		}
		return 0;
	case C_BOOL:
		if (parse_bool(value, (int *)(base + k->off)) == -1) {
			snprintf(err, errlen, "%s: must be true or false", k->name);
			return -1;
		}
		return 0;
	case C_STR:
		if ((copy = strdup(value)) == NULL)
			abort();
		free(*(char **)(base + k->off));
		*(char **)(base + k->off) = copy;
		return 0;
	}
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line of the configuration (trimmed in place); lineno and name for the messages. */
static int
parse_line(struct config *cfg, char *line, const char *name, int lineno, char *err, size_t errlen)
{
	char *s = trim(line), *eq, *value;
	const struct key *k;
	size_t vlen;

	if (*s == '\0' || *s == '#')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		snprintf(err, errlen, "%s:%d: expected KEY=VALUE", name, lineno);
		return -1;
	}
	*eq = '\0';
	value = trim(eq + 1);
	vlen = strlen(value);
	if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
		value[vlen - 1] = '\0';
		value++;
	}
	if ((k = key_find(trim(s), strlen(trim(s)))) == NULL) {
		snprintf(err, errlen, "%s:%d: unknown key %s", name, lineno, trim(s));
		return -1;
	}
	return key_set(cfg, k, value, err, errlen);
}

/* The KEY=VALUE lines of the len bytes at text, read as the file name. 0 or -1. */
static int
parse_text(
    struct config *cfg, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	char *line = NULL;
	int lineno = 0, rc = -1;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		lineno++;
		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte", name, lineno);
			goto out;
		}
		free(line);
		if ((line = strndup(p, n)) == NULL)
			abort();
		if (parse_line(cfg, line, name, lineno, err, errlen) == -1)
			goto out;
		p = nl != NULL ? nl + 1 : end;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* The whole file at path, from malloc (*len its size), or NULL with the reason in err. */
static char *
file_read(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL)
		abort();
	*len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	} else if (*len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Checks that span keys, after everything is read. */
static int
check(const struct config *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const char *v;

		if (keys[i].type != C_STR)
			continue;
		v = *(char *const *)((const char *)cfg + keys[i].off);
		if ((long)strlen(v) < keys[i].min) {
			if (keys[i].min == 1)
				snprintf(err, errlen, "%s: must not be empty", keys[i].name);
			else
				snprintf(err, errlen, "%s: must be at least %ld bytes",
				    keys[i].name, keys[i].min);
			return -1;
		}
	}
	if (cfg->refresh_token_ttl > cfg->session_max_age) {
		snprintf(err, errlen, "REFRESH_TOKEN_TTL: must not exceed SESSION_MAX_AGE");
		return -1;
	}
	if (strcmp(cfg->log_level, "debug") != 0 && strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "warn") != 0 && strcmp(cfg->log_level, "error") != 0) {
		snprintf(err, errlen, "LOG_LEVEL: must be debug, info, warn or error");
		return -1;
	}
	if (!addr_list_is_valid(cfg->trusted_proxies)) {
		snprintf(err, errlen, "TRUSTED_PROXIES: must list addresses or ADDR/BITS networks");
		return -1;
	}
	if (strchr(cfg->cors_allow_origins, '*') != NULL) {
		snprintf(err, errlen, "CORS_ALLOW_ORIGINS: list origins; '*' is not allowed");
		return -1;
	}
	return 0;
}

/* Defaults, then text (NULL: none) read as the file name, then the environment if env. */
static int
build(struct config *cfg, const char *name, const char *text, size_t len, int env, char *err,
    size_t errlen)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (key_set(cfg, &keys[i], keys[i].def, err, errlen) == -1)
			goto fail;
	if (text != NULL && parse_text(cfg, name, text, len, err, errlen) == -1)
		goto fail;
	for (i = 0; env && i < NKEYS; i++) {
		const char *v = getenv(keys[i].name);

		if (v != NULL && key_set(cfg, &keys[i], v, err, errlen) == -1)
			goto fail;
	}
	if (check(cfg, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (path != NULL && (text = file_read(path, &len, err, errlen)) == NULL)
		return -1;
	rc = build(cfg, path, text, len, 1, err, errlen);
	free(text);
	return rc;
}

int
config_parse(struct config *cfg, const char *text, size_t len, char *err, size_t errlen)
{
	return build(cfg, "config", text, len, 0, err, errlen);
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == C_STR) {
			char **p = (char **)((char *)cfg + keys[i].off);

			free(*p);
			*p = NULL;
		}
	}
}

int
config_origin_allowed(const struct config *cfg, const char *origin)
{
	const char *p = cfg->cors_allow_origins;
	size_t n;

	if (origin == NULL || *origin == '\0')
		return 0;
	n = strlen(origin);
	while (*p != '\0') {
		size_t len;

		while (*p == ',' || *p == ' ')
			p++;
		len = strcspn(p, ", ");
		if (len == n && memcmp(p, origin, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}
