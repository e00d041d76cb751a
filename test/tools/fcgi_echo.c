/*
 * fcgi_echo: a FastCGI responder for tests of what the web server sends
 * and does. Each request is logged ("METHOD URI" a line, to --log) and
 * answered 200 with the parameters it came with, one NAME=VALUE a line;
 * with --drop it gets no answer at all: the connection closes, as when a
 * worker dies mid-request.
 *
 *   fcgi_echo --listen PATH --log FILE [--drop]
 */
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi_echo --listen PATH --log FILE [--drop]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"log", required_argument, NULL, 'o'},
	    {"drop", no_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *logpath = NULL;
	FCGX_Request fr;
	FILE *log;
	int c, fd, drop = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			path = optarg;
			break;
		case 'o':
			logpath = optarg;
			break;
		case 'd':
			drop = 1;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || logpath == NULL || optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	unlink(path);
	if ((log = fopen(logpath, "a")) == NULL || FCGX_Init() != 0 ||
	    (fd = FCGX_OpenSocket(path, 64)) < 0 || chmod(path, 0666) == -1 ||
	    FCGX_InitRequest(&fr, fd, 0) != 0) {
		perror("fcgi_echo");
		return 1;
	}
	setvbuf(log, NULL, _IOLBF, 0);
	while (FCGX_Accept_r(&fr) >= 0) {
		const char *method = FCGX_GetParam("REQUEST_METHOD", fr.envp);
		const char *uri = FCGX_GetParam("REQUEST_URI", fr.envp);

		fprintf(log, "%s %s\n", method ? method : "-", uri ? uri : "-");
		if (drop) {
			shutdown(fr.ipcFd, SHUT_RDWR);
		} else {
			FCGX_FPrintF(fr.out, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n");
			for (char **e = fr.envp; *e != NULL; e++)
				FCGX_FPrintF(fr.out, "%s\n", *e);
		}
		FCGX_Finish_r(&fr);
	}
	return 0;
}
