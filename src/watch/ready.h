/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_READY_H
#define SV_WATCH_READY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Readiness as the target's own event loop sees it: each target socket is
 * duplicated with pidfd_getfd(), added edge-triggered to an epoll instance
 * of ours keyed by inode, and the duplicate closed at once.  The epoll
 * registration lives while the target holds the socket and goes when it
 * closes it, so we never delay its close or its FIN, and we never read,
 * write or shut down its sockets.
 */
struct sv_ready {
	int pidfd; /* also readable when the target exits */
	int epfd;
	int denied; /* pidfd_getfd refused (-errno), readiness inferred */
};

int sv_ready_open(struct sv_ready *r, int pid);
/*
 * Registers the target's fd (socket inode).  On success fills *family,
 * *type (SO_TYPE) and *port from getsockname() on the duplicate (0 when unknown), and *mask
 * with its readiness at that moment (poll(2) bits, as EPOLL* bits are):
 * the first report of an edge-triggered registration is that state, not
 * an event.  -EPERM/-EACCES: no ptrace permission; -EBADF: fd gone.
 */
int sv_ready_add(struct sv_ready *r, int fd, uint64_t inode, int *family,
		 int *type, uint16_t *port, uint32_t *mask);
/* Calls cb for every pending edge, without blocking; returns how many. */
int sv_ready_drain(struct sv_ready *r,
		   void (*cb)(uint64_t inode, uint32_t events, void *arg),
		   void *arg);
void sv_ready_close(struct sv_ready *r);

#endif
