// SPDX-License-Identifier: MIT
#include <string.h>
#include <sys/epoll.h>

#include "watch/edges.h"

#define IN_BITS (EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLHUP | EPOLLERR)
#define MAIN_BITS (IN_BITS | EPOLLOUT)
#define OUT_BITS (EPOLLOUT | EPOLLHUP | EPOLLERR)
#define STICKY (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI)

static int8_t interest_of(bool known, uint32_t interest, uint32_t bit)
{
	if (!known)
		return -1;
	/* hangups and errors reach the target whatever it asked */
	if (bit & (EPOLLHUP | EPOLLERR))
		return 1;
	return (interest & bit) ? 1 : 0;
}

static size_t put(struct sv_edge *out, size_t n, uint32_t bits,
		  const struct sv_edge *tmpl, bool known, uint32_t interest)
{
	static const uint32_t order[] = { EPOLLIN,  EPOLLOUT, EPOLLRDHUP,
					  EPOLLHUP, EPOLLERR, EPOLLPRI };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(bits & order[i]) || n == SV_EDGE_MAX)
			continue;
		out[n] = *tmpl;
		out[n].bit = order[i];
		out[n].interest = interest_of(known, interest, order[i]);
		n++;
	}
	return n;
}

uint64_t sv_edges_ago(uint64_t now_ns, uint32_t ms)
{
	/* The kernel counts whole jiffies between the data's jiffy and
	 * now (4 ms each at Debian's HZ of 250): the time is good to a
	 * jiffy either way. */
	uint64_t d = (uint64_t)ms * 1000000ull;

	return d < now_ns ? now_ns - d : now_ns;
}

/*
 * Each entry's first report after EPOLL_CTL_ADD is the state at that
 * moment, not an event: only what differs from the state read here is
 * one (bytes or a FIN that came in between).  What was there
 * already is reported now, as before the registration: a TCP socket that
 * has received bytes (the first request is often read by the target
 * before we find the socket) at the time the kernel says they came;
 * other data, a pending connection or a hangup at our time.
 */
size_t sv_edges_registered(struct sv_edge_state *st,
			   const struct sv_edge_reg *reg, struct sv_edge *out)
{
	struct sv_edge t = {
		.source = SV_EDGE_EPOLL,
		.before_registration = true,
		.time_ns = reg->now_ns,
	};
	uint32_t bits = reg->mask & (EPOLLIN | STICKY);
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	st->unconnected = reg->unconnected;
	if (reg->unconnected)
		bits &= ~EPOLLHUP;
	st->last_in = reg->mask & IN_BITS & ~(reg->unconnected ? EPOLLHUP : 0);
	st->last_out = reg->mask & OUT_BITS;
	st->in_reg = (reg->mask & MAIN_BITS) != 0;
	st->out_reg = st->last_out != 0;
	st->eof = (reg->mask & EPOLLRDHUP) != 0;
	if (reg->has_rx) {
		st->rx_known = true;
		st->rx_bytes = reg->rx_bytes;
		if (reg->kind == SV_EDGE_TCP) {
			bits &= ~EPOLLIN;
			if (reg->rx_bytes) {
				struct sv_edge k = t;

				k.source = (reg->mask & EPOLLIN)
						   ? SV_EDGE_EPOLL
						   : SV_EDGE_INFERRED;
				k.kernel_time = true;
				k.time_ns = sv_edges_ago(reg->now_ns, reg->last_recv_ms);
				n = put(out, n, EPOLLIN, &k, false, 0);
			}
		}
	}
	return put(out, n, bits, &t, false, 0);
}

/*
 * Data, or data the target took before we looked; and the hangups.  A
 * wakeup with no data left is data the target read first, unless the
 * receive counters say no byte came.
 */
static size_t input(struct sv_edge_state *st, const struct sv_edge_in *in,
		    struct sv_edge *out)
{
	uint32_t ev = in->ev & IN_BITS;
	uint32_t fresh, changed;
	struct sv_edge t = { .source = SV_EDGE_EPOLL, .time_ns = in->now_ns };
	bool data, first, was_in;
	size_t n = 0;

	/* not connected yet: its hangup bit is that state until a wakeup
	 * without it (connecting, connected) or with an error (refused) */
	if (st->unconnected && !(ev & EPOLLHUP))
		st->unconnected = false;
	else if (st->unconnected && !(ev & EPOLLERR))
		ev &= ~EPOLLHUP;
	fresh = ev & ~st->last_in & STICKY;
	changed = fresh;
	/*
	 * The first report after the registration is the state at
	 * EPOLL_CTL_ADD, taken when our thread ran: bytes, or a FIN, that
	 * came after the registration read the counters and the mask are
	 * in it, merged with that state.  Only the difference counts.  Bytes
	 * it finds are its own readable, at the kernel's time: a data wakeup
	 * queued behind it (the bytes came after our thread took it) then
	 * finds none, and is not one more.
	 */
	first = st->in_reg;
	was_in = (st->last_in & EPOLLIN) != 0;
	st->in_reg = false;

