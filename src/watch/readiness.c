// SPDX-License-Identifier: MIT
/*
 * Readiness: each target socket registered in our epoll instance, its
 * wakeups turned into events by the pure rules of edges.c, and the looks
 * at the target's fd table that wakeups call for: a listener's edge means
 * an accept is coming, a hangup that a close may follow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/util.h"
#include "sys/tasks.h"
#include "watch/watch.h"

static void apply_names(struct sv_watch *w, struct wsock *ws,
			const struct sv_ready_info *in)
{
	struct sv_sock *s = &ws->cur;
	bool inet = in->family == AF_INET || in->family == AF_INET6;

	if (!in->family)
		return;
	ws->family = (uint8_t)in->family;
	ws->port = in->port;
	if (inet && in->type == SOCK_STREAM)
		ws->proto = SV_PROTO_TCP;
	else if (inet && in->type == SOCK_DGRAM)
		ws->proto = SV_PROTO_UDP;
	else if (in->family == AF_UNIX)
		ws->proto = SV_PROTO_UNIX;
	if (!inet && in->family != AF_UNIX)
		ws->family = SV_FAMILY_OTHER;
	/* a socket bound or connected later is asked again */
	ws->unnamed = inet && !in->port;
	/* a connection already closed (TCP_CLOSE while the target still
	 * holds it) or still connecting has no peer name: its open waits
	 * for sock_diag or its destroy message, which have it */
	ws->peer_unknown = ws->proto == SV_PROTO_TCP && !in->has_peer &&
			   (in->state == SV_TCP_SYN_SENT ||
			    (in->state == SV_TCP_CLOSE && in->has_rx &&
			     in->rx.bytes_received));
	if (ws->have || ws->proto == SV_PROTO_MAX || in->state < 0 ||
	    (inet && !in->port))
		return;
	memset(s, 0, offsetof(struct sv_sock, tcpi));
	if (in->cookie) {
		s->cookie = in->cookie;
		s->has |= SV_HAS_COOKIE;
		sv_watch_cookie(w, ws);
	}
	s->proto = ws->proto;
	s->family = (uint8_t)in->family;
	s->type = (uint8_t)in->type;
	s->state = (uint8_t)in->state;
	s->inode = ws->inode;
	if (in->family == AF_UNIX && in->path_len) {
		size_t n = in->path_len < sizeof(ws->path) ? in->path_len
							    : sizeof(ws->path);

		memcpy(ws->path, in->path, n);
		s->path = ws->path;
		s->path_len = n;
		s->has |= SV_HAS_PATH;
	}
	if (inet) {
		memcpy(s->local.addr, in->local, 16);
		memcpy(s->peer.addr, in->peer, 16);
		s->local.port = in->port;
		s->peer.port = in->peer_port;
		s->has |= SV_HAS_PORTS;
	}
	ws->named = true;
}

static uint8_t edge_kind(const struct wsock *ws);

/* What was there at registration, kept until the open is out. */
/* from what the duplicate says: a socket without a port has no kind yet */
static bool unconnected(const struct sv_ready_info *info)
{
	bool stream = info->type == SOCK_STREAM || info->type == SOCK_SEQPACKET;

	if (info->state != SV_TCP_CLOSE || !stream)
		return false;
	if (info->family == AF_INET || info->family == AF_INET6)
		/* a refused connect sent a segment and got one */
		return info->has_rx && !info->rx.segs_in && !info->rx.segs_out;
	return info->family == AF_UNIX && !info->unix_peer;
}

static size_t hold_hangups(struct sv_watch *w, struct wsock *ws,
			   struct sv_edge *e, size_t n);

static void registered(struct sv_watch *w, struct wsock *ws,
		       const struct sv_ready_info *info)
{
	struct sv_edge e[SV_EDGE_MAX];
	struct sv_edge_reg reg = {
		.mask = info->mask,
		.kind = edge_kind(ws),
		.has_rx = info->has_rx,
		.rx_bytes = info->rx.bytes_received,
		.last_recv_ms = info->rx.last_data_recv_ms,
		.now_ns = sv_watch_now_ns(),
	};
	size_t n, i;

	/* the kernel's "ms ago" counts from when tcp_info was read: the
	 * loop may have been kept from us between that and now */
	if (info->has_rx && info->rx.read_ns)
		reg.now_ns = info->rx.read_ns;
	reg.unconnected = unconnected(info);
	n = sv_edges_registered(&ws->edge, &reg, e);
	ws->twin_reg = info->twin && (info->mask & EPOLLOUT);
	ws->twin_ns = ws->main_out_ns = 0;

	ws->nreg_edges = 0;
	if (!w->first_scan_done)
		return; /* the state at start is no event */
	/* found hung up already (both FINs passed before we looked): the
	 * target, about to close it, may never poll it so; held as a
	 * wakeup's hangup is, and said only if its loop could get it */
	n = hold_hangups(w, ws, e, n);
	for (i = 0; i < n && i < SV_WATCH_REG_EDGES; i++)
		ws->reg_edges[ws->nreg_edges++] = e[i];
}

