// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/imap.h"
#include "core/util.h"
#include "sys/diag.h"
#include "sys/netns.h"

static char ns_path[PATH_MAX];

static int enter(const char **what)
{
	int fd, err = 0;

	*what = ns_path;
	fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

int sv_netns_enter_name(const char *name, const char **what)
{
	*what = name;
	/* a name, not a path: no way out of /run/netns */
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s", name);
	return enter(what);
}

int sv_netns_enter_pid(int pid, const char **what)
{
	snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/net", pid);
	return enter(what);
}

int sv_netns_self(uint64_t *inode)
{
	struct stat st;

	/* the thread's own: a thread may have moved alone */
	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return -errno;
	*inode = st.st_ino;
	return 0;
}

static struct sv_netns_entry *ns_add(struct sv_netns_set *s,
				     struct sv_imap *seen, const char *path,
				     int *err)
{
	struct sv_netns_entry *e;
	struct stat st;
	uint32_t idx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*err = 0;
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !st.st_ino) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	if (sv_imap_get(seen, st.st_ino, &idx)) {
		close(fd);
		return &s->e[idx];
	}
	if (sv_grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e)) ||
	    sv_imap_put(seen, st.st_ino, (uint32_t)s->n)) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->label.inode = st.st_ino;
	e->fd = fd;
	return e;
}

static int by_pid(const struct dirent *d)
{
	return d->d_name[0] >= '1' && d->d_name[0] <= '9';
}

static int pid_order(const struct dirent **a, const struct dirent **b)
{
	long x = strtol((*a)->d_name, NULL, 10);
	long y = strtol((*b)->d_name, NULL, 10);

	return (x > y) - (x < y);
}

int sv_netns_scan(struct sv_netns_set *s)
{
	struct sv_imap seen = { 0 };
	struct dirent *d, **pids = NULL;
	DIR *run = opendir("/run/netns");
	char path[PATH_MAX];
	int i, np, err;

	memset(s, 0, sizeof(*s));
	while (run && (d = readdir(run))) {
		struct sv_netns_entry *e;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		e = ns_add(s, &seen, path, &err);
		if (e && !e->name[0])
			snprintf(e->name, sizeof(e->name), "%s", d->d_name);
	}
	if (run)
		closedir(run);
	np = scandir("/proc", &pids, by_pid, pid_order);
	for (i = 0; i < np; i++) {
		struct sv_netns_entry *e;

		snprintf(path, sizeof(path), "/proc/%s/ns/net", pids[i]->d_name);
		e = ns_add(s, &seen, path, &err);
		if (e && !e->pid)
			e->pid = (int)strtol(pids[i]->d_name, NULL, 10);
		if (err == -EACCES || err == -EPERM)
			s->unreadable++;
		free(pids[i]);
	}
	free(pids);
	sv_imap_free(&seen);
	for (i = 0; s->e && i < (int)s->n; i++) {
		/* labels point into e: fixed now that e stops moving */
		struct sv_netns_entry *e = &s->e[i];

		e->label.name = e->name[0] ? e->name : NULL;
	}
	return np < 0 ? -errno : 0;
}

static void *open_worker(void *arg)
{
	struct sv_netns_set *s = arg;
	uint64_t self = 0, here;
	size_t i;

	sv_netns_self(&self);
	here = self;
	for (i = 0; i < s->n; i++) {
		struct sv_netns_entry *e = &s->e[i];

		/* our own namespace needs no privilege unless we left it */
		if (e->label.inode != here) {
			if (setns(e->fd, CLONE_NEWNET) < 0) {
				e->err = -errno;
				continue;
			}
			here = e->label.inode;
		}
		e->err = sv_diag_open(&e->diag);
		if (e->err)
			e->diag = NULL;
	}
	return NULL;
}

int sv_netns_open_diags(struct sv_netns_set *s)
{
	pthread_t t;
	size_t i;
	int err = pthread_create(&t, NULL, open_worker, s);

	if (err)
		return -err;
	pthread_join(t, NULL);
	for (i = 0; i < s->n; i++) {
		close(s->e[i].fd);
		s->e[i].fd = -1;
	}
	return 0;
}

void sv_netns_set_free(struct sv_netns_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->e[i].fd >= 0)
			close(s->e[i].fd);
		sv_diag_close(s->e[i].diag);
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
}
