/* SPDX-License-Identifier: MIT */
#ifndef SV_NETNS_H
#define SV_NETNS_H

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

#endif