void sv_watch_register(struct sv_watch *w, struct wsock *ws)
{
	struct sv_ready_info info;
	int err;

	if (ws->registered || !w->ready_ok)
		return;
	ws->registered = true;
	err = sv_ready_add(&w->ready, ws->fd, ws->inode, &info);
	if (err == -EPERM || err == -EACCES || err == -ENOSYS) {
		w->ready_ok = false;
		sv_note("not permitted to duplicate the "
			"target's sockets (pidfd_getfd: %s; it needs ptrace "
			"permission over pid %d); readiness is inferred from "
			"queue changes",
			strerror(-err), w->pid);
		return;
	}
	if (!err) {
		apply_names(w, ws, &info);
		registered(w, ws, &info);
	}
	ws->dup_failed = err == -EBADF;
}

/*
 * A socket seen without a port or a peer: has it been bound or
 * connected since?  An open that waited for those names is said now,
 * whoever asks (a wakeup, as a connect completing gives one, or a look:
 * a bind wakes nothing, and a look may take the names before the
 * connect's wakeup comes), not at the next tick.
 */
void sv_watch_rename(struct sv_watch *w, struct wsock *ws)
{
	struct sv_ready_info info;

	if ((!ws->unnamed && !ws->peer_unknown) || !w->ready_ok || ws->have)
		return;
	if (sv_ready_names(&w->ready, ws->fd, ws->inode, &info) == 0)
		apply_names(w, ws, &info);
	if (ws->pending_open && ws->named && !ws->peer_unknown)
		sv_watch_announce(w, ws, ws->found_ns, false);
}

