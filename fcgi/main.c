/*
 * saas-fcgi: the FastCGI responder pool.
 *
 *   saas-fcgi [--config FILE] [--listen unix:PATH | --listen HOST:PORT] [--workers N]
 *   saas-fcgi --check [--config FILE] [other options, ignored]
 *   saas-fcgi --routes
 *   saas-fcgi --hash-password [--email ADDRESS] [--config FILE]
 *
 * Without --listen the socket is file descriptor 0, as spawn-fcgi passes it.
 * --check loads the configuration and exits: 0 when it is good, else 1
 * with the line naming the key. --routes prints the route table (method,
 * path, who may call it) and exits. A master that execs a new binary
 * (SIGUSR2, pool.h) passes the listening socket and its workers in
 * SAAS_FCGI_LISTEN_FD and SAAS_FCGI_WORKER_PIDS.
 * A bad configuration stops the program with one line naming the key.
 * --hash-password prints the hash of the password on standard input and
 * exits (hashpw.h).
 *
 * Started as root, the pool makes its socket, then serves as RUN_AS_USER
 * (and refuses to start without one): no worker ever runs as root.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "hashpw.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "routes.h"
#include "validate.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: saas-fcgi [--config FILE] [--listen unix:PATH | --listen HOST:PORT]"
	    " [--workers N]\n"
	    "       saas-fcgi --check [--config FILE]\n"
	    "       saas-fcgi --routes\n"
	    "       saas-fcgi --hash-password [--email ADDRESS] [--config FILE]\n");
	exit(2);
}

/* Gives a unix socket its mode and group (SOCKET_MODE, SOCKET_GROUP). */
static int
socket_perms(const struct config *cfg, const char *path)
{
	struct group *gr;
	char *end;
	long mode = strtol(cfg->socket_mode, &end, 8);

	if (*end != '\0' || mode <= 0 || mode > 0777) {
		fprintf(stderr, "saas-fcgi: SOCKET_MODE: must be an octal mode such as 0660\n");
		return -1;
	}
	if (cfg->socket_group[0] != '\0') {
		if ((gr = getgrnam(cfg->socket_group)) == NULL) {
			fprintf(
			    stderr, "saas-fcgi: SOCKET_GROUP: no group %s\n", cfg->socket_group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1) {
			fprintf(stderr, "saas-fcgi: %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, (mode_t)mode) == -1) {
		fprintf(stderr, "saas-fcgi: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The socket and the workers an upgrading master handed over (pool.h), if
 * any: 1 when there are, 0 when not, -1 when what it said is not usable.
 * *pids is the list (free it), *npids its length.
 */
static int
inherited(int *fd, pid_t **pids, size_t *npids)
{
	const char *fdv = getenv("SAAS_FCGI_LISTEN_FD"), *list = getenv("SAAS_FCGI_WORKER_PIDS");
	char *copy = NULL, *tok, *save = NULL;
	struct stat st;
	long n;
	int rc = -1;

	*pids = NULL;
	*npids = 0;
	if (fdv == NULL)
		return 0;
	if (parse_long(fdv, 0, 65535, &n) == -1 || fstat((int)n, &st) == -1 ||
	    !S_ISSOCK(st.st_mode))
		goto out;
	*fd = (int)n;
	if (list != NULL && list[0] != '\0') {
		if ((copy = strdup(list)) == NULL ||
		    (*pids = calloc(strlen(list) / 2 + 1, sizeof(**pids))) == NULL)
			goto out;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (parse_long(tok, 2, 0x7fffffff, &n) == -1)
				goto out;
			(*pids)[(*npids)++] = (pid_t)n;
		}
	}
	rc = 1;
out:
	free(copy);
	unsetenv("SAAS_FCGI_LISTEN_FD");
	unsetenv("SAAS_FCGI_WORKER_PIDS");
	if (rc == -1)
		fprintf(
		    stderr, "saas-fcgi: SAAS_FCGI_LISTEN_FD, SAAS_FCGI_WORKER_PIDS: not usable\n");
	return rc;
}

/* The listening socket: --listen, or the one spawn-fcgi left on fd 0. */
static int
open_listener(const struct config *cfg, const char *listen)
{
	struct stat st;
	int fd;

	if (listen == NULL) {
		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			fprintf(
			    stderr, "saas-fcgi: no --listen and standard input is not a socket\n");
			return -1;
		}
		return 0;
	}
	if (strncmp(listen, "unix:", 5) == 0) {
		const char *path = listen + 5;

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
		if ((fd = FCGX_OpenSocket(path, 1024)) < 0 || socket_perms(cfg, path) == -1) {
			fprintf(stderr, "saas-fcgi: cannot listen on %s\n", path);
			return -1;
		}
		return fd;
	}
	if (strchr(listen, ':') == NULL || listen[0] == ':') {
		fprintf(stderr, "saas-fcgi: --listen: give unix:PATH or HOST:PORT\n");
		return -1;
	}
	/* Whoever reaches the socket speaks FastCGI to the workers: never every address. */
	if (strncmp(listen, "0.0.0.0:", 8) == 0 || strncmp(listen, "*:", 2) == 0 ||
	    strncmp(listen, "[::]:", 5) == 0 || strncmp(listen, ":::", 3) == 0) {
		fprintf(stderr, "saas-fcgi: --listen: not on every address; name one, or use"
		                " unix:PATH\n");
		return -1;
	}
	if ((fd = FCGX_OpenSocket(listen, 1024)) < 0) {
		fprintf(stderr, "saas-fcgi: cannot listen on %s\n", listen);
		return -1;
	}
	return fd;
}

/*
 * Started as root: serve as RUN_AS_USER, its groups included, for good (a
 * way back to root stops the program). Otherwise nothing changes.
 */
static int
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (cfg->run_as_user[0] == '\0') {
		fprintf(stderr, "saas-fcgi: started as root: set RUN_AS_USER to the user to serve"
		                " as\n");
		return -1;
	}
	if ((pw = getpwnam(cfg->run_as_user)) == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "saas-fcgi: RUN_AS_USER: %s\n",
		    pw == NULL ? "no such user" : "must not be root");
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "saas-fcgi: RUN_AS_USER: %s\n", strerror(errno));
		return -1;
	}
	if (setuid(0) != -1 || setgid(0) != -1) {
		fprintf(stderr, "saas-fcgi: RUN_AS_USER: root could be regained\n");
		abort();
	}
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer inspects the process from a thread of its own: let it. */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"workers", required_argument, NULL, 'w'},
	    {"routes", no_argument, NULL, 'r'},
	    {"check", no_argument, NULL, 'C'},
	    {"hash-password", no_argument, NULL, 'H'},
	    {"email", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct app app;
	struct pool_opts opts = {NULL, 0, -1, argv, NULL, 0};
	const char *listen = NULL, *email = NULL;
	char err[256];
	pid_t *adopted = NULL;
	int c, rc, hash_password = 0, check = 0, inherit;

	while ((c = getopt_long(argc, argv, "c:l:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			for (size_t i = 0; i < nroutes; i++)
				printf("%s %s %s\n", routes[i].method, routes[i].pattern,
				    route_access(routes[i].needs));
			return 0;
		case 'c':
			opts.config_path = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'w':
			if (parse_long(optarg, 1, 256, &opts.workers) == -1) {
				fprintf(stderr, "saas-fcgi: --workers: must be 1 to 256\n");
				return 2;
			}
			break;
		case 'H':
			hash_password = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'e':
			email = optarg;
			break;
		default:
			usage();
		}
	}
	/* The two modes take their own options only. */
	if (optind != argc || (hash_password && (listen != NULL || opts.workers != 0)) ||
	    (!hash_password && email != NULL) || (check && hash_password))
		usage();
	memset(&app, 0, sizeof(app));
	if (config_load(&app.cfg, opts.config_path, err, sizeof(err)) == -1) {
		fprintf(stderr, "saas-fcgi: %s\n", err);
		return 1;
	}
	if (check) {
		config_free(&app.cfg);
		return 0;
	}
	if (hash_password) {
		rc = hashpw_run(&app.cfg, email, stdin, stdout, stderr);
		config_free(&app.cfg);
		return rc;
	}
	log_set_level(app.cfg.log_level);
	if ((inherit = inherited(&opts.listen_fd, &adopted, &opts.nadopted)) == -1)
		return 1;
	opts.adopted = adopted;
	if (inherit == 0 && (opts.listen_fd = open_listener(&app.cfg, listen)) < 0)
		return 1;
	if (drop_privileges(&app.cfg) == -1) {
		if (listen != NULL && strncmp(listen, "unix:", 5) == 0)
			unlink(listen + 5);
		return 1;
	}
	if (FCGX_Init() != 0 || (app.metrics = metrics_new()) == NULL) {
		fprintf(stderr, "saas-fcgi: cannot initialise\n");
		return 1;
	}
	rc = pool_run(&app, &opts);
	if (listen != NULL && strncmp(listen, "unix:", 5) == 0)
		unlink(listen + 5);
	metrics_free(app.metrics);
	config_free(&app.cfg);
	free(adopted);
	return rc;
}
