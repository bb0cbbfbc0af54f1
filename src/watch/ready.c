// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/tcpinfo.h"
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
	r->epfd = r->twin_epfd = -1;
	r->waiter = r->twin = NULL;
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
	/* without it, one thread collects as before */
	r->twin_epfd = epoll_create1(EPOLL_CLOEXEC);
	return 0;
}

static void inet_name(const struct sockaddr_storage *ss, uint8_t *addr,
		      uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
	}
}

/* The state sock_diag would report: TCP's own, else listening,
 * connected (established) or not (close). */
static int tcp_rx(int fd, struct sv_ready_rx *rx)
{
	struct sv_tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	rx->read_ns = sv_ready_real_ns();
	if (len < offsetof(struct sv_tcp_info, segs_in) + sizeof(ti.segs_in))
		return -ENODATA;
	rx->state = ti.state;
	rx->bytes_received = ti.bytes_received;
	rx->last_data_recv_ms = ti.last_data_recv;
	rx->segs_in = ti.segs_in;
	rx->segs_out = ti.segs_out;
	return 0;
}

static int sock_state(int fd, struct sv_ready_info *info)
{
	int on = 0;
	socklen_t len;

	if (info->type == SOCK_STREAM &&
	    (info->family == AF_INET || info->family == AF_INET6)) {
		if (tcp_rx(fd, &info->rx))
			return -1;
		info->has_rx = true;
		return info->rx.state;
	}
	len = sizeof(on);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		return 10; /* TCP_LISTEN */
	if (info->has_peer || info->unix_peer)
		return 1; /* TCP_ESTABLISHED */
	return 7; /* TCP_CLOSE */
}

/* sun_path as the kernel holds it: a leading NUL for an abstract name */
static void unix_name(const struct sockaddr_storage *ss, socklen_t len,
		      struct sv_ready_info *info)
{
	const struct sockaddr_un *a = (const struct sockaddr_un *)ss;
	size_t n;

	if (ss->ss_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(info->path))
		n = sizeof(info->path);
	/* a pathname's length may count its terminating NUL */
	if (a->sun_path[0] && n && a->sun_path[n - 1] == '\0')
		n = strnlen(a->sun_path, n);
	memcpy(info->path, a->sun_path, n);
	info->path_len = n;
}

static void names(int fd, struct sv_ready_info *info)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), tlen = sizeof(info->type);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		info->family = ss.ss_family;
		inet_name(&ss, info->local, &info->port);
		unix_name(&ss, len, info);
	}
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
			info->has_peer = true;
			inet_name(&ss, info->peer, &info->peer_port);
		}
		info->unix_peer = ss.ss_family == AF_UNIX;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &info->type, &tlen) < 0)
		info->type = 0;
	/* the cookie names the socket to sock_diag, even after its close
	 * (destroy messages) and once its peer's name is gone */
	len = sizeof(info->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &info->cookie, &len) < 0 ||
	    len != sizeof(info->cookie))
		info->cookie = 0;
	info->state = sock_state(fd, info);
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

static int get_fd(struct sv_ready *r, int fd)
{
	int dup;

	if (r->denied)
		return r->denied;
	dup = (int)syscall(SYS_pidfd_getfd, r->pidfd, fd, 0);
	if (dup < 0) {
		int err = -errno;

		if (err == -EPERM || err == -EACCES || err == -ENOSYS)
			r->denied = err;
		return err;
	}
	return dup;
}

/* The target's fd, if it still holds that socket (the number may have
 * been closed and reused since). */
static int get_same(struct sv_ready *r, int fd, uint64_t inode)
{
	struct stat st;
	int dup = get_fd(r, fd);

	if (dup < 0)
		return dup;
	if (fstat(dup, &st) < 0 || (uint64_t)st.st_ino != inode) {
		close(dup);
		return -EBADF;
	}
	return dup;
}

