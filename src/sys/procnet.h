/* SPDX-License-Identifier: MIT */
#ifndef SV_PROCNET_H
#define SV_PROCNET_H

#include "sys/diag.h"

/*
 * Raw sockets from /proc/net/raw{,6}, for kernels built without raw_diag
 * (CONFIG_INET_RAW_DIAG).  Only what those files carry is present:
 * addresses, state, queues, uid, inode and drops.
 */
int sv_procnet_raw_dump(const struct sv_diag_req *req, sv_sock_cb cb,
			void *arg);

/* Parses one data line of /proc/net/raw or raw6.  0 or -EINVAL. */
int sv_procnet_raw_parse(const char *line, int family, struct sv_sock *s);

#endif