static uint8_t edge_kind(const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;

	if (!ws->have && !ws->named)
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

/*
 * Looks at the fd table until what a wakeup announced shows: the socket a
 * listener's edge promised, the close a hangup foretold.  1 ms after the
 * wakeup, then doubling to at most LOOK_MAX_MS apart, so a close is seen
 * within that of the target's close(2); given up after LOOK_FOR_MS.
 */
#define LOOK_MAX_MS 16
#define LOOK_FOR_MS 2000

/*
 * A listener's edge can vanish before sockview sees it: epoll reports
 * state, and when the target accepts before sockview's loop polls its
 * epoll instance (libuv's epoll asks ours whether anything is ready, and
 * ours drops an entry whose socket is no longer readable), neither the
 * edge nor a wakeup is left.  So while the target listens and holds few
 * sockets, the fd table is also read every IDLE_LOOK_MS: a connection
 * accepted after a quiet spell is found within that, not at the tick.
 */
#define IDLE_LOOK_MS 50
#define IDLE_LOOK_MAX_SOCKETS 1024

static void on_look(uv_timer_t *t);

static bool has_listener(const struct sv_watch *w)
{
	size_t i;

	for (i = 0; i < w->nsocks; i++) {
		const struct wsock *ws = w->socks[i];

		if ((ws->have || ws->named) && ws->cur.state == SV_TCP_LISTEN &&
		    ws->proto == SV_PROTO_TCP)
			return true;
	}
	return false;
}

static bool idle_looks(const struct sv_watch *w)
{
	return !w->stopping && w->ready_ok &&
	       w->scan.n <= IDLE_LOOK_MAX_SOCKETS && has_listener(w);
}

void sv_watch_idle_look(struct sv_watch *w)
{
	if (w->look_delay_ms || uv_is_active((uv_handle_t *)&w->look_timer) ||
	    !idle_looks(w))
		return;
	uv_timer_start(&w->look_timer, on_look, IDLE_LOOK_MS, 0);
}

static void on_look(uv_timer_t *t)
{
	struct sv_watch *w = t->data;
	uint64_t now = sv_watch_mono_ns();

	if (w->stopping)
		return;
	/* the scan takes the wakeups queued before it first */
	if (sv_watch_scan_fds(w) == 0 && w->new_socks) {
		/* new sockets: read them now rather than at the next tick */
		if (w->tick_busy)
			w->tick_again = true;
		else
			sv_watch_start_tick(w);
	}
	if (w->accepts_due > w->new_socks)
		w->accepts_due -= w->new_socks;
	else
		w->accepts_due = 0;
	if ((!w->accepts_due && !w->closings) || now >= w->look_until_ns) {
		w->accepts_due = 0;
		w->look_delay_ms = 0;
		sv_watch_idle_look(w);
		return;
	}
	w->look_delay_ms = w->look_delay_ms ? 2 * w->look_delay_ms : 1;
	if (w->look_delay_ms > LOOK_MAX_MS)
		w->look_delay_ms = LOOK_MAX_MS;
	uv_timer_start(&w->look_timer, on_look, w->look_delay_ms, 0);
}

static void look_soon(struct sv_watch *w)
{
	w->look_until_ns = sv_watch_mono_ns() + LOOK_FOR_MS * 1000000ull;
	if (w->look_delay_ms && w->look_delay_ms <= 1)
		return; /* one is due at once already */
	w->look_delay_ms = 1;
	uv_timer_start(&w->look_timer, on_look, 1, 0);
}

void sv_watch_look_for_accept(struct sv_watch *w)
{
	w->accepts_due++;
	look_soon(w);
}

static void on_wakeup(struct sv_watch *w, struct wsock *ws, uint32_t ev,
		      bool out_entry, bool space, uint64_t now_ns);

/*
 * A socket closed after an output entry saw its hangup, while no wakeup of
 * its main entry showed the peer's FIN: the thread waiting for the main
 * entries was late (a busy or preempted virtual CPU), and the target's
 * close took that report with it (our entries go with its last
 * descriptor).  Both entries woke at the FIN, while the target held the
 * socket: its loop's end of file, said at the output entry's time.
 */
void sv_watch_fin_unseen(struct sv_watch *w, struct wsock *ws)
{
	if (ws->out_hup_ns && !ws->edge.eof && edge_kind(ws) == SV_EDGE_TCP)
		on_wakeup(w, ws, EPOLLIN | EPOLLRDHUP, false, false,
			  ws->out_hup_ns);
}

/*
 * A hangup, a peer's FIN or an error: the target is about to close the
 * socket, or has.  If its descriptor holds another socket already (or
 * none), the close happened first: report it, not the hangup the
 * target's loop never got.  Otherwise look until it closes.  What woke
 * us came while the target still held the socket (our entry goes with
 * its last descriptor): the peer's FIN, or data, woke its loop too (the
 * end of file is often why it closed), and is said before the close.
 */
static bool closed_already(struct sv_watch *w, struct wsock *ws, uint32_t ev,
			   bool space, uint64_t now_ns)
{
	uint64_t ino;

	if (sv_target_fd_inode(w->pid, ws->fd, &ino) || ino == ws->inode)
		return false;
	ev &= ~(uint32_t)(EPOLLHUP | EPOLLERR);
	if (ev & (EPOLLIN | EPOLLRDHUP))
		on_wakeup(w, ws, ev, false, space, now_ns);
	if (!sv_watch_close_later(w, ws))
		sv_watch_closed(w, ws, NULL);
	return true;
}

/*
 * A hangup is often the target's own doing (it shut the socket down and
 * closes it on the same turn of its loop, before its loop could see the
 * hangup).  So a hangup waits for the looks that follow it: if the target
 * closed the socket by then, its close is what happened.  It is its
 * loop's to see once the loop thread (the process's first thread) is
 * seen asleep in epoll_wait while its epoll set still holds the socket:
 * a pending hangup would have woken it.  Where the thread's wchan cannot
 * be read, or its samples (loop.c) never found it in epoll_wait (its
 * loop is elsewhere), after HUP_HOLD_MS; where it is busy, after at most
 * HUP_HOLD_MAX_MS.
 */
#define HUP_HOLD_MS 16
#define HUP_HOLD_MAX_MS 1000

static size_t hold_hangups(struct sv_watch *w, struct wsock *ws,
			   struct sv_edge *e, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if ((e[i].bit & (EPOLLHUP | EPOLLERR)) &&
		    ws->nheld_hup < SV_WATCH_HELD_HUP) {
			ws->held_hup[ws->nheld_hup++] = e[i];
			ws->hup_mono_ns = sv_watch_mono_ns();
			continue;
		}
		e[k++] = e[i];
	}
	(void)w;
	return k;
}

