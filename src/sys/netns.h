/* SPDX-License-Identifier: MIT */
#ifndef SV_NETNS_H
#define SV_NETNS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Moves the calling thread into another network namespace, before any
 * netlink socket is opened (a socket belongs to the namespace it was
 * created in).  name: under /run/netns, as `ip netns` makes them; pid:
 * the namespace of that process.  Returns 0 or -errno; *what names the
 * file that failed.
 */
int sv_netns_enter_name(const char *name, const char **what);
int sv_netns_enter_pid(int pid, const char **what);

/* The inode of the calling thread's network namespace. */
int sv_netns_self(uint64_t *inode);

/*
 * --all-netns: every network namespace of the host, each once by inode:
 * the names in /run/netns, then those of /proc/[pid]/ns/net.
 */
#include <stddef.h>

#include "core/cgroup.h"

struct sv_diag;

struct sv_netns_entry {
	struct sv_netns_label label;
	char name[256];
	int pid; /* the lowest pid found in it, 0 when none */
	int fd;	 /* the namespace, open until its socket is made */
	struct sv_diag *diag; /* a sock_diag socket made in it */
	int err;	      /* why there is none */
};

struct sv_netns_set {
	struct sv_netns_entry *e;
	size_t n, cap;
	size_t unreadable; /* /proc/PID/ns/net we could not read */
};

int sv_netns_scan(struct sv_netns_set *s);
/*
 * A sock_diag socket in each namespace.  A socket stays in the
 * namespace it was made in, so one worker thread enters each namespace
 * in turn (setns) only to make it; the calling thread never moves.
 * Per entry: diag, or err (-EPERM without CAP_SYS_ADMIN).
 */
int sv_netns_open_diags(struct sv_netns_set *s);
void sv_netns_set_free(struct sv_netns_set *s);

#endif
