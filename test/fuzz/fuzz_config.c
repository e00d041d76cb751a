/*
 * The configuration reader (lib/config.c): config_parse() on the input as
 * the text of a configuration file. A configuration it takes holds every
 * key within its bounds; a refusal is one line naming what is wrong.
 */
#include "fuzz.h"

#include <string.h>

#include "config.h"

static void
check_config(const struct config *c)
{
	size_t i;
	char *const *strs[] = {&c->database_url, &c->memcached_servers, &c->jwt_secret,
	    &c->jwt_issuer, &c->cors_allow_origins, &c->log_level, &c->mail_dir, &c->job_fault};

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		FUZZ_ASSERT(*strs[i] != NULL, "every string key is set");
	FUZZ_ASSERT(strlen(c->jwt_secret) >= 32, "JWT_SECRET has at least 32 bytes");
	FUZZ_ASSERT(c->jwt_issuer[0] != '\0' && c->jwt_audience[0] != '\0', "issuer and audience");
	FUZZ_ASSERT(c->workers >= 1 && c->workers <= 256, "WORKERS within 1..256");
	FUZZ_ASSERT(c->max_json_depth >= 2 && c->max_json_depth <= 1000, "MAX_JSON_DEPTH bounds");
	FUZZ_ASSERT(
	    c->max_body_bytes >= 1024 && c->max_body_bytes <= 1073741824, "MAX_BODY_BYTES bounds");
	FUZZ_ASSERT(
	    c->access_token_ttl >= 60 && c->access_token_ttl <= 86400, "ACCESS_TOKEN_TTL bounds");
	FUZZ_ASSERT(c->refresh_token_ttl <= c->session_max_age, "refresh within session age");
	FUZZ_ASSERT(c->rate_limit_fail_open == 0 || c->rate_limit_fail_open == 1, "a boolean");
	FUZZ_ASSERT(strchr(c->cors_allow_origins, '*') == NULL, "no wildcard origin");
	FUZZ_ASSERT(strcmp(c->log_level, "debug") == 0 || strcmp(c->log_level, "info") == 0 ||
	        strcmp(c->log_level, "warn") == 0 || strcmp(c->log_level, "error") == 0,
	    "a known log level");
	(void)config_origin_allowed(c, "https://app.example.test");
	(void)config_origin_allowed(c, c->cors_allow_origins);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[256];

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	if (config_parse(&cfg, (const char *)data, size, err, sizeof(err)) == 0) {
		check_config(&cfg);
		config_free(&cfg);
		FUZZ_ASSERT(cfg.jwt_secret == NULL, "config_free clears");
		return 0;
	}
	FUZZ_ASSERT(err[0] != 'x' && err[0] != '\0', "a refusal says why");
	FUZZ_ASSERT(strchr(err, '\n') == NULL, "a refusal is one line");
	FUZZ_ASSERT(cfg.jwt_secret == NULL && cfg.database_url == NULL, "a refusal keeps nothing");
	return 0;
}
