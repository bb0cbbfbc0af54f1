// SPDX-License-Identifier: MIT
/*
 * The tick: every interval the target's fd table is read when due, then
 * its sockets are asked of sock_diag one request after another, each
 * reply read in libuv's poll phase (the netlink socket is non-blocking).
 * The phases, in order:
 *   EXACT_TCP, EXACT_UDP  a light tick: the rows on screen, by cookie
 *   TCP4 .. UDP6          dumps filtered by the target's local ports
 *   UNIX                  the UNIX sockets no dump claimed, by inode
 *   DONE                  rates, differences, the view, the hooks
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/util.h"
#include "filter/filter.h"
#include "watch/watch.h"

enum tick_phase {
	PH_EXACT_TCP,
	PH_EXACT_UDP,
	PH_TCP4,
	PH_TCP6,
	PH_UDP4,
	PH_UDP6,
	PH_UNIX,
	PH_DONE,
};

/*
 * The kernel-side filter: local ports of the target's inet sockets, one
 * program for TCP and one for UDP.  The kernel runs it on every socket of
 * the table it walks, so a TCP dump does not carry the ports of a few
 * hundred UDP sockets (each a range of its own).
 */
static int build_bytecode(struct sv_watch *w, int k)
{
	uint16_t *ports = malloc((w->nsocks + 1) * sizeof(*ports));
	uint8_t other = k ? SV_PROTO_TCP : SV_PROTO_UDP;
	size_t n = 0, i;
	int err;

	free(w->bytecode[k]);
	w->bytecode[k] = NULL;
	w->bytecode_len[k] = 0;
	if (!ports)
		return -ENOMEM;
	for (i = 0; i < w->nsocks; i++) {
		struct wsock *ws = w->socks[i];

		/* a socket whose protocol is not known yet is in both */
		if ((ws->family == AF_INET || ws->family == AF_INET6) &&
		    ws->proto != other)
			ports[n++] = ws->port;
	}
	err = sv_filter_port_ranges(ports, n, SV_FILTER_PORT_RANGES_MAX,
				    &w->bytecode[k], &w->bytecode_len[k]);
	free(ports);
	return err;
}

static void keep_reply(struct sv_watch *w, struct wsock *ws,
		       const struct sv_sock *s)
{
	if (ws->seen_tick != w->tick_gen && ws->have) {
		ws->prev = ws->cur;
		ws->prev.path = NULL; /* only cur's name is kept */
		ws->prev.icons = NULL;
		ws->prev_ns = ws->cur_ns;
		ws->have_prev = true;
	}
	sv_watch_count_state(w, ws, -1);
	if (!ws->have)
		w->have_gen++;
	ws->cur = *s;
	ws->cur.path = NULL;
	ws->cur.icons = NULL; /* in the reply buffer */
	ws->have = true;
	sv_watch_count_state(w, ws, 1);
	if (s->path && s->path_len) {
		size_t n = s->path_len < sizeof(ws->path) ? s->path_len
							  : sizeof(ws->path);

		memcpy(ws->path, s->path, n);
		ws->cur.path = ws->path;
		ws->cur.path_len = n;
	}
}

static int on_diag_sock(struct sv_sock *s, void *arg)
{
	struct sv_watch *w = arg;
	struct wsock *ws = sv_watch_find(w, s->inode);
	int known;

	if (!ws || !(s->has & SV_HAS_INODE))
		return 0; /* another process's socket on a shared port */
	if (!ws->cookie_known && sv_watch_gone_cookie(w, s->cookie)) {
		/* read before its destroy message came, which said it all */
		sv_watch_forget(w, ws);
		return 0;
	}
	keep_reply(w, ws, s);
	ws->joins.interest = sv_target_interest(&w->scan, ws->inode, &known);
	if (known)
		ws->joins.has |= SV_JOIN_INTEREST;
	else
		ws->joins.has &= ~(uint32_t)SV_JOIN_INTEREST;
	ws->cur_ns = w->tick_mono_ns;
	ws->have = true;
	ws->peer_unknown = false;
	ws->touched = false;
	sv_watch_cookie(w, ws);
	if (ws->seen_tick != w->tick_gen)
		sv_watch_mark_read(w, ws);
	ws->seen_tick = w->tick_gen;
	if (s->family == AF_INET || s->family == AF_INET6 ||
	    s->family == AF_UNIX)
		ws->family = s->family;
	if (s->has & SV_HAS_PORTS)
		ws->port = s->local.port;
	ws->proto = s->proto;
	return 0;
}

