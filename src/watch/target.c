// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/proc.h"
#include "watch/target.h"

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

static uint64_t hex_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	uint64_t v = 0;

	if (!p)
		return UINT64_MAX;
	for (p += strlen(key); *p == ' ' || *p == '\t'; p++)
		;
	for (;; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
						 : -1;

		if (d < 0)
			return v;
		v = v * 16 + (uint64_t)d;
	}
}

/* fdinfo of an eventpoll descriptor: one "tfd: N events: HEX data: HEX
 * pos:0 ino:HEX sdev:HEX" line per watched file; a large event loop has
 * thousands, so no scanf. */
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
		uint64_t events, ino;

		if (strncmp(line, "tfd:", 4) != 0)
			continue;
		events = hex_after(line, "events:");
		ino = hex_after(line, " ino:");
		if (events != UINT64_MAX && ino != UINT64_MAX)
			add_interest(sc, ino, (uint32_t)events);
	}
	fclose(f);
}

static int add_sock(struct sv_target_scan *sc, int fd, uint64_t ino)
{
	if (sv_grow((void **)&sc->socks, &sc->cap, sc->n + 1,
		    sizeof(*sc->socks)))
		return -ENOMEM;
	sc->socks[sc->n].fd = fd;
	sc->socks[sc->n].inode = ino;
	sc->n++;
	return 0;
}

static int add_link(struct sv_target_scan *sc, int fd, uint8_t kind,
		    uint64_t ino)
{
	struct sv_target_link *l;

	if (sv_grow((void **)&sc->links, &sc->capl, sc->nlinks + 1,
		    sizeof(*sc->links)))
		return -ENOMEM;
	l = &sc->links[sc->nlinks++];
	l->fd = fd;
	l->kind = kind;
	l->inode = ino;
	return 0;
}

