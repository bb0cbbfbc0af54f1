// SPDX-License-Identifier: MIT
#include <sys/epoll.h>

#include "watch/edges.h"

#define STICKY (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI)

void sv_edges_registered(struct sv_edge_state *st, uint32_t mask)
{
	st->last_ev = mask;
	st->reg_report = true;
}

static size_t put(struct sv_edge *out, size_t n, const struct sv_edge_in *in,
		  uint32_t bits, uint8_t source)
{
	static const uint32_t order[] = { EPOLLIN,  EPOLLOUT, EPOLLRDHUP,
					  EPOLLHUP, EPOLLERR, EPOLLPRI };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint32_t bit = order[i];

		if (!(bits & bit) || n == SV_EDGE_MAX)
			continue;
		out[n].bit = bit;
		out[n].source = source;
		/* hangups and errors reach the target whatever it asked */
		if (!in->interest_known)
			out[n].interest = -1;
		else if (bit & (EPOLLHUP | EPOLLERR))
			out[n].interest = 1;
		else
			out[n].interest = (in->interest & bit) ? 1 : 0;
		out[n].time_ns = in->now_ns;
		n++;
	}
	return n;
}

/*
 * An edge-triggered wakeup reports the socket's whole current mask, not
 * what changed, and the target may act before we look.  The first report
 * after adding a socket is its state at that moment: data or a hangup
 * already there is news, writable is not.  Later:
 * - data there: readable;
 * - writable newly set, or set on a wakeup without data while the send
 *   buffer was filling (the kernel wakes writers only as a full buffer
 *   drains): writable;
 * - any other wakeup without data: data came and the target read it
 *   before we looked: readable, marked inferred;
 * - the sticky hangup and error bits when they appear.
 */
size_t sv_edges(struct sv_edge_state *st, const struct sv_edge_in *in,
		struct sv_edge *out)
{
	uint32_t ev = in->ev, fresh = ev & ~st->last_ev, bits = 0;
	bool consumed = false;
	size_t n;

	if (st->reg_report) {
		st->reg_report = false;
		st->last_ev = ev;
		return put(out, 0, in, ev & (EPOLLIN | STICKY), SV_EDGE_EPOLL);
	}
	if (ev & EPOLLIN) {
		if (!(fresh & EPOLLOUT) || (fresh & EPOLLIN))
			bits |= EPOLLIN;
		if (fresh & EPOLLOUT)
			bits |= EPOLLOUT;
	} else if ((ev & EPOLLOUT) &&
		   ((fresh & EPOLLOUT) || in->send_filling)) {
		bits |= EPOLLOUT;
	} else if (!(fresh & STICKY)) {
		consumed = true;
	}
	bits |= fresh & STICKY;
	st->last_ev = ev;
	n = put(out, 0, in, bits, SV_EDGE_EPOLL);
	if (consumed)
		n = put(out, n, in, EPOLLIN, SV_EDGE_INFERRED);
	return n;
}