/*
 * --edge-rate counts each socket's readiness events over one interval
 * (ticks can come more often: a new socket starts one): at its end the
 * edges folded over the limit are said, one line per socket and kind.
 */
static void edge_window(struct sv_watch *w)
{
	uint64_t now = sv_watch_mono_ns();
	size_t i;

	if (now - w->edge_window_ns < w->interval_ms * 1000000ull)
		return;
	w->edge_window_ns = now;
	if (w->held_edges)
		sv_watch_release_edges(w, true);
	if (!w->window_edges)
		return; /* none counted: no socket to reset */
	w->window_edges = 0;
	for (i = 0; i < w->nsocks; i++)
		w->socks[i]->tick_edges = 0;
}

/* A socket the tick read: its open, if it waited, and its numbers. */
static void finish_sock(struct sv_watch *w, struct wsock *ws)
{
	/* found by a scan during this tick's dumps: its open waits for a
	 * tick that read it */
	if (ws->pending_open)
		sv_watch_announce(w, ws, 0, false);
	sv_watch_rates(ws);
	sv_watch_diff(w, ws);
}

/* A light tick asked for a few sockets: only those it read. */
static void finish_light(struct sv_watch *w)
{
	size_t i;

	for (i = 0; i < w->tick_read_n && !w->stopping; i++) {
		struct wsock *ws = sv_watch_find(w, w->tick_read[i]);

		if (ws && ws->seen_tick == w->tick_gen)
			finish_sock(w, ws);
		else if (ws)
			w->exact_missed = true; /* gone, or moved: a dump says */
	}
}

static void finish_tick(struct sv_watch *w)
{
	size_t i;

	w->tick_busy = false;
	if (!w->light)
		w->full_cost_ns = w->pass_cpu_ns;
	if (w->light && !w->tick_read_lost)
		finish_light(w);
	for (i = 0; i < w->nsocks && !w->stopping &&
		    (!w->light || w->tick_read_lost); i++) {
		struct wsock *ws = w->socks[i];

		if (ws->seen_tick != w->tick_gen) {
			if (w->light)
				continue; /* not asked for this tick */
			/* not found by any request: not a socket we can see,
			 * or one that is gone: look at the fd table */
			if (w->full_dump && !ws->have)
				ws->family = SV_FAMILY_OTHER;
			if (ws->have) {
				w->need_scan = true;
				ws->recheck = true;
				/* asked by its old names (connected since?):
				 * the next pass dumps its table */
				if (ws->proto == SV_PROTO_TCP &&
				    w->table_exact[ws->family == AF_INET6])
					w->table_missed[ws->family ==
							AF_INET6] = true;
			}
			continue;
		}
		finish_sock(w, ws);
	}
	if (!w->stopping) {
		edge_window(w);
		sv_watch_idle_look(w);
	}
	if (!w->stopping) {
		sv_watch_hooks_tick(w);
		if (w->mode == SV_WATCH_JSON)
			sv_watch_samples(w);
		else
			sv_watch_view_tick(w);
	}
	if (w->tick_again && !w->stopping) {
		w->tick_again = false;
		sv_watch_start_tick(w);
	}
}

