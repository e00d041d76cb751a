/*
 * Configuration: KEY=VALUE lines from a file (--config), each key overridable
 * from the environment, every key with a default and a check. A bad value is
 * refused with one line naming the key and what is wrong.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

struct config {
	char *database_url;       /* the application role */
	char *database_owner_url; /* the owner role: jobs, scripts */
	char *memcached_servers;
	long memcached_timeout_ms;
	char *jwt_secret;
	char *jwt_issuer;
	char *jwt_audience;
	long access_token_ttl;
	long refresh_token_ttl;
	long session_max_age;
	long workers;
	long shutdown_timeout;
	long max_body_bytes;
	long max_json_depth;
	long statement_timeout_ms;
	long db_recycle_tenants;
	char *cors_allow_origins;
	long rate_limit_per_second;
	long login_rate_limit_per_minute;
	long register_rate_limit_per_hour;
	int rate_limit_fail_open;
	char *trusted_proxies;
	int require_verified_email;
	char *app_base_url;
	char *mail_command;
	char *mail_dir;
	char *mail_from;
	long argon2_memory_kib;
	long argon2_iterations;
	long argon2_parallelism;
	char *log_level;
	char *run_as_user;
	char *socket_mode;
	char *socket_group;
	/* saas-jobs */
	char *migrations_dir; /* holding public/ and tenant/ */
	char *backup_dir;
	char *pg_dump;
	long tenant_pool_size;
	long job_lease_seconds;
	long job_poll_seconds;
	long job_backoff_seconds;
	long job_backoff_max_seconds;
	long job_retention_days;
	char *job_fault; /* tests only: "stop-after:K" or "stop-in:K", then "@KIND" */
};

/*
 * Fills cfg from the defaults, then the file at path (NULL: none), then the
 * environment. Returns 0, or -1 with a one-line reason in err (size errlen)
 * naming the key. cfg owns its strings: release with config_free().
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/*
 * The same from the len bytes at text in the file's format (KEY=VALUE
 * lines, # comments) instead of a file, and without the environment: pure,
 * for tests and the fuzzer. Returns 0, or -1 with the reason in err.
 */
int config_parse(struct config *cfg, const char *text, size_t len, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Each key's name, in the order of the table, then NULL (for tests and docs). */
const char *config_key(size_t i);

/* Whether origin is listed in CORS_ALLOW_ORIGINS (exact match). */
int config_origin_allowed(const struct config *cfg, const char *origin);

#endif