/* What fd held at a scan (its links are in number order). */
static const struct sv_target_link *
old_link_in(const struct sv_target_link *v, size_t n, int fd)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].fd == fd)
			return &v[mid];
		if (v[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct sv_target_link *old_link(const struct sv_target_scan *sc,
					     int fd)
{
	return old_link_in(sc->old, sc->nold, fd);
}

static bool listed(const int *fds, size_t n, int fd)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fds[mid] == fd)
			return true;
		if (fds[mid] < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* What a descriptor's link says: SV_TARGET_*, and a socket's inode;
 * -1 when it is closed or unreadable (then *err may say why). */
static int read_link(struct sv_target_scan *sc, int fddir, const char *name,
		     uint64_t *ino, int *err)
{
	char link[64];
	ssize_t n = readlinkat(fddir, name, link, sizeof(link) - 1);

	sc->readlinks++;
	*ino = 0;
	if (n < 0) {
		if (errno == EACCES || errno == EPERM)
			*err = -errno;
		return -1; /* or closed meanwhile */
	}
	link[n] = '\0';
	if (sv_proc_socket_inode(link, (size_t)n, ino))
		return SV_TARGET_SOCKET;
	if (!strcmp(link, "anon_inode:[eventpoll]"))
		return SV_TARGET_EPOLL;
	return SV_TARGET_OTHER;
}

static void add_epoll(struct sv_target_scan *sc, int infodir, const char *name,
		      int fd)
{
	if (infodir < 0)
		return;
	if (sc->epolls < SV_TARGET_EPFDS)
		sc->epfd[sc->epolls] = fd;
	sc->epolls++;
	/* interest changes without a new descriptor: read always */
	read_epoll(sc, infodir, name);
}

/* One descriptor: what its link says, or what the last scan said. */
static int scan_one(struct sv_target_scan *sc, int fddir, int infodir,
		    const char *name, int fd, const int *recheck,
		    size_t nrecheck)
{
	const struct sv_target_link *old = recheck ? old_link(sc, fd) : NULL;
	uint64_t ino = 0;
	int kind, err = 0;

	if (old && !(old->kind == SV_TARGET_SOCKET &&
		     listed(recheck, nrecheck, fd))) {
		kind = old->kind;
		ino = old->inode;
	} else {
		kind = read_link(sc, fddir, name, &ino, &err);
		if (kind < 0)
			return err;
	}
	if (add_link(sc, fd, (uint8_t)kind, ino))
		return -ENOMEM;
	if (kind == SV_TARGET_SOCKET)
		return add_sock(sc, fd, ino);
	if (kind == SV_TARGET_EPOLL)
		add_epoll(sc, infodir, name, fd);
	return 0;
}

/* The epoll interest of the last scan's eventpoll descriptors, read
 * again in place of what the table held. */
static void reread_interest(struct sv_target_scan *sc, int infodir)
{
	char name[16];
	size_t i;

	sc->ni = 0;
	sc->epolls = 0;
	sv_imap_clear(&sc->interest_by_inode);
	for (i = 0; i < sc->nlinks; i++) {
		if (sc->links[i].kind != SV_TARGET_EPOLL)
			continue;
		snprintf(name, sizeof(name), "%d", sc->links[i].fd);
		add_epoll(sc, infodir, name, sc->links[i].fd);
	}
}

/*
 * A look at a large table: as many descriptors as at the last scan (the
 * size of /proc/PID/fd counts them, since Linux 6.2) and the links asked
 * about unchanged.  Then only the epoll interest is read again.
 */
static bool same_table(struct sv_target_scan *sc, int fddir, int infodir,
		       const int *recheck, size_t nrecheck)
{
	struct stat st;
	char name[16];
	size_t i;

	if (fstat(fddir, &st) || st.st_size <= 0 ||
	    (size_t)st.st_size != sc->nlinks)
		return false;
	for (i = 0; i < nrecheck; i++) {
		const struct sv_target_link *l;
		uint64_t ino;
		int kind, err = 0;

		snprintf(name, sizeof(name), "%d", recheck[i]);
		kind = read_link(sc, fddir, name, &ino, &err);
		l = old_link_in(sc->links, sc->nlinks, recheck[i]);
		if (!l || kind != l->kind || ino != l->inode)
			return false;
	}
	reread_interest(sc, infodir);
	return true;
}

int sv_target_interest_reread(int pid, struct sv_target_scan *sc)
{
	char path[64];
	int infodir;

	if (!sc->epolls || sc->epolls > SV_TARGET_EPFDS)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	infodir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (infodir < 0)
		return -1;
	reread_interest(sc, infodir);
	close(infodir);
	return 0;
}

int sv_target_scan(int pid, struct sv_target_scan *sc, const int *recheck,
		   size_t nrecheck)
{
	char path[64];
	int fddir, infodir;
	DIR *d;
	struct dirent *de;
	struct sv_target_link *t;
	size_t cap;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	fddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	infodir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sc->unchanged = recheck &&
			same_table(sc, fddir, infodir, recheck, nrecheck);
	if (sc->unchanged) {
		close(fddir);
		if (infodir >= 0)
			close(infodir);
		return 0;
	}
	/* the last scan's links become the old ones */
	t = sc->old;
	sc->old = sc->links;
	sc->links = t;
	cap = sc->capold;
	sc->capold = sc->capl;
	sc->capl = cap;
	sc->nold = sc->nlinks;
	sc->nlinks = 0;
	sc->n = 0;
	sc->ni = 0;
	sc->epolls = 0;
	sv_imap_clear(&sc->interest_by_inode);
	d = fdopendir(fddir);
	if (!d) {
		err = -errno;
		close(fddir);
		if (infodir >= 0)
			close(infodir);
		return err;
	}
	while ((de = readdir(d)) && !err) {
		uint64_t v;

		if (sv_parse_u64(de->d_name, 0, INT32_MAX, &v))
			continue;
		err = scan_one(sc, fddir, infodir, de->d_name, (int)v,
			       recheck, nrecheck);
	}
	closedir(d);
	if (infodir >= 0)
		close(infodir);
	return err;
}

void sv_target_scan_free(struct sv_target_scan *sc)
{
	free(sc->socks);
	free(sc->links);
	free(sc->old);
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
	*netns = sv_target_netns(pid);
	return 0;
}

int sv_target_fd_inode(int pid, int fd, uint64_t *inode)
{
	char path[64], link[64];
	ssize_t n;

	*inode = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	link[n] = '\0';
	sv_proc_socket_inode(link, (size_t)n, inode);
	return 0;
}

uint64_t sv_target_netns(int pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int sv_target_tgid(int pid)
{
	char path[64], line[128];
	int tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (strncmp(line, "Tgid:", 5))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (sv_parse_u64(line + 5 + strspn(line + 5, " \t"), 1,
				 INT32_MAX, &v) == 0)
			tgid = (int)v;
		break;
	}
	fclose(f);
	return tgid;
}

void sv_target_interest_set(struct sv_target_scan *sc, uint64_t inode,
			    uint32_t events)
{
	uint32_t i;

	if (sv_imap_get(&sc->interest_by_inode, inode, &i))
		sc->interest[i].events = events;
}

int sv_target_interest_now(int pid, const struct sv_target_scan *sc,
			   uint64_t inode, uint32_t *events)
{
	char path[64], line[256];
	int found = 0;
	size_t i;

	*events = 0;
	if (!sc->epolls || sc->epolls > SV_TARGET_EPFDS)
		return -1;
	for (i = 0; i < sc->epolls; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid,
			 sc->epfd[i]);
		f = fopen(path, "re");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			uint64_t ev, ino;

			if (strncmp(line, "tfd:", 4) != 0)
				continue;
			ev = hex_after(line, "events:");
			ino = hex_after(line, " ino:");
			if (ino == inode && ev != UINT64_MAX) {
				*events |= (uint32_t)ev;
				found = 1;
			}
		}
		fclose(f);
	}
	return found;
}
