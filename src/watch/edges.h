/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_EDGES_H
#define SV_WATCH_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What one readiness wakeup of a target's socket means, decided without
 * any I/O so it can be tested on its own: the caller passes what it
 * knows (the wakeup's EPOLL* bits and which of the socket's two entries
 * woke, the socket's kind, the target's interest, its receive counters)
 * and gets the events to report, each with its source and time.
 *
 * Each socket is registered twice (watch/ready.h): a main entry woken
 * by everything, and an output entry woken only by freed send space (and
 * by state changes, which carry no wakeup key).
 */

enum sv_edge_kind {
	SV_EDGE_UNKNOWN,
	SV_EDGE_TCP,
	SV_EDGE_LISTENER,
	SV_EDGE_UDP,
	SV_EDGE_UNIX_STREAM,
	SV_EDGE_UNIX_DGRAM,
};

enum sv_edge_source {
	SV_EDGE_EPOLL,	  /* the bit was set when we looked */
	SV_EDGE_INFERRED, /* gone by then: the target acted first */
};

/* Kept by the caller for each socket between wakeups. */
struct sv_edge_state {
	uint32_t last_in, last_out; /* each entry's last report */
	bool in_reg, out_reg;	    /* its first report is still to come */
	bool rx_known;
	bool rx_skipped;	    /* not read past --edge-rate: epoll alone
				     * showed the bytes since */
	bool eof;		    /* the peer's FIN was reported */
	bool unconnected;	    /* its EPOLLHUP is no hangup (see below) */
	uint64_t rx_bytes;	    /* TCP bytes_received at the last look */
	uint64_t rx_gain_ns;	    /* when a read last found new bytes */
	uint64_t sticky_drain;	    /* the drain that saw a hangup */
};

/* What is known at registration. */
struct sv_edge_reg {
	uint32_t mask;	  /* readiness then (EPOLL* bits) */
	uint8_t kind;	  /* enum sv_edge_kind */
	bool has_rx;	  /* TCP: the receive counters below */
	uint64_t rx_bytes;
	uint32_t last_recv_ms; /* data last came this long ago */
	uint64_t now_ns;
	/* a stream socket not connected yet (nor ever): the kernel polls it
	 * as hung up (tcp_poll and unix_poll set EPOLLHUP in TCP_CLOSE), but
	 * nothing hung up, and a later hangup is a new one */
	bool unconnected;
};

struct sv_edge_in {
	uint32_t ev;	   /* this wakeup's EPOLL* bits */
	bool out_entry;	   /* the output entry woke, else the main one */
	uint8_t kind;	   /* enum sv_edge_kind */
	bool interest_known;
	uint32_t interest; /* the target's EPOLL* interest, when known */
	bool in_no_set;	   /* its epoll sets, read now, do not hold it */
	bool has_rx;	   /* TCP: receive counters read at the wakeup */
	uint64_t rx_bytes;
	uint32_t last_recv_ms;
	uint64_t rx_ns;	   /* when they were read: the wakeup may have
			    * waited in a queue (0: at now_ns) */
	uint64_t drain;	   /* which drain of our epoll this is */
	bool space;	   /* the output entry woke in the same drain */
	uint64_t now_ns;   /* wall clock of the wakeup */
};

struct sv_edge {
	uint32_t bit;	 /* one EPOLL* bit */
	uint8_t source;	 /* enum sv_edge_source */
	int8_t interest; /* 1 the target waits for it, 0 it does not, -1 ? */
	bool kernel_time;	  /* time_ns from the kernel's counters */
	bool before_registration; /* it was there when we registered */
	uint64_t time_ns;
};

#define SV_EDGE_MAX 8

/* When data came, from tcp_info's "ms ago" (last_data_recv) read at
 * now_ns: whole jiffies, so good to a jiffy either way. */
uint64_t sv_edges_ago(uint64_t now_ns, uint32_t ms);

/* At registration: resets st and reports what was there already. */
size_t sv_edges_registered(struct sv_edge_state *st,
			   const struct sv_edge_reg *reg, struct sv_edge *out);
/* A wakeup: fills out (at most SV_EDGE_MAX), updates st, returns the
 * count. */
size_t sv_edges(struct sv_edge_state *st, const struct sv_edge_in *in,
		struct sv_edge *out);

#endif
