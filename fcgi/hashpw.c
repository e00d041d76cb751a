/* saas-fcgi --hash-password (see hashpw.h). */
#include "hashpw.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "password.h"

int
hashpw_run(const struct config *cfg, const char *email, FILE *in, FILE *out, FILE *err)
{
	struct password_params pp = password_params_from_config(cfg);
	char hash[PASSWORD_HASH_MAX], *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	enum password_weakness w;
	int rc = 1;

	if ((n = getline(&line, &cap, in)) <= 0) {
		fprintf(err, "saas-fcgi: no password on standard input\n");
		goto out;
	}
	len = (size_t)n;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if ((w = password_strength(line, len, email, NULL)) != PASSWORD_STRONG) {
		fprintf(err, "saas-fcgi: weak password: %s\n", password_weakness_reason(w));
		goto out;
	}
	if (password_hash(&pp, line, len, hash, sizeof(hash)) == -1) {
		fprintf(err, "saas-fcgi: cannot hash the password\n");
		goto out;
	}
	fprintf(out, "%s\n", hash);
	rc = fflush(out) == 0 ? 0 : 1;
out:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	return rc;
}
