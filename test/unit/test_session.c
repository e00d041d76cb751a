/*
 * handlers/session: the pure checks behind a request's tenant and
 * superuser gates (API.md, "Tenant resolution" and "Superuser
 * administration").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http.h"
#include "session.h"

static void
tenant_states_answer_as_the_contract_says(void **state)
{
	(void)state;
	assert_int_equal(session_tenant_state("ready"), APP_OK);
	assert_int_equal(session_tenant_state("provisioning"), APP_ERR_TENANT_NOT_READY);
	assert_int_equal(session_tenant_state("failed"), APP_ERR_TENANT_NOT_READY);
	assert_int_equal(session_tenant_state("suspended"), APP_ERR_TENANT_SUSPENDED);
	assert_int_equal(session_tenant_state("deleting"), APP_ERR_TENANT_DELETED);
	assert_int_equal(session_tenant_state("deleted"), APP_ERR_TENANT_DELETED);
}

static void
an_unknown_tenant_state_does_not_serve(void **state)
{
	(void)state;
	assert_int_equal(session_tenant_state("archived"), APP_ERR_TENANT_NOT_READY);
	assert_int_equal(session_tenant_state(""), APP_ERR_TENANT_NOT_READY);
	assert_int_equal(session_tenant_state(NULL), APP_ERR_TENANT_NOT_READY);
}

/* The superuser gate of a request from principal who. */
static enum app_err
gate(int is_superuser, const char *impersonator_id)
{
	struct principal who;
	struct request req;

	memset(&who, 0, sizeof(who));
	memset(&req, 0, sizeof(req));
	who.user_id = "3f2a9c4e-0b1d-4e5f-8a7b-6c5d4e3f2a1b";
	who.is_superuser = is_superuser;
	who.impersonator_id = impersonator_id;
	req.who = &who;
	return session_require_superuser(&req);
}

static void
only_a_superuser_passes_the_superuser_gate(void **state)
{
	(void)state;
	assert_int_equal(gate(1, NULL), APP_OK);
	assert_int_equal(gate(0, NULL), APP_ERR_FORBIDDEN);
}

static void
an_impersonation_never_passes_the_superuser_gate(void **state)
{
	(void)state;
	assert_int_equal(
	    gate(0, "6c5d4e3f-2a1b-4e5f-8a7b-3f2a9c4e0b1d"), APP_ERR_IMPERSONATION_FORBIDDEN);
	/* Checked first: even when the impersonated user is a superuser now. */
	assert_int_equal(
	    gate(1, "6c5d4e3f-2a1b-4e5f-8a7b-3f2a9c4e0b1d"), APP_ERR_IMPERSONATION_FORBIDDEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tenant_states_answer_as_the_contract_says),
	    cmocka_unit_test(an_unknown_tenant_state_does_not_serve),
	    cmocka_unit_test(only_a_superuser_passes_the_superuser_gate),
	    cmocka_unit_test(an_impersonation_never_passes_the_superuser_gate),
	};

	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
