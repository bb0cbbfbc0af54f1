// SPDX-License-Identifier: MIT
/*
 * Readiness: each target socket registered in our epoll instance, and
 * its wakeups turned into events by the pure rules of edges.c.
 */
#include <errno.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "watch/watch.h"

void sv_watch_register(struct sv_watch *w, struct wsock *ws)
{
	int family = 0, type = 0, err;
	uint16_t port = 0;
	uint32_t mask = 0;

	if (ws->registered || !w->ready_ok)
		return;
	ws->registered = true;
	err = sv_ready_add(&w->ready, ws->fd, ws->inode, &family, &type, &port,
			   &mask);
	/* the registration reports the socket's state once */
	if (!err)
		sv_edges_registered(&ws->edge, mask);
	if (err == -EPERM || err == -EACCES || err == -ENOSYS) {
		w->ready_ok = false;
		fprintf(stderr,
			"sockview: note: not permitted to duplicate the "
			"target's sockets (pidfd_getfd: %s; it needs ptrace "
			"permission over pid %d); readiness is inferred from "
			"queue changes\n",
			strerror(-err), w->pid);
		return;
	}
	if (!err && family) {
		ws->family = (uint8_t)family;
		ws->port = port;
		if (type == SOCK_STREAM && family != AF_UNIX)
			ws->proto = SV_PROTO_TCP;
		else if (type == SOCK_DGRAM && family != AF_UNIX)
			ws->proto = SV_PROTO_UDP;
		if (family != AF_INET && family != AF_INET6 &&
		    family != AF_UNIX)
			ws->family = SV_FAMILY_OTHER;
	}
}

/* At the last reply, was the send buffer at least half full? */
static bool send_buffer_filling(const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;

	return ws->have && s->skmem_n > SK_MEMINFO_WMEM_QUEUED &&
	       2ull * s->skmem[SK_MEMINFO_WMEM_QUEUED] >=
		       s->skmem[SK_MEMINFO_SNDBUF];
}

static uint8_t edge_kind(const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;

	if (!ws->have)
		return SV_EDGE_UNKNOWN;
	switch (s->proto) {
	case SV_PROTO_TCP:
		return s->state == SV_TCP_LISTEN ? SV_EDGE_LISTENER
						 : SV_EDGE_TCP;
	case SV_PROTO_UDP:
		return SV_EDGE_UDP;
	case SV_PROTO_UNIX:
		return s->type == SOCK_STREAM || s->type == SOCK_SEQPACKET
			       ? SV_EDGE_UNIX_STREAM
			       : SV_EDGE_UNIX_DGRAM;
	}
	return SV_EDGE_UNKNOWN;
}

static void on_wakeup(struct sv_watch *w, struct wsock *ws, uint32_t ev)
{
	struct sv_edge out[SV_EDGE_MAX];
	struct sv_edge_in in = {
		.ev = ev,
		.kind = edge_kind(ws),
		.send_filling = send_buffer_filling(ws),
		.now_ns = sv_watch_now_ns(),
	};
	int known;

	in.interest = sv_target_interest(&w->scan, ws->inode, &known);
	in.interest_known = known;
	sv_watch_edges(w, ws, out, sv_edges(&ws->edge, &in, out));
}

/* After a listener's edge the target accepts on its next loop turn: look
 * at its fd table 1, 4 and 16 ms later. */
static void on_rescan(uv_timer_t *t)
{
	struct sv_watch *w = t->data;

	if (!w->stopping && sv_watch_scan_fds(w) == 0 && w->new_socks) {
		/* new sockets: read them now rather than at the next tick */
		if (w->tick_busy)
			w->tick_again = true;
		else
			sv_watch_start_tick(w);
	}
	if (++w->rescans < 3)
		uv_timer_start(&w->rescan_timer, on_rescan,
			       4u << (2 * (w->rescans - 1)), 0);
}

void sv_watch_rescan_soon(struct sv_watch *w)
{
	w->rescans = 0;
	uv_timer_start(&w->rescan_timer, on_rescan, 1, 0);
}

static void on_edge(uint64_t inode, uint32_t ev, void *arg)
{
	struct sv_watch *w = arg;
	struct wsock *ws = sv_watch_find(w, inode);
	bool listener;

	if (!ws || w->stopping)
		return;
	on_wakeup(w, ws, ev);
	listener = ws->have && ws->cur.state == SV_TCP_LISTEN;
	/* a readable listener: the accepted socket shows up at once */
	if ((ev & EPOLLIN) && listener) {
		ws->edges_unclaimed = 1;
		sv_watch_rescan_soon(w);
	}
}

void sv_watch_drain_ready(struct sv_watch *w)
{
	if (w->ready_ok)
		sv_ready_drain(&w->ready, on_edge, w);
}

void sv_watch_on_ready(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)events;
	w->wakeups++;
	/* Woken with nothing to harvest: the target consumed the edge first
	 * (epoll re-checks the state); a listener's shows as a new socket. */
	if (status >= 0 && sv_ready_drain(&w->ready, on_edge, w) == 0)
		sv_watch_rescan_soon(w);
}
