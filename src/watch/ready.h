/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_READY_H
#define SV_WATCH_READY_H

#include <pthread.h>
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
struct sv_ready_waiter;

struct sv_ready {
	int pidfd; /* also readable when the target exits */
	int epfd;
	int twin_epfd; /* TCP output entries again, for a second thread */
	int denied; /* pidfd_getfd refused (-errno), readiness inferred */
	struct sv_ready_waiter *waiter; /* the thread in epoll_wait */
	struct sv_ready_waiter *twin;	/* the one in twin_epfd's */
};

int sv_ready_open(struct sv_ready *r, int pid);

/* A TCP socket's receive side, from TCP_INFO. */
struct sv_ready_rx {
	int state;
	uint64_t bytes_received;
	uint32_t last_data_recv_ms; /* how long ago data last came */
	uint32_t segs_in, segs_out; /* none either way: never connected */
	uint64_t read_ns; /* CLOCK_REALTIME as they were read: the "ago"
			   * counts from then */
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
	bool twin;	/* its output entry is in twin_epfd too */
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
/* ... and this one too when it comes from the twin entry (see below). */
#define SV_READY_TWIN (1ull << 61)
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

/*
 * A wakeup is state, not a message: the kernel looks at the socket again
 * when epoll_wait collects it and drops it if the bit is gone.  A target
 * woken by the same wakeup (freed send space) often fills its buffer at
 * once, so whoever collects later sees nothing.  So a thread of its own,
 * at real-time priority where permitted, sleeps in epoll_wait and only
 * copies each wakeup, with the time, into a bounded queue; the loop reads
 * the queue when notify(arg) tells it to (notify must be thread-safe).
 *
 * One such thread still loses races: woken on a far CPU it runs after
 * the target, woken on the CPU that freed the space, has refilled it.
 * So a TCP socket's output entry is registered a second time, in an
 * epoll instance of its own (twin_epfd) that a second such thread waits
 * in: the two run on different CPUs, and one of them is nearly always
 * the first to look.  A space wakeup often reaches both; the loop takes
 * a twin edge only where the main instance's output entry showed none
 * (readiness.c).
 */
struct sv_ready_wake {
	uint64_t key;	  /* inode, with SV_READY_OUT for the output entry */
	uint32_t events;  /* EPOLL* bits */
	uint32_t batch;	  /* one epoll_wait's wakeups are one moment */
	uint64_t real_ns; /* CLOCK_REALTIME as epoll_wait returned */
};

/* CLOCK_REALTIME in nanoseconds: the clock of every wakeup's time. */
uint64_t sv_ready_real_ns(void);

/* 0 or -errno; *rt_err is 0 with SCHED_FIFO, else why it runs without.
 * The twin's thread is started too where it can be; without it twin_epfd
 * is closed (-1) and no twin entries are made. */
int sv_ready_wait_start(struct sv_ready *r, void (*notify)(void *arg),
			void *arg, int *rt_err);
/* Takes at most max (<= SV_READY_TAKE_MAX) queued wakeups, oldest first
 * (main entries before output entries within a batch; both threads'
 * wakeups merged by time; the twin's batches have the top bit set). */
#define SV_READY_TAKE_MAX 256
size_t sv_ready_take(struct sv_ready *r, struct sv_ready_wake *out,
		     size_t max);
/* Another descriptor for the thread to wait on, edge-triggered: each
 * time it becomes readable is queued with key (SV_READY_OTHER set). */
#define SV_READY_OTHER (1ull << 62)
int sv_ready_wait_add(struct sv_ready *r, int fd, uint64_t key);
/* After each epoll_wait the thread sleeps ms (0: not at all) before the
 * next, so one epoll_wait takes what gathered meanwhile. */
void sv_ready_wait_hold(struct sv_ready *r, unsigned ms);
/* Ends the threads (their notify is not called after); idempotent. */
void sv_ready_wait_stop(struct sv_ready *r);

#endif
