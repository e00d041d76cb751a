/* The route table (see routes.h). Order does not matter: patterns never overlap. */
#include "routes.h"

const struct route routes[] = {
    {"GET", "/healthz", ops_healthz, NEED_UNLIMITED},
    {"GET", "/readyz", ops_readyz, NEED_UNLIMITED},
    {"GET", "/metrics", ops_metrics, NEED_UNLIMITED},
    {"GET", "/api/v1/openapi.json", ops_openapi, 0},
    {"POST", "/api/v1/auth/register", auth_register, NEED_JSON},
    {"POST", "/api/v1/auth/login", auth_login, NEED_JSON},
    {"POST", "/api/v1/auth/token", auth_token, NEED_FORM},
    {"POST", "/api/v1/auth/refresh", auth_refresh, NEED_JSON},
    {"POST", "/api/v1/auth/logout", auth_logout, NEED_AUTH | NEED_JSON},
    {"POST", "/api/v1/auth/logout-all", auth_logout_all, NEED_AUTH},
    {"GET", "/api/v1/auth/me", auth_me, NEED_AUTH},
    {"POST", "/api/v1/auth/verify-email", auth_verify_email, NEED_JSON},
    {"POST", "/api/v1/auth/resend-verification", auth_resend_verification, NEED_AUTH},
    {"POST", "/api/v1/auth/forgot-password", auth_forgot_password, NEED_JSON},
    {"POST", "/api/v1/auth/reset-password", auth_reset_password, NEED_JSON},
    {"POST", "/api/v1/auth/change-password", auth_change_password, NEED_AUTH | NEED_JSON},
    {"POST", "/api/v1/auth/switch-tenant", auth_switch_tenant, NEED_AUTH | NEED_JSON},
    {"GET", "/api/v1/tenants", tenants_list, NEED_AUTH},
    {"POST", "/api/v1/tenants", tenants_create, NEED_AUTH | NEED_JSON},
    {"GET", "/api/v1/tenants/current", tenants_current, NEED_TENANT},
    {"PATCH", "/api/v1/tenants/current", tenants_update, NEED_ADMIN | NEED_JSON},
    {"DELETE", "/api/v1/tenants/current", tenants_delete, NEED_OWNER},
    {"GET", "/api/v1/members", members_list, NEED_TENANT},
    {"PATCH", "/api/v1/members/{user_id}", members_update, NEED_ADMIN | NEED_JSON},
    {"DELETE", "/api/v1/members/{user_id}", members_remove, NEED_ADMIN | NEED_SELF},
    {"POST", "/api/v1/invites", invites_create, NEED_ADMIN | NEED_JSON},
    {"GET", "/api/v1/invites", invites_list, NEED_ADMIN},
    {"DELETE", "/api/v1/invites/{id}", invites_revoke, NEED_ADMIN},
    {"POST", "/api/v1/invites/accept", invites_accept, NEED_AUTH_IF_GIVEN | NEED_JSON},
    {"GET", "/api/v1/projects", projects_list, NEED_TENANT},
    {"POST", "/api/v1/projects", projects_create, NEED_TENANT | NEED_JSON},
    {"GET", "/api/v1/projects/{id}", projects_get, NEED_TENANT},
    {"PATCH", "/api/v1/projects/{id}", projects_update, NEED_TENANT | NEED_JSON},
    {"DELETE", "/api/v1/projects/{id}", projects_delete, NEED_ADMIN},
    {"GET", "/api/v1/admin/tenants", admin_tenants_list, NEED_SUPERUSER},
    {"POST", "/api/v1/admin/tenants/{slug}/suspend", admin_tenants_suspend,
        NEED_SUPERUSER | NEED_JSON},
    {"POST", "/api/v1/admin/tenants/{slug}/resume", admin_tenants_resume, NEED_SUPERUSER},
    {"POST", "/api/v1/admin/impersonate", admin_impersonate, NEED_SUPERUSER | NEED_JSON},
    {"GET", "/api/v1/jobs/{id}", jobs_get, NEED_AUTH},
    {"GET", "/api/v1/admin/jobs", jobs_admin_list, NEED_SUPERUSER},
    {"POST", "/api/v1/admin/jobs/{id}/retry", jobs_admin_retry, NEED_SUPERUSER},
    {"GET", "/api/v1/audit-logs", audit_logs_list, NEED_ADMIN},
    {"GET", "/api/v1/admin/audit-logs", audit_logs_admin_list, NEED_SUPERUSER},
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

const char *
route_access(unsigned needs)
{
	if ((needs & NEED_SUPERUSER) == NEED_SUPERUSER)
		return "superuser";
	if ((needs & NEED_OWNER) == NEED_OWNER)
		return "owner";
	if ((needs & (NEED_ADMIN | NEED_SELF)) == (NEED_ADMIN | NEED_SELF))
		return "admin-or-self";
	if ((needs & NEED_ADMIN) == NEED_ADMIN)
		return "admin";
	if ((needs & NEED_TENANT) == NEED_TENANT)
		return "member";
	if (needs & NEED_AUTH)
		return "bearer";
	if (needs & NEED_AUTH_IF_GIVEN)
		return "bearer-if-given";
	return "public";
}
