/*
 * lib/config: defaults, the file, the environment over the file, every bad
 * value refused with a line naming its key, and conf/saas.conf.example in
 * step with the key table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define SECRET "0123456789abcdef0123456789abcdef" /* 32 bytes */

/* Every key of the table unset, so that the host's environment cannot leak in. */
static int
env_clear(void **state)
{
	size_t i;
	const char *k;

	(void)state;
	for (i = 0; (k = config_key(i)) != NULL; i++)
		unsetenv(k);
	return 0;
}

/* A temporary file holding text; the name is written into path (size 64). */
static void
file_write(char *path, const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
config_table_has_keys(void **state)
{
	(void)state;
	assert_non_null(config_key(0));
	assert_string_equal(config_key(0), "DATABASE_URL");
}

static void
config_defaults_load_with_secret(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_secret, SECRET);
	assert_string_equal(cfg.database_url, "postgresql:///saas?user=saas_app");
	assert_string_equal(cfg.jwt_issuer, "saas-fcgi");
	assert_int_equal(cfg.access_token_ttl, 900);
	assert_int_equal(cfg.refresh_token_ttl, 1209600);
	assert_int_equal(cfg.session_max_age, 2592000);
	assert_int_equal(cfg.workers, 4);
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.max_json_depth, 32);
	assert_int_equal(cfg.rate_limit_per_second, 10);
	assert_int_equal(cfg.login_rate_limit_per_minute, 5);
	assert_int_equal(cfg.register_rate_limit_per_hour, 20);
	assert_int_equal(cfg.rate_limit_fail_open, 1);
	assert_int_equal(cfg.require_verified_email, 0);
	assert_int_equal(cfg.argon2_memory_kib, 19456);
	assert_int_equal(cfg.argon2_iterations, 2);
	assert_int_equal(cfg.argon2_parallelism, 1);
	assert_string_equal(cfg.cors_allow_origins, "");
	assert_string_equal(cfg.log_level, "info");
	config_free(&cfg);
	assert_null(cfg.jwt_secret);
}

static void
config_refuses_missing_secret(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "JWT_SECRET"));
}

static void
config_refuses_short_secret(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcde", 1); /* 31 */
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "JWT_SECRET"));
	assert_null(strchr(err, '\n'));
	/* The reason never repeats the secret. */
	assert_null(strstr(err, "0123456789abcdef"));
}

