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

/* A TCP socket's receive side, from TCP_INFO. */
struct sv_ready_rx {
	int state;
	uint64_t bytes_received;
	uint32_t last_data_recv_ms; /* how long ago data last came */
	uint32_t segs_in, segs_out; /* none either way: never connected */
};

/* What the duplicate says of itself (zeros where it says nothing). */
struct sv_ready_info {
	int family, type;	/* AF_*, SO_TYPE */
	uint8_t local[16], peer[16]; /* inet: network order */
	uint16_t port, peer_port;
	bool has_peer;	/* connected */
	uint64_t cookie; /* SO_COOKIE, the one sock_diag reports; 0 none */
	bool unix_peer;	/* AF_UNIX: connected */
	char path[108];	/* AF_UNIX: its own name, as sun_path holds it */
	size_t path_len;
	int state;	/* kernel TCP_* numbering as sock_diag gives it, -1 ? */
	bool has_rx;	/* TCP: rx holds its receive counters */
	struct sv_ready_rx rx;
	uint32_t mask;	/* readiness at that moment (EPOLL* bits) */
};

/*
 * Registers the target's fd (socket inode) and fills *info.  The mask is
 * the socket's state at that moment: the first report of an
 * edge-triggered registration is that state, not an event.
 * -EPERM/-EACCES: no ptrace permission; -EBADF: fd gone.
 */
int sv_ready_add(struct sv_ready *r, int fd, uint64_t inode,
		 struct sv_ready_info *info);
/* The inode of an edge of the output entry carries this bit. */
#define SV_READY_OUT (1ull << 63)
/* TCP receive counters now, through a duplicate: 0 or -errno (-EBADF:
 * fd no longer holds that inode). */
int sv_ready_rx(struct sv_ready *r, int fd, uint64_t inode,
		struct sv_ready_rx *rx);
/* The same names without registering: for a socket that had none yet. */
int sv_ready_names(struct sv_ready *r, int fd, uint64_t inode,
		   struct sv_ready_info *info);
/* Calls cb for every pending edge, without blocking; returns how many. */
int sv_ready_drain(struct sv_ready *r,
		   void (*cb)(uint64_t inode, uint32_t events, void *arg),
		   void *arg);
void sv_ready_close(struct sv_ready *r);

#endif