/* A connected (or connecting) TCP socket's output entry once more, in
 * twin_epfd under a third number (see ready.h); false where none was
 * made, which only costs the twin's help. */
static bool add_twin(struct sv_ready *r, int dup, uint64_t inode,
		     const struct sv_ready_info *info)
{
	struct epoll_event ev = {
		.events = EPOLLOUT | EPOLLET,
		.data.u64 = inode | SV_READY_OUT | SV_READY_TWIN,
	};
	int fd;
	bool ok;

	if (r->twin_epfd < 0 || info->type != SOCK_STREAM ||
	    (info->family != AF_INET && info->family != AF_INET6) ||
	    info->state == 10 /* TCP_LISTEN: never writable */)
		return false;
	fd = fcntl(dup, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = epoll_ctl(r->twin_epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
	close(fd);
	return ok;
}

/*
 * Two registrations of the one socket, under two descriptor numbers.
 * Wakeups carry what woke them (data: EPOLLIN; freed send space:
 * EPOLLOUT) and epoll passes each only to the entries asking for it: the
 * output entry wakes for space (and state changes), never for data.  The
 * main entry asks for everything, EPOLLOUT included, so that a data
 * wakeup whose data the target read before we looked is still reported
 * (epoll drops an entry whose bits are all clear when it looks): the
 * output entry's wakeup in the same drain tells space from such data.
 */
int sv_ready_add(struct sv_ready *r, int fd, uint64_t inode,
		 struct sv_ready_info *info)
{
	struct epoll_event in = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
		.data.u64 = inode,
	};
	struct epoll_event out = {
		.events = EPOLLOUT | EPOLLET,
		.data.u64 = inode | SV_READY_OUT,
	};
	int dup, dup2 = -1, err = 0;

	memset(info, 0, sizeof(*info));
	/* the number may hold another socket by now: that one's names,
	 * cookie and readiness would be taken for this one's */
	dup = get_same(r, fd, inode);
	if (dup < 0)
		return dup;
	names(dup, info);
	info->mask = current_mask(dup);
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, dup, &in) < 0 && errno != EEXIST)
		err = -errno;
	dup2 = err ? -1 : fcntl(dup, F_DUPFD_CLOEXEC, 0);
	if (dup2 < 0 && !err)
		err = -errno;
	if (!err && epoll_ctl(r->epfd, EPOLL_CTL_ADD, dup2, &out) < 0 &&
	    errno != EEXIST)
		err = -errno;
	if (!err && dup2 >= 0)
		info->twin = add_twin(r, dup2, inode, info);
	/* the registrations outlive our duplicates: the target owns it */
	close(dup);
	if (dup2 >= 0)
		close(dup2);
	return err;
}

int sv_ready_rx(struct sv_ready *r, int fd, uint64_t inode,
		struct sv_ready_rx *rx)
{
	int dup = get_same(r, fd, inode), err;

	if (dup < 0)
		return dup;
	err = tcp_rx(dup, rx);
	close(dup);
	return err;
}

int sv_ready_names(struct sv_ready *r, int fd, uint64_t inode,
		   struct sv_ready_info *info)
{
	int dup;

	memset(info, 0, sizeof(*info));
	dup = get_same(r, fd, inode);
	if (dup < 0)
		return dup;
	names(dup, info);
	close(dup);
	return 0;
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
		/* the output entries last: a hangup on the main entry
		 * explains an output entry's wakeup */
		for (i = 0; i < n; i++)
			if (!(ev[i].data.u64 & SV_READY_OUT))
				cb(ev[i].data.u64, ev[i].events, arg);
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 & SV_READY_OUT)
				cb(ev[i].data.u64, ev[i].events, arg);
		total += n;
	} while (n == 256);
	return total;
}

void sv_ready_close(struct sv_ready *r)
{
	sv_ready_wait_stop(r);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->twin_epfd >= 0)
		close(r->twin_epfd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->epfd = r->twin_epfd = r->pidfd = -1;
}
