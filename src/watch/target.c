// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util.h"
#include "target.h"

static int add_interest(struct sv_target_scan *sc, uint64_t inode,
			uint32_t events)
{
	uint32_t i;

	if (sv_imap_get(&sc->interest_by_inode, inode, &i)) {
		sc->interest[i].events |= events;
		return 0;
	}
	if (sv_grow((void **)&sc->interest, &sc->icap, sc->ni + 1,
		 sizeof(*sc->interest)) ||
	    sv_imap_put(&sc->interest_by_inode, inode, (uint32_t)sc->ni))
		return -ENOMEM;
	sc->interest[sc->ni].inode = inode;
	sc->interest[sc->ni].events = events;
	sc->ni++;
	return 0;
}

/* fdinfo of an eventpoll descriptor: one "tfd: N events: HEX data: HEX
 * pos:0 ino:HEX sdev:HEX" line per watched file. */
static void read_epoll(struct sv_target_scan *sc, int fdinfo_dir,
		       const char *fd)
{
	char line[256];
	FILE *f;
	int dfd = openat(fdinfo_dir, fd, O_RDONLY | O_CLOEXEC);

	if (dfd < 0)
		return;
	f = fdopen(dfd, "re");
	if (!f) {
		close(dfd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned tfd, events;
		unsigned long long ino;

		if (sscanf(line, "tfd: %u events: %x data: %*x pos:%*u ino:%llx",
			   &tfd, &events, &ino) == 3)
			add_interest(sc, ino, events);
	}
	fclose(f);
}

int sv_target_scan(int pid, struct sv_target_scan *sc)
{
	char path[64];
	int fddir, infodir;
	DIR *d;
	struct dirent *de;
	int err = 0;

	sc->n = 0;
	sc->ni = 0;
	sc->epolls = 0;
	sv_imap_clear(&sc->interest_by_inode);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	fddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	infodir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fdopendir(fddir);
	if (!d) {
		err = -errno;
		close(fddir);
		if (infodir >= 0)
			close(infodir);
		return err;
	}
	while ((de = readdir(d))) {
		char link[64];
		ssize_t n;
		unsigned long long ino;
		char tail;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(fddir, de->d_name, link, sizeof(link) - 1);
		if (n < 0) {
			if (errno == EACCES || errno == EPERM) {
				err = -errno;
				break;
			}
			continue; /* closed meanwhile */
		}
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu%c", &ino, &tail) == 2 &&
		    tail == ']') {
			if (sv_grow((void **)&sc->socks, &sc->cap, sc->n + 1,
				 sizeof(*sc->socks))) {
				err = -ENOMEM;
				break;
			}
			sc->socks[sc->n].fd = atoi(de->d_name);
			sc->socks[sc->n].inode = ino;
			sc->n++;
		} else if (!strcmp(link, "anon_inode:[eventpoll]") &&
			   infodir >= 0) {
			sc->epolls++;
			read_epoll(sc, infodir, de->d_name);
		}
	}
	closedir(d);
	if (infodir >= 0)
		close(infodir);
	return err;
}

void sv_target_scan_free(struct sv_target_scan *sc)
{
	free(sc->socks);
	free(sc->interest);
	sv_imap_free(&sc->interest_by_inode);
	memset(sc, 0, sizeof(*sc));
}

uint32_t sv_target_interest(const struct sv_target_scan *sc, uint64_t inode,
			    int *known)
{
	uint32_t i;

	*known = sv_imap_get(&sc->interest_by_inode, inode, &i);
	return *known ? sc->interest[i].events : 0;
}

int sv_target_info(int pid, char *comm, size_t commlen, uint64_t *netns)
{
	char path[64];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, comm, commlen - 1);
	close(fd);
	if (n < 0)
		n = 0;
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	*netns = stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
	return 0;
}
