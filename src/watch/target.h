/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_TARGET_H
#define SV_WATCH_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "core/imap.h"

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

	/* What each fd number held at the last scan: a socket's inode is
	 * remembered so a scan reads links only for new or stale fds. */
	uint64_t *fd_inode; /* 0: not a socket */
	uint8_t *fd_state;  /* enum in target.c */
	uint32_t *fd_seen;  /* the scan that last listed the fd */
	size_t fd_cap;
	uint32_t gen;
	uint64_t readlinks; /* links read, for the cost of a scan */
};

/* 0, -ESRCH (gone), -EACCES/-EPERM (may not look), -ENOMEM. */
int sv_target_scan(int pid, struct sv_target_scan *sc);
/* The socket at fd may have been replaced (its inode is gone): read the
 * link again at the next scan. */
void sv_target_forget_fd(struct sv_target_scan *sc, int fd);
void sv_target_scan_free(struct sv_target_scan *sc);
/* The events the target waits for on inode, 0 when none. */
uint32_t sv_target_interest(const struct sv_target_scan *sc, uint64_t inode,
			    int *known);

/* comm (untrusted text) and the inode of its network namespace. */
int sv_target_info(int pid, char *comm, size_t commlen, uint64_t *netns);

#endif
