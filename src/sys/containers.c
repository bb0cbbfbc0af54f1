// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/imap.h"
#include "core/util.h"
#include "sys/containers.h"

/* A cgroup file is a line per hierarchy: v1 hosts have a dozen. */
#define CGROUP_TEXT_MAX 16384

struct sv_containers {
	struct sv_imap index;	     /* pid -> 0 (none) or 1 + slot */
	struct sv_container **slot; /* stable: sockets point at them */
	size_t n, cap;
};

struct sv_containers *sv_containers_new(void)
{
	return sv_xcalloc(1, sizeof(struct sv_containers));
}

static ssize_t read_cgroup(int pid, char *text, size_t size)
{
	char path[40];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size &&
	       (n = read(fd, text + len, size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

static const struct sv_container *lookup(struct sv_containers *m, int pid)
{
	char *text = malloc(CGROUP_TEXT_MAX);
	struct sv_container c, *keep = NULL;
	ssize_t n;

	if (!text)
		sv_die("out of memory");
	n = read_cgroup(pid, text, CGROUP_TEXT_MAX);
	if (n > 0 && sv_cgroup_container(text, (size_t)n, &c)) {
		keep = malloc(sizeof(*keep));
		if (!keep || sv_grow((void **)&m->slot, &m->cap, m->n + 1,
				     sizeof(*m->slot)))
			sv_die("out of memory");
		*keep = c;
		m->slot[m->n++] = keep;
	}
	free(text);
	if (sv_imap_put(&m->index, (uint64_t)pid, keep ? (uint32_t)m->n : 0))
		sv_die("out of memory");
	return keep;
}

const struct sv_container *sv_containers_get(struct sv_containers *m,
					     int pid)
{
	uint32_t v;

	if (pid <= 0)
		return NULL;
	if (sv_imap_get(&m->index, (uint64_t)pid, &v))
		return v ? m->slot[v - 1] : NULL;
	return lookup(m, pid);
}

void sv_containers_free(struct sv_containers *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->slot[i]);
	free(m->slot);
	sv_imap_free(&m->index);
	free(m);
}
