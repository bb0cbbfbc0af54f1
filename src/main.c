// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/options.h"
#include "core/util.h"
#include "fields_cmd.h"
#include "list/cmd.h"
#include "serve/cmd.h"
#include "watch/cmd.h"

#ifndef SV_VERSION
#define SV_VERSION "unknown"
#endif

/* What runs each command; names, help and options are in its doc. */
struct sv_cmd {
	const struct sv_cmd_doc *doc;
	int (*fn)(int argc, char **argv);
};

static const struct sv_cmd commands[] = {
	{ &sv_list_doc, sv_cmd_list },
	{ &sv_metrics_doc, sv_cmd_metrics },
	{ &sv_serve_doc, sv_cmd_serve },
	{ &sv_watch_doc, sv_cmd_watch },
	{ &sv_fields_doc, sv_cmd_fields },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct sv_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].doc->name, name) == 0)
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

	sv_version = SV_VERSION;
	reserve_std_fds();
	if (atexit(check_stdout))
		sv_die("cannot register the check of stdout");
	/* A closed pipe shows up as EPIPE from write(), ended quietly. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2)
		return sv_cmd_list(1, no_args);
	switch (sv_opt_word(&sv_main_doc, argv[1])) {
	case 'h':
		sv_cmd_usage(&sv_main_doc, stdout);
		return 0;
	case 'V':
		printf("sockview %s\n", sv_version);
		return 0;
	}
	if (!strcmp(argv[1], sv_help_doc.name)) {
		cmd = argc < 3 ? NULL : find_cmd(argv[2]);
		if (argc >= 3 && !cmd)
			sv_usage_die("help: unknown command '%s'", argv[2]);
		sv_cmd_usage(cmd ? cmd->doc : &sv_main_doc, stdout);
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
