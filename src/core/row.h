/* SPDX-License-Identifier: MIT */
#ifndef SV_ROW_H
#define SV_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"

/*
 * What sockview joins to a socket, kept beside the kernel's record (struct
 * sv_sock) rather than in it: owners from /proc, names from the resolver
 * and the link cache, and watch's rates and epoll interest.
 */

/* One process holding a socket through one descriptor. */
struct sv_proc_ref {
	int pid;
	int fd;
	const char *comm; /* untrusted: escape before printing */
};

enum sv_join_has {
	SV_JOIN_PROCS = 1u << 0,    /* owning processes were looked up (-p) */
	SV_JOIN_RATES = 1u << 1,    /* watch: per-second rates over the interval */
	SV_JOIN_INTEREST = 1u << 2, /* watch: in the target's epoll sets */
};

struct sv_rates {
	uint64_t bytes_in, bytes_out, segs_in, segs_out, retrans;
};

struct sv_netns_label;
struct sv_container;

struct sv_joins {
	uint32_t has;			 /* enum sv_join_has */
	const char *ifname;		 /* device name of ifindex, or NULL */
	const char *cgroup_path;	 /* of cgroup_id, in the cgroup2 tree */
	/* --all-netns: the namespace it was read in, NULL otherwise */
	const struct sv_netns_label *netns;
	/* --all-netns: the container its owner's cgroup names, or NULL */
	const struct sv_container *container;
	const struct sv_proc_ref *procs; /* SV_JOIN_PROCS: nprocs owners */
	size_t nprocs;
	/* -r: host and service names of local [0] and peer [1], or NULL */
	const char *host[2];
	const char *service[2];
	struct sv_rates rates; /* SV_JOIN_RATES */
	uint32_t interest;     /* SV_JOIN_INTEREST: the EPOLL* bits asked for */
};

/* What a renderer is given: a socket and what was joined to it. */
struct sv_row {
	const struct sv_sock *s;
	const struct sv_joins *j;
};

#endif