	st->last_in = ev;
	if (in->has_rx) {
		uint64_t read_ns = in->rx_ns ? in->rx_ns : in->now_ns;

		/* the receive counters say whether bytes came; counters not
		 * read at the last wakeup are only a new starting point */
		data = st->rx_known ? in->rx_bytes > st->rx_bytes
				    : !first && (ev & EPOLLIN);
		/*
		 * The counters are read when the loop takes a wakeup, which
		 * may be after later wakeups came: a read for an earlier one
		 * then counted this one's bytes too.  A data wakeup (EPOLLIN,
		 * and no freed space waking the output entry beside it)
		 * that came before that read is its own readable.  After the
		 * peer's FIN, EPOLLIN stays set and says nothing.
		 */
		if (!data && st->rx_known && (ev & EPOLLIN) && !in->space &&
		    !st->eof && !first && st->rx_gain_ns > in->now_ns)
			data = true;
		else if (data && !first)
			st->rx_gain_ns = read_ns;
		st->rx_known = true;
		st->rx_skipped = false;
		st->rx_bytes = in->rx_bytes;
		/* the first report's time is our thread's, not the data's */
		if (data && (first || !(ev & EPOLLIN))) {
			if (!(ev & EPOLLIN))
				t.source = SV_EDGE_INFERRED;
			t.kernel_time = true;
			/* "ms ago" counts from the read, not the wakeup */
			t.time_ns = sv_edges_ago(in->rx_ns ? in->rx_ns
							   : in->now_ns,
						 in->last_recv_ms);
		}
	} else {
		/*
		 * No receive counters here (UDP, UNIX): a wakeup without
		 * EPOLLIN may be data the target took first or write space
		 * whose wakeup came in another drain than the output
		 * entry's, and the two cannot be told apart.  Only what
		 * epoll says counts, so no readable is made up.
		 */
		data = !st->eof && (ev & EPOLLIN) && !(first && was_in);
		/* a peer's FIN whose counters went unread: bytes_received
		 * counts it, as a read at this wakeup would have */
		if ((ev & EPOLLRDHUP) && !st->eof && st->rx_known)
			st->rx_bytes++;
	}
	/* the peer's FIN makes the socket readable (end of file) once */
	if ((fresh & EPOLLRDHUP) && (ev & EPOLLIN) && !st->eof)
		data = true, t.source = SV_EDGE_EPOLL;
	if (data)
		n = put(out, n, EPOLLIN, &t, in->interest_known, in->interest);
	/* a hangup reaches a loop only through an epoll set holding the
	 * socket: one the target dropped it from (after reading the end of
	 * file) never gets it */
	if (in->in_no_set)
		fresh &= ~(uint32_t)(EPOLLHUP | EPOLLERR);
	if (fresh) {
		struct sv_edge h = { .source = SV_EDGE_EPOLL,
				     .time_ns = in->now_ns };

		n = put(out, n, fresh, &h, in->interest_known, in->interest);
	}
	/* a state change wakes the output entry too: not freed space */
	if (changed & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		st->sticky_drain = in->drain;
	if (ev & EPOLLRDHUP)
		st->eof = true;
	return n;
}

/*
 * Freed send space.  TCP wakes writers only after one found the buffer
 * full, so each wakeup is one the target waits for.  UDP and UNIX wake
 * on every datagram sent: that is writable news only while the target
 * asks for it.  A wakeup here in the drain where the main entry saw a
 * hangup, or after the peer's FIN, is that state change.
 */
static size_t output(struct sv_edge_state *st, const struct sv_edge_in *in,
		     struct sv_edge *out)
{
	uint32_t ev = in->ev & OUT_BITS;
	struct sv_edge t = { .source = SV_EDGE_EPOLL, .time_ns = in->now_ns };

	st->last_out = ev;
	if (st->out_reg) {
		st->out_reg = false;
		return 0;
	}
	if (!(ev & EPOLLOUT) || (ev & (EPOLLHUP | EPOLLERR)) || st->eof ||
	    st->sticky_drain == in->drain || in->kind == SV_EDGE_LISTENER)
		return 0;
	/* UDP and UNIX: only while the target asks; TCP: not when its
	 * epoll sets hold the socket without asking (a poll of ours, or a
	 * blocking writer, set the kernel's no-space flag) */
	if (in->interest_known ? !(in->interest & EPOLLOUT)
			       : in->kind != SV_EDGE_TCP)
		return 0;
	return put(out, 0, EPOLLOUT, &t, in->interest_known, in->interest);
}

size_t sv_edges(struct sv_edge_state *st, const struct sv_edge_in *in,
		struct sv_edge *out)
{
	return in->out_entry ? output(st, in, out) : input(st, in, out);
}