static void
config_refuses_non_number_workers(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("WORKERS", "four", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WORKERS"));
}

static void
config_refuses_workers_out_of_bounds(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("WORKERS", "0", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WORKERS"));
	err[0] = '\0';
	setenv("WORKERS", "4x", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WORKERS"));
}

static void
config_refuses_bad_bool(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("REQUIRE_VERIFIED_EMAIL", "maybe", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "REQUIRE_VERIFIED_EMAIL"));
}

static void
config_reads_file_values(void **state)
{
	struct config cfg;
	char err[256] = "", path[64];

	(void)state;
	file_write(path,
	    "# saas-fcgi configuration\n"
	    "\n"
	    "   # an indented comment\n"
	    "JWT_SECRET=" SECRET "\n"
	    "WORKERS=8\n"
	    "JWT_ISSUER=\"quoted issuer\"\n"
	    "JWT_AUDIENCE='single quoted'\n"
	    "  LOG_LEVEL = debug  \n"
	    "REQUIRE_VERIFIED_EMAIL=true\n"
	    "MAIL_DIR=\n"
	    "DATABASE_URL=postgresql:///saas?user=app&options=-c%20a=b\n");
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(cfg.jwt_secret, SECRET);
	assert_int_equal(cfg.workers, 8);
	assert_string_equal(cfg.jwt_issuer, "quoted issuer");
	assert_string_equal(cfg.jwt_audience, "single quoted");
	assert_string_equal(cfg.log_level, "debug");
	assert_int_equal(cfg.require_verified_email, 1);
	assert_string_equal(cfg.mail_dir, "");
	/* Only the first '=' separates the key. */
	assert_string_equal(cfg.database_url, "postgresql:///saas?user=app&options=-c%20a=b");
	/* Keys the file does not name keep their defaults. */
	assert_int_equal(cfg.access_token_ttl, 900);
	config_free(&cfg);
}

static void
config_env_overrides_file(void **state)
{
	struct config cfg;
	char err[256] = "", path[64];

	(void)state;
	file_write(path,
	    "JWT_SECRET=" SECRET "\n"
	    "WORKERS=8\n"
	    "JWT_ISSUER=from-file\n");
	setenv("WORKERS", "16", 1);
	setenv("JWT_ISSUER", "from-env", 1);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(cfg.workers, 16);
	assert_string_equal(cfg.jwt_issuer, "from-env");
	assert_string_equal(cfg.jwt_secret, SECRET);
	config_free(&cfg);
}

static void
config_refuses_unknown_file_key(void **state)
{
	struct config cfg;
	char err[256] = "", path[64];

	(void)state;
	file_write(path,
	    "JWT_SECRET=" SECRET "\n"
	    "WORKERZ=8\n");
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	unlink(path);
	assert_non_null(strstr(err, "WORKERZ"));
}

static void
config_refuses_bad_file_value_naming_key(void **state)
{
	struct config cfg;
	char err[256] = "", path[64];

	(void)state;
	file_write(path,
	    "JWT_SECRET=" SECRET "\n"
	    "ACCESS_TOKEN_TTL=soon\n");
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	unlink(path);
	assert_non_null(strstr(err, "ACCESS_TOKEN_TTL"));
}

static void
config_refuses_line_without_equals(void **state)
{
	struct config cfg;
	char err[256] = "", path[64];

	(void)state;
	file_write(path,
	    "JWT_SECRET=" SECRET "\n"
	    "WORKERS 8\n");
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	unlink(path);
	assert_non_null(strstr(err, ":2:"));
}

static void
config_parse_reads_text_not_environment(void **state)
{
	static const char text[] = "JWT_SECRET=" SECRET "\r\nWORKERS=8\n# last line, no newline";
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("WORKERS", "16", 1);
	assert_int_equal(config_parse(&cfg, text, sizeof(text) - 1, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_secret, SECRET);
	assert_int_equal(cfg.workers, 8);
	config_free(&cfg);
}

static void
config_parse_refuses_nul_byte(void **state)
{
	static const char text[] = "JWT_SECRET=" SECRET "\nWORKERS=8\0x\n";
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_parse(&cfg, text, sizeof(text) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
}

static void
config_refuses_missing_file(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	assert_int_equal(config_load(&cfg, "/nonexistent/saas.conf", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/saas.conf"));
}

static void
config_refuses_cors_wildcard(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("CORS_ALLOW_ORIGINS", "*", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CORS_ALLOW_ORIGINS"));
	err[0] = '\0';
	setenv("CORS_ALLOW_ORIGINS", "https://a.example.com, https://*.example.com", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CORS_ALLOW_ORIGINS"));
}

static void
config_refuses_refresh_ttl_over_session_age(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("REFRESH_TOKEN_TTL", "7200", 1);
	setenv("SESSION_MAX_AGE", "3600", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "REFRESH_TOKEN_TTL"));
}

static void
config_refuses_unknown_log_level(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("LOG_LEVEL", "verbose", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "LOG_LEVEL"));
}

static void
config_origin_allowed_matches_exactly(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	setenv("CORS_ALLOW_ORIGINS",
	    "https://app.example.com, https://admin.example.com,http://localhost:3000", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_true(config_origin_allowed(&cfg, "https://app.example.com"));
	assert_true(config_origin_allowed(&cfg, "https://admin.example.com"));
	assert_true(config_origin_allowed(&cfg, "http://localhost:3000"));
	/* Prefixes, suffixes, other schemes and ports are other origins. */
	assert_false(config_origin_allowed(&cfg, "https://app.example.co"));
	assert_false(config_origin_allowed(&cfg, "https://app.example.com.evil.com"));
	assert_false(config_origin_allowed(&cfg, "https://evil-app.example.com"));
	assert_false(config_origin_allowed(&cfg, "http://app.example.com"));
	assert_false(config_origin_allowed(&cfg, "http://localhost:30000"));
	assert_false(config_origin_allowed(&cfg, "http://localhost"));
	assert_false(config_origin_allowed(&cfg, "HTTPS://APP.EXAMPLE.COM"));
	assert_false(config_origin_allowed(&cfg, "null"));
	assert_false(config_origin_allowed(&cfg, ""));
	assert_false(config_origin_allowed(&cfg, NULL));
	config_free(&cfg);
}

static void
config_origin_allowed_empty_list_allows_nothing(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("JWT_SECRET", SECRET, 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_false(config_origin_allowed(&cfg, "https://app.example.com"));
	assert_false(config_origin_allowed(&cfg, ""));
	config_free(&cfg);
}

/* Whether text has a line starting with "KEY=" or "# KEY=" (or "#KEY="). */
static int
example_names(const char *text, const char *key)
{
	const char *line = text;
	size_t n = strlen(key);

	while (line != NULL && *line != '\0') {
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return 1;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return 0;
}

static void
config_example_documents_every_key(void **state)
{
	const char *repo = getenv("REPO");
	char path[4096], *text;
	const char *k;
	FILE *f;
	long len;
	size_t i, missing = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/saas.conf.example",
	    repo != NULL && *repo != '\0' ? repo : ".");
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("%s: cannot open (the example must exist)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (i = 0; (k = config_key(i)) != NULL; i++) {
		if (!example_names(text, k)) {
			print_error("%s: %s is not documented\n", path, k);
			missing++;
		}
	}
	free(text);
	assert_int_equal(missing, 0);
}

/* The example, as shipped, is a valid configuration once a secret is given. */
static void
config_example_loads(void **state)
{
	const char *repo = getenv("REPO");
	struct config cfg;
	char path[4096], err[256] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/saas.conf.example",
	    repo != NULL && *repo != '\0' ? repo : ".");
	setenv("JWT_SECRET", SECRET, 1);
	if (config_load(&cfg, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.jwt_secret, SECRET);
	config_free(&cfg);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup(f, env_clear)
	const struct CMUnitTest tests[] = {
	    T(config_table_has_keys),
	    T(config_defaults_load_with_secret),
	    T(config_refuses_missing_secret),
	    T(config_refuses_short_secret),
	    T(config_refuses_non_number_workers),
	    T(config_refuses_workers_out_of_bounds),
	    T(config_refuses_bad_bool),
	    T(config_reads_file_values),
	    T(config_env_overrides_file),
	    T(config_refuses_unknown_file_key),
	    T(config_refuses_bad_file_value_naming_key),
	    T(config_refuses_line_without_equals),
	    T(config_parse_reads_text_not_environment),
	    T(config_parse_refuses_nul_byte),
	    T(config_refuses_missing_file),
	    T(config_refuses_cors_wildcard),
	    T(config_refuses_refresh_ttl_over_session_age),
	    T(config_refuses_unknown_log_level),
	    T(config_origin_allowed_matches_exactly),
	    T(config_origin_allowed_empty_list_allows_nothing),
	    T(config_example_documents_every_key),
	    T(config_example_loads),
	};
#undef T

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
