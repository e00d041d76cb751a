/* The route table (see routes.h). Order does not matter: patterns never overlap. */
#include "routes.h"

const struct route routes[] = {
	{ "GET", "/healthz", ops_healthz, NEED_UNLIMITED },
	{ "GET", "/readyz", ops_readyz, NEED_UNLIMITED },
	{ "GET", "/metrics", ops_metrics, NEED_UNLIMITED },
	{ "GET", "/api/v1/openapi.json", ops_openapi, 0 },
	{ "POST", "/api/v1/auth/forgot-password", auth_forgot_password, NEED_JSON },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
