/* SPDX-License-Identifier: MIT */
#ifndef SV_DIAG_H
#define SV_DIAG_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"

/* One dump: a protocol, a family and the states wanted. */
struct sv_diag_req {
	uint8_t proto;	 /* enum sv_proto */
	uint8_t family;	 /* AF_INET, AF_INET6 or AF_UNIX */
	uint32_t states; /* SV_SF() mask */
	const void *bytecode; /* INET_DIAG_REQ_BYTECODE, may be NULL */
	size_t bytecode_len;
};

/* Return 0 to go on, non-zero to stop the dump with that value. */
typedef int (*sv_sock_cb)(struct sv_sock *s, void *arg);

struct sv_diag;

int sv_diag_open(struct sv_diag **out);
void sv_diag_close(struct sv_diag *d);

/*
 * Streams every socket of one request to cb.  Returns 0, a negative errno
 * (-ENOENT: the kernel has no sock_diag handler for this protocol), or
 * the callback's non-zero value.
 */
int sv_diag_dump(struct sv_diag *d, const struct sv_diag_req *req,
		 sv_sock_cb cb, void *arg);

/*
 * Parses one sock_diag reply message into s.  Returns 0, or -EINVAL for a
 * message too short or malformed to trust (the caller skips it).
 */
int sv_diag_parse_inet(const struct nlmsghdr *nlh, unsigned proto,
		       struct sv_sock *s);
int sv_diag_parse_unix(const struct nlmsghdr *nlh, struct sv_sock *s);

#endif
