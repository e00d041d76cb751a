/* lib/mail: rendering and delivery into MAIL_DIR or through MAIL_COMMAND. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "mail.h"

struct fixture {
	struct config cfg;
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	if (f == NULL || config_load(&f->cfg, NULL, err, sizeof(err)) != 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mailtest.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	/* Whatever the environment says, these tests decide. */
	free(f->cfg.mail_dir);
	f->cfg.mail_dir = strdup(f->dir);
	free(f->cfg.app_base_url);
	f->cfg.app_base_url = strdup("https://app.example.test");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	config_free(&f->cfg);
	free(f);
	return 0;
}

/* The whole content of a file, malloc'd, or NULL. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static json_t *
message(const struct config *cfg, const char *subject)
{
	return mail_message(cfg, "ann@example.com", subject, "Hello\nToken: abc\n");
}

static void
token_text_has_the_token_line_and_the_link(void **state)
{
	struct fixture *f = *state;
	struct arena *a = arena_new();
	char *text = mail_token_text(a, &f->cfg, "Intro.", "/verify-email", "tok123", "24 hours");

	assert_non_null(strstr(text, "\nToken: tok123\n"));
	assert_non_null(strstr(text, "https://app.example.test/verify-email?token=tok123\n"));
	assert_non_null(strstr(text, "24 hours"));
	arena_free(a);
}

static void
deliver_writes_one_eml_file_named_after_the_message_id(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Verify your email address");
	char err[256], path[256], *eml;

	assert_int_equal(mail_deliver(&f->cfg, m, "job-1-step-0", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/job-1-step-0.eml", f->dir);
	eml = slurp(path);
	assert_non_null(eml);
	assert_non_null(strstr(eml, "To: ann@example.com\n"));
	assert_non_null(strstr(eml, "Subject: Verify your email address\n"));
	assert_non_null(strstr(eml, "Message-ID: <job-1-step-0@saas-fcgi>\n"));
	assert_non_null(strstr(eml, "\n\nHello\nToken: abc\n"));
	free(eml);
	json_decref(m);
}

static void
deliver_twice_with_one_id_leaves_one_message(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Once");
	char err[256];

	assert_int_equal(mail_deliver(&f->cfg, m, "same-id", err, sizeof(err)), 0);
	assert_int_equal(mail_deliver(&f->cfg, m, "same-id", err, sizeof(err)), 0);
	assert_int_equal(files_in(f->dir), 1);
	json_decref(m);
}

static void
deliver_refuses_a_header_with_a_line_break(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Hi\nBcc: victim@example.com");
	char err[256];

	assert_int_equal(mail_deliver(&f->cfg, m, "inject", err, sizeof(err)), -1);
	assert_int_equal(files_in(f->dir), 0);
	json_decref(m);
}

static void
deliver_refuses_a_message_id_that_is_a_path(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Hi");
	char err[256];

	assert_int_equal(mail_deliver(&f->cfg, m, "../escape", err, sizeof(err)), -1);
	assert_int_equal(mail_deliver(&f->cfg, m, "", err, sizeof(err)), -1);
	json_decref(m);
}

static void
deliver_without_mail_dir_pipes_to_mail_command(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Piped");
	char err[256], out[128], cmd[256], *eml;

	snprintf(out, sizeof(out), "%s/piped.txt", f->dir);
	snprintf(cmd, sizeof(cmd), "cat > '%s'", out);
	f->cfg.mail_dir[0] = '\0';
	free(f->cfg.mail_command);
	f->cfg.mail_command = strdup(cmd);
	assert_int_equal(mail_deliver(&f->cfg, m, "piped-1", err, sizeof(err)), 0);
	eml = slurp(out);
	assert_non_null(eml);
	assert_non_null(strstr(eml, "Subject: Piped\n"));
	free(eml);
	json_decref(m);
}

static void
deliver_reports_a_failing_mail_command(void **state)
{
	struct fixture *f = *state;
	json_t *m = message(&f->cfg, "Fails");
	char err[256];

	f->cfg.mail_dir[0] = '\0';
	free(f->cfg.mail_command);
	f->cfg.mail_command = strdup("cat >/dev/null; exit 75");
	assert_int_equal(mail_deliver(&f->cfg, m, "fails-1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "MAIL_COMMAND"));
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        token_text_has_the_token_line_and_the_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_writes_one_eml_file_named_after_the_message_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_twice_with_one_id_leaves_one_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_refuses_a_header_with_a_line_break, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_refuses_a_message_id_that_is_a_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_without_mail_dir_pipes_to_mail_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deliver_reports_a_failing_mail_command, setup, teardown),
	};

	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