void sv_watch_release_hangups(struct sv_watch *w, struct wsock *ws)
{
	uint64_t held;
	uint32_t ev;
	int asleep;

	if (!ws->nheld_hup)
		return;
	held = sv_watch_mono_ns() - ws->hup_mono_ns;
	asleep = w->loopw.cur.in_epoll || w->loopw.last.in_epoll
			 ? sv_task_sleeps_in_epoll(w->pid, w->pid)
			 : -ENOENT;
	if (asleep < 0 ? held < HUP_HOLD_MS * 1000000ull
		       : !asleep && held < HUP_HOLD_MAX_MS * 1000000ull)
		return;
	/* the target may have dropped it from its epoll sets meanwhile
	 * (libuv does, before it closes): then its loop never gets the
	 * hangup.  Its epoll fdinfo, read again (after the wchan), says. */
	if (sv_target_interest_now(w->pid, &w->scan, ws->inode, &ev) != 0)
		sv_watch_edges(w, ws, ws->held_hup, ws->nheld_hup);
	ws->nheld_hup = 0;
}

/* The target's epoll interest in ws now, into *in and the last look's
 * table: 1 held, 0 in none of its epoll sets, -1 unknown. */
static int interest_now(struct sv_watch *w, struct wsock *ws,
			struct sv_edge_in *in)
{
	uint32_t ev;
	int r = sv_target_interest_now(w->pid, &w->scan, ws->inode, &ev);

	if (r == 1) {
		in->interest = ev;
		in->interest_known = true;
		sv_target_interest_set(&w->scan, ws->inode, ev);
	}
	return r;
}

/* Epoll entries of the target read again at a wakeup, at most (a line of
 * fdinfo each, about 70 bytes). */
#define FRESH_INTEREST_MAX 4096

/* The target's interest as of this drain of our epoll: its epoll sets'
 * fdinfo is read once a drain, however many writables it holds (4096
 * entries are about 280 KB of text). */
static void interest_this_drain(struct sv_watch *w, struct wsock *ws,
				struct sv_edge_in *in)
{
	int known;

	if (w->interest_drain != w->drains || !w->interest_drain) {
		w->interest_drain = w->drains;
		w->interest_fresh =
			sv_target_interest_reread(w->pid, &w->scan) == 0;
	}
	in->interest = sv_target_interest(&w->scan, ws->inode, &known);
	/* in none of its epoll sets, or sets we cannot read: unknown */
	in->interest_known = w->interest_fresh && known;
}

static void on_wakeup(struct sv_watch *w, struct wsock *ws, uint32_t ev,
		      bool out_entry, bool space, uint64_t now_ns)
{
	size_t n;
	struct sv_edge out[SV_EDGE_MAX];
	struct sv_edge_in in = {
		.ev = ev,
		.out_entry = out_entry,
		.kind = edge_kind(ws),
		.drain = w->drains,
		.space = space,
		.now_ns = now_ns,
	};
	struct sv_ready_rx rx;
	int known;

	ws->touched = true; /* the next tick reads it */
	in.interest = sv_target_interest(&w->scan, ws->inode, &known);
	in.interest_known = known;
	if (out_entry && (ev & EPOLLOUT) && in.kind == SV_EDGE_TCP) {
		/*
		 * Freed space: what the target asks for now, not at the last
		 * look.  libuv asks for EPOLLOUT only after a write that did
		 * not fit, just before it waits, and drops it once its queue
		 * is empty; the kernel's poll at that epoll_ctl sets the
		 * no-space flag of a full buffer, so one more wakeup follows
		 * that its loop never gets.  The epoll sets' fdinfo lists
		 * every socket they hold: past FRESH_INTEREST_MAX that costs
		 * too much a drain, and an interest without EPOLLOUT at the
		 * last look is left unknown.
		 */
		if (w->scan.ni <= FRESH_INTEREST_MAX) {
			interest_this_drain(w, ws, &in);
		} else if (known && !(in.interest & EPOLLOUT)) {
			in.interest_known = false;
		}
	}
	/* a hangup: the last look's interest may be stale, and a socket
	 * its epoll sets no longer hold never reaches its loop */
	if (!out_entry && (ev & (EPOLLHUP | EPOLLERR)))
		in.in_no_set = interest_now(w, ws, &in) == 0;
	/* did bytes come?  The counters say, the wakeup alone does not.
	 * Past --edge-rate (its edges are summed) they are not read: four
	 * system calls a wakeup are most of what a busy socket costs; its
	 * summed readables are then those epoll showed */
	if (!out_entry && in.kind == SV_EDGE_TCP && w->edge_limit &&
	    ws->tick_edges >= w->edge_limit) {
		ws->edge.rx_known = false;
		ws->edge.rx_skipped = true;
	} else if (!out_entry && in.kind == SV_EDGE_TCP &&
		 sv_ready_rx(&w->ready, ws->fd, ws->inode, &rx) == 0) {
		in.has_rx = true;
		in.rx_ns = rx.read_ns;
		in.rx_bytes = rx.bytes_received;
		in.last_recv_ms = rx.last_data_recv_ms;
	}
	n = sv_edges(&ws->edge, &in, out);
	n = hold_hangups(w, ws, out, n);
	sv_watch_edges(w, ws, out, n);
}

