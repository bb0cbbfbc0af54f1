/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_TARGET_H
#define SV_WATCH_TARGET_H

#include <stdbool.h>
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

/* Every descriptor of the last scan, in number order. */
struct sv_target_link {
	int fd;
	uint8_t kind; /* SV_TARGET_* */
	uint64_t inode; /* a socket's */
};
#define SV_TARGET_OTHER 0
#define SV_TARGET_SOCKET 1
#define SV_TARGET_EPOLL 2

struct sv_target_scan {
	struct sv_target_sock *socks;
	size_t n, cap;
	struct sv_target_interest *interest;
	size_t ni, icap;
	struct sv_imap interest_by_inode; /* inode -> index in interest */
	size_t epolls; /* eventpoll descriptors seen */
#define SV_TARGET_EPFDS 8
	int epfd[SV_TARGET_EPFDS]; /* the first of them, by number */
	uint64_t readlinks; /* links read, for the cost of a scan */
	struct sv_target_link *links, *old; /* this scan's, the last one's */
	size_t nlinks, capl, nold, capold;
	bool unchanged; /* a look found the table as the last scan left it */
};



/*
 * 0, -ESRCH (gone), -EACCES/-EPERM (may not look), -ENOMEM.  recheck
 * NULL reads every descriptor's link.  Otherwise it is a look: only the
 * links of the numbers in recheck (sorted) are read, and those of numbers
 * the last scan did not have; when the table holds as many descriptors as
 * then and those links are unchanged, not even the directory is read
 * (unchanged is set, socks and links are the last scan's).
 */
int sv_target_scan(int pid, struct sv_target_scan *sc, const int *recheck,
		   size_t nrecheck);
/* The socket inode fd holds now, 0 when none (closed, or not a socket):
 * a look at one descriptor.  0 or -errno. */
int sv_target_fd_inode(int pid, int fd, uint64_t *inode);
void sv_target_scan_free(struct sv_target_scan *sc);
/*
 * Whether the target's epoll sets hold inode now (its fdinfo read again,
 * only the eventpoll descriptors the last scan found): 1 (and *events),
 * 0 in none of them, -1 unknown (no epoll, too many, or unreadable).
 */
int sv_target_interest_now(int pid, const struct sv_target_scan *sc,
			   uint64_t inode, uint32_t *events);
/* The events the target waits for on inode, 0 when none. */
uint32_t sv_target_interest(const struct sv_target_scan *sc, uint64_t inode,
			    int *known);
/* Every socket's interest read again (the eventpoll descriptors of the
 * last scan), as a look whose table is unchanged does: 0, -1 when the
 * epoll sets are unknown or cannot be read (the table is left). */
int sv_target_interest_reread(int pid, struct sv_target_scan *sc);
/* What sv_target_interest_now found, kept until the next look. */
void sv_target_interest_set(struct sv_target_scan *sc, uint64_t inode,
			    uint32_t events);

/* comm (untrusted text) and the inode of its network namespace. */
int sv_target_info(int pid, char *comm, size_t commlen, uint64_t *netns);
/* The process a thread id belongs to (its thread group), or -errno. */
int sv_target_tgid(int pid);
/* The inode of its network namespace, 0 when unknown. */
uint64_t sv_target_netns(int pid);

#endif
