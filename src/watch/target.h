/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_TARGET_H
#define SV_WATCH_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "../imap.h"

/* The watched process: its socket descriptors and its epoll interest. */

struct sv_target_sock {
	int fd;
	uint64_t inode;
};

struct sv_target_interest {
	uint64_t inode;
	uint32_t events; /* EPOLL* bits, the union over its epoll sets */
};

struct sv_target_scan {
	struct sv_target_sock *socks;
	size_t n, cap;
	struct sv_target_interest *interest;
	size_t ni, icap;
	struct sv_imap interest_by_inode; /* inode -> index in interest */
	size_t epolls; /* eventpoll descriptors seen */
};

/* 0, -ESRCH (gone), -EACCES/-EPERM (may not look), -ENOMEM. */
int sv_target_scan(int pid, struct sv_target_scan *sc);
void sv_target_scan_free(struct sv_target_scan *sc);
/* The events the target waits for on inode, 0 when none. */
uint32_t sv_target_interest(const struct sv_target_scan *sc, uint64_t inode,
			    int *known);

/* comm (untrusted text) and the inode of its network namespace. */
int sv_target_info(int pid, char *comm, size_t commlen, uint64_t *netns);

#endif