/* UNIX sockets by inode: those no inet dump claimed this tick. */
static bool begin_unix(struct sv_watch *w)
{
	size_t n = 0, i;
	int err;

	if (w->unix_off == 0 && !w->unix_ready) {
		free(w->unix_q);
		w->unix_q = malloc((w->nsocks + 1) * sizeof(*w->unix_q));
		if (!w->unix_q)
			return false;
		for (i = 0; i < w->nsocks; i++) {
			struct wsock *ws = w->socks[i];

			if (ws->seen_tick == w->tick_gen ||
			    ws->family == SV_FAMILY_OTHER ||
			    ws->family == AF_INET || ws->family == AF_INET6)
				continue;
			if (ws->inode <= UINT32_MAX)
				w->unix_q[n++] = ws->inode;
		}
		w->unix_n = n;
	}
	if (w->unix_off >= w->unix_n)
		return false;
	n = w->unix_n - w->unix_off;
	if (n > SV_DIAG_EXACT_MAX)
		n = SV_DIAG_EXACT_MAX;
	err = sv_diag_begin_unix_inodes(w->diag, w->unix_q + w->unix_off, n,
					on_diag_sock, w);
	w->unix_off += n;
	return err == 0;
}

static bool begin_exact(struct sv_watch *w, int k)
{
	return w->nexact[k] &&
	       sv_diag_begin_inet_exact(w->diag,
					k ? SV_PROTO_UDP : SV_PROTO_TCP,
					w->exact[k], w->nexact[k],
					on_diag_sock, w) == 0;
}

/*
 * A dump walks the kernel's whole table, shared by every namespace: on a
 * machine with 121,000 TCP sockets, 25-50 ms even when the target has
 * one socket in it.  An exact request is a hash lookup and a reply of
 * its own, about 5 us a socket.  So a TCP table where the target has at
 * most one batch of sockets, all with known addresses, is read by exact
 * requests; a larger share by the dump (17,000 sockets: exact requests
 * would cost more than the walk saves).
 */
static bool begin_table_exact(struct sv_watch *w, int t)
{
	int family = t & 1 ? AF_INET6 : AF_INET;
	size_t i, n = 0;

	w->table_exact[t] = false;
	if (!w->table_named[t] || !w->table_n[t] || w->table_missed[t] ||
	    w->table_n[t] > SV_DIAG_EXACT_MAX) {
		w->table_missed[t] = false; /* the dump finds what moved */
		return false;
	}
	if (!w->table_q) {
		w->table_q = malloc(SV_DIAG_EXACT_MAX * sizeof(*w->table_q));
		if (!w->table_q)
			return false;
	}
	for (i = 0; i < w->nsocks && n < SV_DIAG_EXACT_MAX; i++) {
		const struct wsock *ws = w->socks[i];

		if (ws->family == family && ws->proto == SV_PROTO_TCP)
			w->table_q[n++] = &ws->cur;
	}
	w->table_exact[t] = n && sv_diag_begin_inet_exact(
					 w->diag, SV_PROTO_TCP, w->table_q, n,
					 on_diag_sock, w) == 0;
	return w->table_exact[t];
}

static bool begin_dump(struct sv_watch *w, int phase)
{
	static const struct {
		uint8_t proto, family;
	} inet[] = {
		[PH_TCP4] = { SV_PROTO_TCP, AF_INET },
		[PH_TCP6] = { SV_PROTO_TCP, AF_INET6 },
		[PH_UDP4] = { SV_PROTO_UDP, AF_INET },
		[PH_UDP6] = { SV_PROTO_UDP, AF_INET6 },
	};
	struct sv_diag_req req = {
		.proto = inet[phase].proto,
		.family = inet[phase].family,
		/* not bound-inactive: asking for it makes the kernel walk its
		 * whole bind table as well */
		.states = SV_STATES_ALL & ~SV_SF(SV_TCP_BOUND_INACTIVE),
	};
	int k = inet[phase].proto == SV_PROTO_UDP;

	/* the target has no socket there: no table walk */
	if (!w->full_dump && !w->need_dump[phase - PH_TCP4])
		return false;
	if (!w->full_dump && !k && begin_table_exact(w, phase - PH_TCP4))
		return true;
	if (!w->full_dump) {
		req.bytecode = w->bytecode[k];
		req.bytecode_len = w->bytecode_len[k];
	}
	return sv_diag_begin(w->diag, &req, on_diag_sock, w) == 0;
}

