// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/netns.h"

static char path[PATH_MAX];

static int enter(const char **what)
{
	int fd, err = 0;

	*what = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return enter(what);
}

int sv_netns_enter_pid(int pid, const char **what)
{
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
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
