// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "fields_cmd.h"
#include "list/cmd.h"
#include "serve/cmd.h"
#include "watch/cmd.h"

#ifndef SV_VERSION
#define SV_VERSION "unknown"
#endif

struct sv_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);
	const char *summary;
};

static const struct sv_cmd commands[] = {
	{ "list", sv_cmd_list, sv_list_usage,
	  "list sockets with their buffers, state and TCP internals" },
	{ "metrics", sv_cmd_metrics, sv_metrics_usage,
	  "print socket metrics for Prometheus (text exposition)" },
	{ "serve", sv_cmd_serve, sv_serve_usage,
	  "answer Prometheus scrapes over HTTP (GET /metrics)" },
	{ "watch", sv_cmd_watch, sv_watch_usage,
	  "show one process's sockets live, with its readiness events" },
	{ "fields", sv_cmd_fields, sv_fields_usage,
	  "describe every field: JSON key, group, unit, meaning" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: sockview COMMAND [OPTIONS]\n"
	      "       sockview help COMMAND\n"
	      "       sockview --version\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nWith no command, or options only, sockview runs 'list'.\n", f);
}

static const struct sv_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * With 0, 1 or 2 closed, the next file opened takes its number: `list
 * >&-` wrote the table into the netlink socket and exited 0.  Each gets
 * /dev/null, fd 1 read-only so that writing to it still fails (EBADF),
 * as a closed stdout should.
 */
static void reserve_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		got = open("/dev/null", fd == 1 ? O_RDONLY : O_RDWR);
		if (got != fd)
			_exit(SV_EXIT_FAIL); /* no stderr to say it on */
	}
}

/* Text written through stdio (help, usage) is checked once, at exit: a
 * failed write is never silent.  A reader that left is not an error. */
static void check_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return;
	if (errno == EPIPE)
		return;
	fprintf(stderr, "%s: write error: %s\n", sv_progname,
		strerror(errno ? errno : EIO));
	_exit(SV_EXIT_FAIL);
}

int main(int argc, char **argv)
{
	static char list_name[] = "list";
	static char *no_args[] = { list_name, NULL };
	const struct sv_cmd *cmd;

	reserve_std_fds();
	if (atexit(check_stdout))
		sv_die("cannot register the check of stdout");
	/* A closed pipe shows up as EPIPE from write(), ended quietly. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2)
		return sv_cmd_list(1, no_args);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("sockview %s\n", SV_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		cmd = find_cmd(argv[2]);
		if (!cmd)
			sv_usage_die("help: unknown command '%s'", argv[2]);
		cmd->usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		/* ss habit: options alone mean list */
		argv[0] = list_name;
		return sv_cmd_list(argc, argv);
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		sv_usage_die("unknown command '%s'", argv[1]);
	return cmd->fn(argc - 1, argv + 1);
}