/*
 * What a pass costs is our thread's CPU time in its requests (the kernel
 * walks its tables and fills the replies in our system calls) and in
 * their callbacks: not the wall time, which a loaded machine or other
 * work of the loop between the replies stretches.
 */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Starts the next request of the tick, or finishes it. */
static void next_phase(struct sv_watch *w)
{
	uint64_t t0 = thread_cpu_ns();

	while (w->phase < PH_DONE) {
		int phase = w->phase;
		bool started = false;

		switch (phase) {
		case PH_EXACT_TCP:
		case PH_EXACT_UDP:
			started = w->light && begin_exact(w, phase);
			break;
		case PH_TCP4:
		case PH_TCP6:
		case PH_UDP4:
		case PH_UDP6:
			started = !w->light && begin_dump(w, phase);
			break;
		case PH_UNIX:
			/* in pieces of SV_DIAG_EXACT_MAX: stays in phase */
			started = begin_unix(w);
			if (started)
				w->phase--;
			break;
		}
		w->phase++;
		if (started) {
			w->pass_cpu_ns += thread_cpu_ns() - t0;
			return;
		}
	}
	w->pass_cpu_ns += thread_cpu_ns() - t0;
	finish_tick(w);
}

/*
 * Reading /proc/PID/fd costs a dentry lookup per descriptor, and a link
 * read per descriptor more: with 16,000 sockets that is most of a tick.
 * A small table is read whole every tick; a large one has every link
 * read once a full period (socks.c reads only the links that may have
 * changed between), and is looked at when a socket left the kernel's
 * replies or a listener got a connection.
 */
/*
 * How often everything is read when not every tick: at least once a
 * second, and no more often than keeps that work to FULL_SHARE of one
 * core (a pass over 17,000 sockets among 121,000 costs 75-100 ms of CPU),
 * at most every 10 s.  At a twentieth the NDJSON watch of such a target
 * cost 10.1% of a core in make bench, over the 10% it may.
 */
#define FULL_SHARE 25 /* one twenty-fifth */

static uint64_t full_period_ns(const struct sv_watch *w)
{
	uint64_t p = w->interval_ms < 1000 ? 1000000000ull
					   : w->interval_ms * 1000000ull;

	if (FULL_SHARE * w->full_cost_ns > p)
		p = FULL_SHARE * w->full_cost_ns;
	return p < 10000000000ull ? p : 10000000000ull;
}

/*
 * Only some sockets need fresh numbers every tick: those with readiness
 * edges since the last tick and, in a terminal, the rows on screen.
 * They are read with exact requests (a hash lookup each); everything else
 * in a full pass at least once a second with dumps, which walk the
 * kernel's whole socket table.  Readiness, open and close events come
 * from epoll, the fd table and destroy messages and are never delayed.
 */
#define LIGHT_MIN_SOCKETS 256

/*
 * A small target is read whole each tick by exact requests, and by dumps
 * only when an exact request found nothing (the socket went, or its
 * addresses changed), when a socket is new, or this often.  A dump walks
 * every bucket of the kernel's tables and every socket of every network
 * namespace in them (262,144 buckets in TCP's on a 24 GiB machine; 121,000
 * sockets in make bench): once a second that walk was a quarter of what
 * watching a busy 64-connection server cost.
 */
#define SMALL_FULL_NS 10000000000ull

static bool want_exact(struct sv_watch *w, struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;
	size_t k;

	if (ws->queued_gen == w->tick_gen + 1)
		return true; /* already asked for */
	if (s->proto == SV_PROTO_TCP || s->proto == SV_PROTO_UDP) {
		k = s->proto == SV_PROTO_UDP;
		if (w->nexact[k] == SV_DIAG_EXACT_MAX)
			return false;
		w->exact[k][w->nexact[k]++] = s;
	} else if (s->proto == SV_PROTO_UNIX && ws->inode <= UINT32_MAX) {
		if (w->unix_n == SV_DIAG_EXACT_MAX)
			return false;
		w->unix_q[w->unix_n++] = ws->inode;
	}
	ws->queued_gen = w->tick_gen + 1;
	return true;
}

