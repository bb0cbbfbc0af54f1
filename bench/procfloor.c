// SPDX-License-Identifier: MIT
/*
 * procfloor: the /proc share of `sockview list -tap`.  It lists /proc,
 * and for every process lists /proc/PID/fd and reads each link with
 * readlinkat(), counting those that name a socket; nothing else (no
 * comm, no map, no sort).  Whatever finds the owners of sockets from
 * /proc does at least this much, on one thread.
 *
 *   procfloor [-c]     -c: print the number of socket links found
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dents[1 << 16] __attribute__((aligned(8)));

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

typedef void (*entry_fn)(int dirfd, const char *name, unsigned long *n);

/* Every entry of dirfd but . and .., by getdents64 in big blocks. */
static int each_entry(int dirfd, char *buf, size_t size, entry_fn fn,
		      unsigned long *n)
{
	for (;;) {
		long len = syscall(SYS_getdents64, dirfd, buf, size);
		long off;

		if (len < 0)
			return -1;
		if (len == 0)
			return 0;
		for (off = 0; off < len;) {
			struct linux_dirent64 *d =
				(struct linux_dirent64 *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] != '.')
				fn(dirfd, d->d_name, n);
		}
	}
}

static void one_fd(int fdfd, const char *name, unsigned long *n)
{
	char link[64];
	ssize_t len = readlinkat(fdfd, name, link, sizeof(link));

	if (len > 8 && !memcmp(link, "socket:[", 8))
		(*n)++;
}

static void one_pid(int procfd, const char *name, unsigned long *n)
{
	static char fdents[1 << 16] __attribute__((aligned(8)));
	char path[64];
	int fdfd;

	if (name[0] < '1' || name[0] > '9')
		return;
	snprintf(path, sizeof(path), "%s/fd", name);
	fdfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0)
		return; /* exited, or not ours to read */
	each_entry(fdfd, fdents, sizeof(fdents), one_fd, n);
	close(fdfd);
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (procfd < 0 ||
	    each_entry(procfd, dents, sizeof(dents), one_pid, &n) < 0) {
		perror("procfloor: /proc");
		return 1;
	}
	close(procfd);
	if (argc > 1 && !strcmp(argv[1], "-c"))
		printf("%lu\n", n);
	return 0;
}
