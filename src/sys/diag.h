/* SPDX-License-Identifier: MIT */
#ifndef SV_DIAG_H
#define SV_DIAG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"

/* One dump: a protocol, a family and the states wanted. */
struct sv_diag_req {
	uint8_t proto;	 /* enum sv_proto */
	uint8_t family;	 /* AF_INET, AF_INET6 or AF_UNIX */
	uint32_t states; /* SV_SF() mask */
	const void *bytecode; /* INET_DIAG_REQ_BYTECODE, may be NULL */
	size_t bytecode_len;  /* at most SV_DIAG_BYTECODE_MAX */
	/* inet: ask for no extension (tcp_info, congestion control, socket
	 * memory, TOS): the base message alone, which costs the kernel
	 * about a third less on TCP */
	bool bare;
};

/* An attribute's length is 16 bits with a 4-byte header; 4-aligned. */
#define SV_DIAG_BYTECODE_MAX 65528

/* Return 0 to go on, non-zero to stop the dump with that value. */
typedef int (*sv_sock_cb)(struct sv_sock *s, void *arg);

struct sv_diag;

int sv_diag_open(struct sv_diag **out);
/* A second socket in the same namespace (call it there), for
 * sv_diag_dump_pair; 0 or -errno (pairs are then dumped one by one). */
int sv_diag_open_twin(struct sv_diag *d);
void sv_diag_close(struct sv_diag *d);

/*
 * Streams every socket of one request to cb.  Returns 0, a negative errno
 * (-ENOENT: the kernel has no sock_diag handler for this protocol), or
 * the callback's non-zero value.
 */
int sv_diag_dump(struct sv_diag *d, const struct sv_diag_req *req,
		 sv_sock_cb cb, void *arg);

/*
 * Two dumps (one protocol's IPv4 and IPv6 tables) at once: the second is
 * sent and read on the twin socket by a thread of its own while the
 * first is read and parsed, so the kernel walks its table for the
 * second on the other core rather than after the first.  Its replies
 * wait in a ring of their own, which bounds the memory: while the ring
 * is full nothing is read, and the kernel fills no more.  cb sees every
 * socket of the first, then of the second; err[i] is what
 * sv_diag_dump would return for req[i].  Without a twin, a thread, or
 * with bytecode, a tap, a non-blocking socket or raw sockets (which may
 * come from /proc): one after the other.
 */
void sv_diag_dump_pair(struct sv_diag *d, const struct sv_diag_req req[2],
		       sv_sock_cb cb, void *arg, int err[2]);

/*
 * The same without blocking, for an event loop: begin one request, then
 * call sv_diag_step() whenever sv_diag_fd() is readable.  Step returns 1
 * while more is to come, 0 when the reply is complete, or -errno.
 */
int sv_diag_set_nonblock(struct sv_diag *d);
int sv_diag_fd(const struct sv_diag *d);
int sv_diag_begin(struct sv_diag *d, const struct sv_diag_req *req,
		  sv_sock_cb cb, void *arg);
/* Exact requests for UNIX sockets by inode, all in one send; a socket
 * that is gone is skipped. */
#define SV_DIAG_EXACT_MAX 1024
int sv_diag_begin_unix_inodes(struct sv_diag *d, const uint64_t *inodes,
			      size_t n, sv_sock_cb cb, void *arg);
/* Exact requests for TCP or UDP sockets known from an earlier reply (by
 * addresses, ports and cookie): each is a hash lookup in the kernel. */
int sv_diag_begin_inet_exact(struct sv_diag *d, unsigned proto,
			     const struct sv_sock *const *socks, size_t n,
			     sv_sock_cb cb, void *arg);
int sv_diag_step(struct sv_diag *d);
/*
 * sock_diag's destroy multicast groups (INET and INET6, TCP and UDP): the
 * kernel sends each socket's last record as it frees it (inode 0 by
 * then; the cookie identifies it).  Open gives a non-blocking socket in
 * the calling thread's network namespace, or -errno.  Read hands every
 * waiting message to cb; 0, or -ENOBUFS when the kernel dropped some.
 */
int sv_diag_destroy_open(void);
int sv_diag_destroy_read(int fd, sv_sock_cb cb, void *arg);

/*
 * --save sees what the kernel is asked and answers: req (buf NULL) when a
 * request goes out, then each received buffer; internal marks our own
 * LISTEN-only dump.
 */
typedef void (*sv_diag_tap_fn)(void *arg, const struct sv_diag_req *req,
			       int internal, const void *buf, size_t len);
void sv_diag_set_tap(struct sv_diag *d, sv_diag_tap_fn fn, void *arg);

/* --load: a diag without a socket, fed saved replies. */
int sv_diag_new_offline(struct sv_diag **out);
int sv_diag_replay(struct sv_diag *d, unsigned proto, int internal,
		   const void *buf, size_t len, sv_sock_cb cb, void *arg);

/*
 * Parses one sock_diag reply message into s.  Returns 0, or -EINVAL for a
 * message too short or malformed to trust (the caller skips it).
 */
int sv_diag_parse_inet(const struct nlmsghdr *nlh, unsigned proto,
		       struct sv_sock *s);
int sv_diag_parse_unix(const struct nlmsghdr *nlh, struct sv_sock *s);
int sv_diag_parse_netlink(const struct nlmsghdr *nlh, struct sv_sock *s);
int sv_diag_parse_packet(const struct nlmsghdr *nlh, struct sv_sock *s);

#endif