static bool fill_exact(struct sv_watch *w, size_t rows, bool every)
{
	struct wsock **v = NULL;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		free(w->exact[k]);
		w->exact[k] = malloc(SV_DIAG_EXACT_MAX * sizeof(*w->exact[k]));
		w->nexact[k] = 0;
	}
	free(w->unix_q);
	w->unix_q = malloc(SV_DIAG_EXACT_MAX * sizeof(*w->unix_q));
	w->unix_n = 0;
	if (!w->exact[0] || !w->exact[1] || !w->unix_q)
		return false;
	if (rows) {
		size_t n;

		v = sv_watch_ordered_top(w, rows, &n);
		if (!v)
			return false;
		for (i = 0; i < n; i++)
			if (!want_exact(w, v[i]))
				break;
		free(v);
		if (i < n)
			return false;
	}
	if (every) {
		for (i = 0; i < w->nsocks; i++)
			if (!want_exact(w, w->socks[i]))
				return false;
		return true;
	}
	/* a socket is touched by a wakeup: none since the last light tick
	 * read the touched ones, none to look for */
	if (sv_watch_edge_activity(w) == w->touch_seen && !w->touch_left)
		return true;
	w->touch_seen = sv_watch_edge_activity(w);
	w->touch_left = false;
	for (i = 0; i < w->nsocks; i++) {
		if (!w->socks[i]->touched)
			continue;
		if (!want_exact(w, w->socks[i]))
			return false; /* too many: a full pass instead */
		w->touch_left = true; /* until a tick finds none */
	}
	return true;
}

static void plan_light_tick(struct sv_watch *w)
{
	uint64_t now = sv_watch_mono_ns();
	bool every = w->nsocks <= LIGHT_MIN_SOCKETS;
	size_t i;

	w->light = false;
	w->unix_ready = false;
	/* (every: see SMALL_FULL_NS) */
	if (w->need_scan || w->exact_missed ||
	    now - w->last_full_ns >=
		    (every ? SMALL_FULL_NS : full_period_ns(w))) {
		w->exact_missed = false;
		return;
	}
	/* only a scan adds sockets: no walk over 16,000 of them a tick
	 * to learn that none is new */
	if (w->maybe_unread) {
		for (i = 0; i < w->nsocks; i++)
			if (!w->socks[i]->have)
				return; /* something new: read it all */
		w->maybe_unread = false;
	}
	if (fill_exact(w, w->mode == SV_WATCH_TERM ? sv_watch_table_rows()
						   : 0,
		       every)) {
		w->unix_ready = true;
		w->light = true;
	}
}

/*
 * Every link of a large table is read this often (about 60 ms of system
 * time for 17,000 descriptors).  Between, a look reads the links of the
 * sockets that may have gone, and the numbers a close left (socks.c):
 * a number reused after a socket closed with no edge and no destroy
 * message (a UNIX socket) is seen as a close and an open by then.
 */
#define LINKS_ALL_NS 10000000000ull

static bool scan_due(struct sv_watch *w)
{
	uint64_t now = sv_watch_mono_ns();

	if (now - w->last_scan_ns >= LINKS_ALL_NS)
		w->links_all = true;
	return !w->first_scan_done || w->need_scan || w->links_all ||
	       w->scan.n <= SV_WATCH_LINKS_ALL_MAX ||
	       now - w->last_full_ns >= full_period_ns(w);
}

/* Which dumps the tick needs; a socket we know nothing of yet needs one
 * without filter. */