/*
 * The twin entry (ready.h): the same space wakeup often reaches both
 * instances, a few microseconds apart, and is one wakeup.  A twin wakeup
 * within TWIN_PAIR_NS of the main output entry's, either side, is that
 * one; else it is one the main thread lost (the target refilled the
 * buffer before it looked), said at the twin's time once no main one
 * can pair it any more.  Two real wakeups that close together would be
 * said as one: a loop that refills and waits again takes longer.
 */
#define TWIN_PAIR_NS 5000000ull

static uint64_t ns_apart(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void twin_say(struct sv_watch *w, struct wsock *ws)
{
	uint64_t t = ws->twin_ns;

	ws->twin_ns = 0;
	if (t && !w->stopping)
		on_wakeup(w, ws, EPOLLOUT, true, false, t);
}

static void on_twin_timer(uv_timer_t *t);

/* Says the twin wakeups no main one can pair any more (all: force). */
static void twins_due(struct sv_watch *w, bool force)
{
	uint64_t now = sv_watch_now_ns();
	unsigned i, kept = 0;

	for (i = 0; i < w->ntwins; i++) {
		struct wsock *ws = sv_watch_find(w, w->twins[i]);

		if (!ws || !ws->twin_ns)
			continue;
		if (force || now >= ws->twin_ns + TWIN_PAIR_NS)
			twin_say(w, ws);
		else
			w->twins[kept++] = w->twins[i];
	}
	w->ntwins = kept;
	if (kept)
		uv_timer_start(&w->twin_timer, on_twin_timer,
			       TWIN_PAIR_NS / 1000000 + 1, 0);
}

static void on_twin_timer(uv_timer_t *t)
{
	twins_due(t->data, false);
}

static void twin_edge(struct sv_watch *w, struct wsock *ws, uint32_t ev,
		      uint64_t now_ns)
{
	struct sv_ready_rx rx;

	if (!(ev & EPOLLOUT) || (ev & (EPOLLHUP | EPOLLERR)))
		return; /* hangups: the main entry's */
	if (ws->twin_reg) {
		ws->twin_reg = false;
		return;
	}
	if (ws->main_out_ns && ns_apart(now_ns, ws->main_out_ns) < TWIN_PAIR_NS)
		return;
	/* a state change wakes every entry too (the peer's FIN, a reset):
	 * then the socket is no longer established, or gone, by now */
	if (ws->edge.eof || sv_ready_rx(&w->ready, ws->fd, ws->inode, &rx) ||
	    rx.state != 1 /* TCP_ESTABLISHED */)
		return;
	if (ws->twin_ns) {
		twin_say(w, ws); /* the older one; the socket is listed */
		ws->twin_ns = now_ns;
	} else {
		if (w->ntwins == SV_WATCH_TWINS)
			twins_due(w, true);
		ws->twin_ns = now_ns;
		w->twins[w->ntwins++] = ws->inode;
	}
	if (!uv_is_active((uv_handle_t *)&w->twin_timer))
		uv_timer_start(&w->twin_timer, on_twin_timer,
			       TWIN_PAIR_NS / 1000000 + 1, 0);
}

/* One wakeup of one entry, taken at now_ns; space: the socket's output
 * entry woke in the same epoll_wait. */
static void on_edge(struct sv_watch *w, uint64_t key, uint32_t ev,
		    bool space, uint64_t now_ns)
{
	bool out_entry = key & SV_READY_OUT;
	struct wsock *ws =
		sv_watch_find(w, key & ~(SV_READY_OUT | SV_READY_TWIN));
	bool listener;

	if (!ws || w->stopping)
		return;
	/* the peer's FIN (or a reset) while the target held it: see
	 * sv_watch_fin_unseen */
	if ((key & (SV_READY_OUT | SV_READY_TWIN)) &&
	    (ev & (EPOLLHUP | EPOLLERR)) && !ws->out_hup_ns)
		ws->out_hup_ns = now_ns;
	if (key & SV_READY_TWIN) {
		twin_edge(w, ws, ev, now_ns);
		return;
	}
	if ((ws->unnamed || ws->peer_unknown) && !ws->have)
		sv_watch_rename(w, ws);
	if (out_entry) {
		ws->main_out_ns = now_ns;
		if (ws->twin_ns && ns_apart(now_ns, ws->twin_ns) < TWIN_PAIR_NS)
			ws->twin_ns = 0; /* the same wakeup */
		on_wakeup(w, ws, ev, true, false, now_ns);
		return;
	}
	if ((ev & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) &&
	    closed_already(w, ws, ev, space, now_ns))
		return;
	listener = (ws->have || ws->named) && ws->cur.state == SV_TCP_LISTEN;
	on_wakeup(w, ws, ev, false, space, now_ns);
	/* a readable listener: the accepted socket shows up at once */
	if ((ev & EPOLLIN) && listener) {
		ws->edges_unclaimed = 1;
		sv_watch_look_for_accept(w);
	}
	if ((ev & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) && !ws->closing) {
		ws->closing = true;
		w->closings++;
	}
	if (ev & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		look_soon(w);
}

static void on_drained(uint64_t key, uint32_t ev, void *arg)
{
	/* taken now: the counters are read after it, never before */
	on_edge(arg, key, ev, false, sv_watch_now_ns());
}

/*
 * While edges are being summed (a socket past --edge-rate this interval,
 * or the output full), a wakeup costs more than the one or two edges it
 * brings: at 40,000 requests a second the thread and the loop woke that
 * often.  Then the thread waits BATCH_MS after each epoll_wait, which
 * takes what gathered meanwhile.  An edge is up to BATCH_MS late, and
 * one socket's edges closer together than that are one (an entry holds
 * one report until read).  Opens and closes come from looks, the fd
 * table and destroy messages, and are not held.
 */
#define BATCH_MS 5

/*
 * The destroy messages' socket, edge-triggered in the waiting thread's
 * epoll: each message makes it readable once the last was taken, so the
 * wakeups' times are when the messages came, in order (two that came
 * before the thread looked share the later one's wakeup: the second is
 * then stamped later, never earlier).  The loop reads them behind its
 * other work; the kernel's "ms ago" counters of a record count from when
 * it came, and so does a close only a destroy message showed.
 */
static void destroy_came(struct sv_watch *w, uint64_t ns)
{
	unsigned i;

	if (w->destroy_n == SV_WATCH_DESTROY_TIMES)
		return; /* a message without a time is stamped when read */
	i = (w->destroy_first + w->destroy_n++) % SV_WATCH_DESTROY_TIMES;
	w->destroy_at[i] = ns;
}

/*
 * The waiting thread may see a message's wakeup after the loop read the
 * message (both look at once), and stamp it later than that read: its
 * time then waits for the next message, which may come much later, and
 * was said that early (211 ms before its connection was made, in one
 * run of the paused-reader test).  A message read after the socket was
 * read empty came after that, so a time from before it, or from within
 * DESTROY_LAG_NS after it (the thread's own lag), is no later
 * message's: that message is stamped when read instead, a little late
 * and never early.
 */
#define DESTROY_LAG_NS 1000000ull

void sv_watch_destroy_drained(struct sv_watch *w)
{
	w->destroy_floor_ns = sv_watch_now_ns() + DESTROY_LAG_NS;
}

void sv_watch_destroy_arrived(struct sv_watch *w)
{
	uint64_t last = w->destroy_ns > w->destroy_floor_ns
				? w->destroy_ns
				: w->destroy_floor_ns;

	w->destroy_ns = 0;
	/* a time queued after its message was read (stamped then) is
	 * older than that stamp: no later message takes it */
	while (w->destroy_n) {
		uint64_t t = w->destroy_at[w->destroy_first];

		w->destroy_first = (w->destroy_first + 1) %
				   SV_WATCH_DESTROY_TIMES;
		w->destroy_n--;
		if (t >= last) {
			w->destroy_ns = t;
			return;
		}
	}
	w->destroy_ns = sv_watch_now_ns();
}

/* Whether the output entry of k[i]'s socket woke in k[i]'s epoll_wait
 * (its main entries come first, then its output entries). */
static bool space_beside(const struct sv_ready_wake *k, size_t n, size_t i)
{
	uint64_t out = k[i].key | SV_READY_OUT;
	size_t j;

	for (j = i + 1; j < n && k[j].batch == k[i].batch; j++)
		if (k[j].key == out)
			return true;
	return false;
}

/* What the waiting thread queued, in its order and with its times. */
static void take_queued(struct sv_watch *w)
{
	struct sv_ready_wake k[SV_READY_TAKE_MAX];
	size_t n, i;

	while ((n = sv_ready_take(&w->ready, k, SV_READY_TAKE_MAX)) > 0) {
		for (i = 0; i < n; i++) {
			if (k[i].key & SV_READY_OTHER) {
				destroy_came(w, k[i].real_ns);
				continue;
			}
			if (k[i].batch != w->wake_batch) {
				w->wake_batch = k[i].batch;
				w->drains++;
			}
			on_edge(w, k[i].key, k[i].events,
				!(k[i].key & SV_READY_OUT) &&
					space_beside(k, n, i),
				k[i].real_ns);
		}
	}
	if (w->ntwins)
		twins_due(w, false);
	sv_ready_wait_hold(&w->ready, w->held_edges ? BATCH_MS : 0);
}

void sv_watch_drain_ready(struct sv_watch *w)
{
	if (!w->ready_ok)
		return;
	if (w->ready_waiting) {
		take_queued(w);
		return;
	}
	w->drains++;
	sv_ready_drain(&w->ready, on_drained, w);
}

static void on_queued(uv_async_t *a)
{
	struct sv_watch *w = a->data;

	w->wakeups++;
	if (w->ready_ok)
		take_queued(w);
}

static void notify_loop(void *arg)
{
	uv_async_send(arg);
}

/* The nested poll, for when no thread can wait (it loses more wakeups
 * to a target that acts first: see ready.h). */
static void on_ready(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)events;
	w->wakeups++;
	w->drains++;
	/* Woken with nothing to harvest: the target consumed the edge first
	 * (epoll re-checks the state); a listener's shows as a new socket.
	 * On a busy target that is mostly data or space taken first, and
	 * looks every few milliseconds would cost more than the rest: a
	 * target read every IDLE_LOOK_MS anyway is left to that. */
	if (status >= 0 && sv_ready_drain(&w->ready, on_drained, w) == 0 &&
	    !idle_looks(w))
		sv_watch_look_for_accept(w);
}

int sv_watch_ready_start(struct sv_watch *w)
{
	int err, rt_err;

	w->ready_async.data = w->ready_poll.data = w->twin_timer.data = w;
	err = uv_async_init(w->loop, &w->ready_async, on_queued);
	if (!err)
		err = uv_timer_init(w->loop, &w->twin_timer);
	if (err)
		return err;
	err = sv_ready_wait_start(&w->ready, notify_loop, &w->ready_async,
				  &rt_err);
	if (!err) {
		w->ready_waiting = true;
		/* no times for destroy messages: they are stamped when read */
		if (w->destroy_fd >= 0)
			sv_ready_wait_add(&w->ready, w->destroy_fd, 0);
		if (rt_err)
			sv_note("readiness is collected at normal priority "
				"(real-time priority: %s): a target that "
				"refills its send buffer at once may hide "
				"some writable wakeups", strerror(-rt_err));
		return 0;
	}
	err = uv_poll_init(w->loop, &w->ready_poll, w->ready.epfd);
	if (!err)
		err = uv_poll_start(&w->ready_poll, UV_READABLE, on_ready);
	return err;
}

/* Before the loop's handles close: the thread notifies one of them. */
void sv_watch_ready_stop(struct sv_watch *w)
{
	sv_ready_wait_stop(&w->ready);
	w->ready_waiting = false;
}
