// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "watch/ready.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int sv_ready_open(struct sv_ready *r, int pid)
{
	r->denied = 0;
	r->epfd = -1;
	r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (r->pidfd < 0)
		return -errno;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		int err = -errno;

		close(r->pidfd);
		r->pidfd = -1;
		return err;
	}
	return 0;
}

static void local_name(int fd, int *family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	*family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* The socket's readiness now, without touching its data. */
static uint32_t current_mask(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP |
						POLLPRI };

	if (poll(&p, 1, 0) <= 0)
		return 0;
	return (uint32_t)p.revents;
}

int sv_ready_add(struct sv_ready *r, int fd, uint64_t inode, int *family,
		 int *type, uint16_t *port, uint32_t *mask)
{
	socklen_t tlen = sizeof(*type);
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
		.data.u64 = inode,
	};
	int dup, err = 0;

	*port = 0;
	*family = 0;
	*type = 0;
	if (r->denied)
		return r->denied;
	dup = (int)syscall(SYS_pidfd_getfd, r->pidfd, fd, 0);
	if (dup < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES || err == -ENOSYS)
			r->denied = err;
		return err;
	}
	local_name(dup, family, port);
	if (getsockopt(dup, SOL_SOCKET, SO_TYPE, type, &tlen) < 0)
		*type = 0;
	*mask = current_mask(dup);
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, dup, &ev) < 0 && errno != EEXIST)
		err = -errno;
	/* the registration outlives our duplicate: the target owns it */
	close(dup);
	return err;
}

int sv_ready_drain(struct sv_ready *r,
		   void (*cb)(uint64_t inode, uint32_t events, void *arg),
		   void *arg)
{
	struct epoll_event ev[256];
	int n, i, total = 0;

	do {
		n = epoll_wait(r->epfd, ev, 256, 0);
		if (n < 0)
			return errno == EINTR ? total : -errno;
		for (i = 0; i < n; i++)
			cb(ev[i].data.u64, ev[i].events, arg);
		total += n;
	} while (n == 256);
	return total;
}

void sv_ready_close(struct sv_ready *r)
{
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->epfd = r->pidfd = -1;
}