static void plan_dumps(struct sv_watch *w)
{
	size_t i;

	w->full_dump = false;
	memset(w->need_dump, 0, sizeof(w->need_dump));
	memset(w->table_n, 0, sizeof(w->table_n));
	memset(w->table_named, 1, sizeof(w->table_named));
	for (i = 0; i < w->nsocks; i++) {
		const struct wsock *ws = w->socks[i];
		int v6 = ws->family == AF_INET6;
		/* a reply's addresses: the names a socket gave at
		 * registration may lack its peer (still connecting) */
		bool named = ws->have && !ws->peer_unknown &&
			     (ws->cur.has & SV_HAS_PORTS) &&
			     ws->proto == ws->cur.proto;

		if (!ws->family)
			w->full_dump = true;
		if (ws->family != AF_INET && ws->family != AF_INET6)
			continue;
		if (ws->proto != SV_PROTO_UDP) {
			w->need_dump[v6] = true;
			w->table_n[v6]++;
			w->table_named[v6] &= named;
		}
		if (ws->proto != SV_PROTO_TCP)
			w->need_dump[2 + v6] = true;
	}
}

/*
 * Our netlink sockets answer for the namespace the target was in when we
 * started.  A target that moved (setns, unshare) holds sockets there we
 * cannot ask about: say so once.
 */
static void check_netns(struct sv_watch *w, uint64_t ns)
{
	if (w->netns_moved || !ns || !w->netns || ns == w->netns)
		return;
	w->netns_moved = true;
	sv_note("pid %d moved to another network namespace "
		"(%llu, was %llu): its sockets there are out of view",
		w->pid, (unsigned long long)ns, (unsigned long long)w->netns);
}

void sv_watch_start_tick(struct sv_watch *w)
{
	int err;

	if (w->tick_busy || w->stopping)
		return;
	if (scan_due(w)) {
		uint64_t ns;

		/* after an exec the target has a new name */
		if (!sv_target_info(w->pid, w->comm, sizeof(w->comm), &ns))
			check_netns(w, ns);
		err = sv_watch_scan_fds(w);
		if (err == -ESRCH) {
			/* gone: the pidfd reports the exit, if there is one */
			if (w->ready.pidfd < 0) {
				sv_watch_event_exit(w);
				sv_watch_stop(w);
			}
			return;
		}
		if (err) {
			sv_warn("cannot read the descriptors of pid %d: %s",
				w->pid, strerror(-err));
			return;
		}
	}
	plan_light_tick(w);
	if (!w->light)
		plan_dumps(w);
	if (!w->light && !w->full_dump &&
	    (build_bytecode(w, 0) || build_bytecode(w, 1)))
		w->full_dump = true;
	w->tick_gen++;
	w->tick_read_n = 0;
	w->tick_read_lost = false;
	w->tick_mono_ns = sv_watch_mono_ns();
	if (!w->light)
		w->last_full_ns = w->tick_mono_ns;
	w->tick_busy = true;
	w->pass_cpu_ns = 0;
	w->phase = PH_EXACT_TCP;
	w->unix_off = 0;
	next_phase(w);
}

void sv_watch_on_tick(uv_timer_t *t)
{
	sv_watch_start_tick(t->data);
}

void sv_watch_on_diag(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;
	uint64_t t0;
	int r;

	(void)events;
	w->wakeups++;
	w->diag_wakeups++;
	if (status < 0 || !w->tick_busy)
		return;
	t0 = thread_cpu_ns();
	r = sv_diag_step(w->diag);
	w->pass_cpu_ns += thread_cpu_ns() - t0;
	if (r == 1)
		return;
	if (r < 0) {
		sv_warn("sock_diag: %s", strerror(-r));
		w->tick_busy = false;
		return;
	}
	next_phase(w);
}

void sv_watch_tick_free(struct sv_watch *w)
{
	free(w->bytecode[0]);
	free(w->bytecode[1]);
	free(w->unix_q);
	free(w->exact[0]);
	free(w->exact[1]);
	free(w->table_q);
	w->table_q = NULL;
	w->bytecode[0] = w->bytecode[1] = NULL;
	w->unix_q = NULL;
	w->exact[0] = w->exact[1] = NULL;
}
