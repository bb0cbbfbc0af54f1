/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_EDGES_H
#define SV_WATCH_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What one readiness wakeup of a target's socket means, decided without
 * any I/O so it can be tested on its own: the caller passes what it
 * knows (the wakeup's EPOLL* bits, the socket's kind, the target's
 * interest, what the last diag reply said) and gets the events to
 * report, each with its source and time.
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
	uint32_t last_ev; /* the bits of the last wakeup or registration */
	bool reg_report;  /* the registration's own report is still to come */
};

struct sv_edge_in {
	uint32_t ev;	   /* this wakeup's EPOLL* bits */
	uint8_t kind;	   /* enum sv_edge_kind */
	bool send_filling; /* the last reply had the send buffer half full */
	bool interest_known;
	uint32_t interest; /* the target's EPOLL* interest, when known */
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

/* Fills out (at most SV_EDGE_MAX) and updates st; returns the count. */
size_t sv_edges(struct sv_edge_state *st, const struct sv_edge_in *in,
		struct sv_edge *out);

/* The registration's first report is the socket's state, not an event. */
void sv_edges_registered(struct sv_edge_state *st, uint32_t mask);

#endif
