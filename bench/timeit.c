// SPDX-License-Identifier: MIT
/*
 * timeit: runs one command once and prints, on one line of its standard
 * error,
 *
 *   WALL_NS MAXRSS_KIB USER_US SYS_US STATUS
 *
 * WALL_NS from just before the spawn to the reaping of the child
 * (CLOCK_MONOTONIC); MAXRSS_KIB, USER_US and SYS_US from wait4()'s
 * rusage of that child; STATUS its exit code, or 128 + signal.
 *
 *   timeit [-o FILE] [-e FILE] -- COMMAND [ARG...]
 *
 * The command's standard output goes to -o FILE (default /dev/null; "-"
 * keeps ours), its standard error to -e FILE (default: ours).  A small C program rather than Python does the spawning
 * because the peak RSS the kernel reports for an exec'ed child starts
 * at the spawner's own (the memory it had before exec): here about 1 MiB.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	const char *out = "/dev/null", *errf = NULL;
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	struct rusage ru;
	int i = 1, status, err;
	pid_t pid;

	while (i + 1 < argc && argv[i][0] == '-' &&
	       (argv[i][1] == 'o' || argv[i][1] == 'e') && !argv[i][2]) {
		if (argv[i][1] == 'o')
			out = argv[i + 1];
		else
			errf = argv[i + 1];
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: timeit [-o FILE] [-e FILE] -- COMMAND "
				"[ARG...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	if (strcmp(out, "-"))
		posix_spawn_file_actions_addopen(&fa, 1, out,
						 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (errf)
		posix_spawn_file_actions_addopen(&fa, 2, errf,
						 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = posix_spawnp(&pid, argv[i], &fa, NULL, argv + i, environ);
	if (err) {
		fprintf(stderr, "timeit: %s: %s\n", argv[i], strerror(err));
		return 127;
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("timeit: wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%lld %ld %lld %lld %d\n",
		(long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
			(t1.tv_nsec - t0.tv_nsec),
		ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		WIFEXITED(status) ? WEXITSTATUS(status)
				  : 128 + WTERMSIG(status));
	return 0;
}
