// SPDX-License-Identifier: MIT
/*
 * sockview watch PID: one libuv loop.  A timer starts each tick; the
 * sock_diag socket is non-blocking and polled, so replies are read in the
 * poll phase; readiness edges of the target's sockets arrive through an
 * epoll instance of ours, polled too; the target's exit through its pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/options.h"
#include "core/util.h"
#include "watch/cmd.h"
#include "watch/watch.h"

static void parse_opts(int argc, char **argv, struct sv_watch *w)
{
	struct sv_getopt g;
	uint64_t v;
	char *end;
	int c;

	w->interval_ms = 1000;
	sv_getopt_init(&g, &sv_watch_doc);
	while ((c = sv_getopt_next(&g, argc, argv)) != -1) {
		switch (c) {
		case SV_OPT_INTERVAL:
			if (sv_parse_u64(optarg, 1, 3600000, &v))
				sv_usage_die("watch: --interval takes "
					     "milliseconds (1 to 3600000), not "
					     "'%s'",
					     optarg);
			w->interval_ms = v;
			break;
		case SV_OPT_COUNT:
			if (sv_parse_u64(optarg, 1, UINT64_MAX, &v))
				sv_usage_die("watch: --count takes a positive "
					     "number, not '%s'",
					     optarg);
			w->count = v;
			break;
		case SV_OPT_DURATION:
			w->duration = strtod(optarg, &end);
			if (end == optarg || *end || !(w->duration > 0) ||
			    w->duration > 31536000)
				sv_usage_die("watch: --duration takes seconds, "
					     "not '%s'",
					     optarg);
			break;
		case 'n':
			w->numeric = true;
			break;
		case SV_OPT_JSON:
			w->mode = SV_WATCH_JSON;
			break;
		}
	}
	if (optind >= argc)
		sv_usage_die("watch: which process? (a PID is needed)");
	if (optind + 1 < argc)
		sv_usage_die("watch: unexpected argument '%s'", argv[optind + 1]);
	if (sv_parse_u64(argv[optind], 1, 4194304, &v))
		sv_usage_die("watch: '%s' is not a process id", argv[optind]);
	w->pid = (int)v;
}

static void stop(struct sv_watch *w)
{
	w->stopping = true;
	uv_stop(w->loop);
}

/* sockets */

static struct wsock *find(struct sv_watch *w, uint64_t inode)
{
	uint32_t i;

	return sv_imap_get(&w->by_inode, inode, &i) ? w->socks[i] : NULL;
}

static struct wsock *add_sock(struct sv_watch *w, uint64_t inode, int fd)
{
	struct wsock *ws;

	if (w->nsocks == w->capsocks) {
		size_t cap = w->capsocks ? 2 * w->capsocks : 64;
		struct wsock **v = realloc(w->socks, cap * sizeof(*v));

		if (!v)
			return NULL;
		w->socks = v;
		w->capsocks = cap;
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws || sv_imap_put(&w->by_inode, inode, (uint32_t)w->nsocks)) {
		free(ws);
		return NULL;
	}
	ws->inode = inode;
	ws->fd = fd;
	ws->proto = SV_PROTO_MAX;
	w->socks[w->nsocks++] = ws;
	return ws;
}

static void remove_sock(struct sv_watch *w, size_t i)
{
	struct wsock *ws = w->socks[i];

	sv_imap_del(&w->by_inode, ws->inode);
	free(ws);
	w->socks[i] = w->socks[--w->nsocks];
	if (i < w->nsocks)
		sv_imap_put(&w->by_inode, w->socks[i]->inode, (uint32_t)i);
}

static void register_ready(struct sv_watch *w, struct wsock *ws)
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
	ws->last_ev = mask;
	ws->reg_report = !err;
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

/*
 * A connection the target accepted proves its listener was readable.  If
 * the target took it before we looked at our epoll (epoll reports the
 * state at the time of looking), say so, marked as inferred.
 */
static void missed_accepts(struct sv_watch *w, size_t first_new)
{
	size_t i, j;

	for (j = 0; j < w->nsocks; j++) {
		struct wsock *l = w->socks[j];

		if (!l->have || l->cur.state != SV_TCP_LISTEN)
			continue;
		for (i = first_new; i < w->nsocks; i++) {
			struct wsock *ws = w->socks[i];

			if (ws->family != l->family || ws->port != l->port ||
			    !ws->pending_open)
				continue;
			/* explained by an edge we saw, or one we missed */
			if (l->edges_unclaimed)
				l->edges_unclaimed--;
			else
				sv_watch_readiness(w, l, EPOLLIN, "inferred");
		}
	}
}

/* Reads the target's fd table: opens, closes, epoll interest. */
static int scan_fds(struct sv_watch *w)
{
	size_t i, first_new = w->nsocks;
	int err = sv_target_scan(w->pid, &w->scan);

	if (err)
		return err;
	w->scan_gen++;
	w->new_socks = 0;
	w->need_scan = false;
	w->last_scan_ns = sv_watch_now_ns();
	for (i = 0; i < w->scan.n; i++) {
		const struct sv_target_sock *t = &w->scan.socks[i];
		struct wsock *ws = find(w, t->inode);

		if (!ws) {
			ws = add_sock(w, t->inode, t->fd);
			if (!ws)
				return -ENOMEM;
			register_ready(w, ws);
			/* reported with its addresses once diag has it */
			ws->pending_open = w->first_scan_done;
			w->new_socks += ws->pending_open;
		}
		ws->fd = t->fd;
		ws->seen_scan = w->scan_gen;
	}
	if (w->new_socks && w->ready_ok)
		missed_accepts(w, first_new);
	for (i = w->nsocks; i-- > 0;) {
		struct wsock *ws = w->socks[i];

		if (ws->seen_scan == w->scan_gen)
			continue;
		/* gone before the kernel told us more: open, then close */
		if (ws->pending_open && !w->stopping)
			sv_watch_event_sock(w, "open", ws, NULL, NULL, NULL,
					    NULL, 0);
		if (!w->stopping)
			sv_watch_event_sock(w, "close", ws, NULL, NULL, NULL,
					    NULL, 0);
		remove_sock(w, i);
	}
	w->first_scan_done = true;
	return 0;
}

/* The kernel-side filter: local ports of the target's inet sockets, as
 * few ranges as fit one bytecode attribute. */

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

#define MAX_RANGES 3000

static void put_op(uint8_t *p, uint8_t code, uint8_t yes, uint16_t no)
{
	struct inet_diag_bc_op op = { code, yes, no };

	memcpy(p, &op, sizeof(op));
}

/*
 * Each range but the last: [S_GE lo][S_LE hi][JMP to the end]; a failed
 * test jumps to the next range, the last range's to past the end
 * (reject).  The kernel's audit follows the "yes" offsets, so those run
 * straight through every op, and JMP (always taking "no") does the
 * accepting jump.
 */
static int build_bytecode(struct sv_watch *w)
{
	uint16_t *ports = malloc((w->nsocks + 1) * sizeof(*ports));
	uint16_t lo[MAX_RANGES], hi[MAX_RANGES];
	size_t n = 0, nr = 0, i, len = 0, off = 0;
	uint8_t *bc;

	free(w->bytecode);
	w->bytecode = NULL;
	w->bytecode_len = 0;
	if (!ports)
		return -ENOMEM;
	for (i = 0; i < w->nsocks; i++) {
		struct wsock *ws = w->socks[i];

		if (ws->family == AF_INET || ws->family == AF_INET6)
			ports[n++] = ws->port;
	}
	qsort(ports, n, sizeof(*ports), cmp_u16);
	for (i = 0; i < n; i++) {
		if (nr && ports[i] <= hi[nr - 1] + 1) {
			hi[nr - 1] = ports[i];
			continue;
		}
		if (nr == MAX_RANGES) {
			/* over-approximate: widen the last range */
			hi[nr - 1] = ports[i];
			continue;
		}
		lo[nr] = hi[nr] = ports[i];
		nr++;
	}
	free(ports);
	if (!nr) {
		/* no inet socket: a filter nothing passes */
		lo[0] = 1;
		hi[0] = 0;
		nr = 1;
	}
	for (i = 0; i < nr; i++)
		len += 16 + (i + 1 < nr ? 4 : 0);
	bc = malloc(len);
	if (!bc)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		size_t rest = len - off;
		bool last = i + 1 == nr;
		size_t next = last ? rest + 4 : 20;

		put_op(bc + off, INET_DIAG_BC_S_GE, 8, (uint16_t)next);
		put_op(bc + off + 4, INET_DIAG_BC_NOP, 0, lo[i]);
		put_op(bc + off + 8, INET_DIAG_BC_S_LE, 8,
		       (uint16_t)(next - 8));
		put_op(bc + off + 12, INET_DIAG_BC_NOP, 0, hi[i]);
		if (!last)
			put_op(bc + off + 16, INET_DIAG_BC_JMP, 4,
			       (uint16_t)(rest - 16));
		off += last ? 16 : 20;
	}
	w->bytecode = bc;
	w->bytecode_len = len;
	return 0;
}

/* the tick */

static void next_phase(struct sv_watch *w);
static void start_tick(struct sv_watch *w);

static int on_diag_sock(struct sv_sock *s, void *arg)
{
	struct sv_watch *w = arg;
	struct wsock *ws = find(w, s->inode);
	int known;

	if (!ws || !(s->has & SV_HAS_INODE))
		return 0; /* another process's socket on a shared port */
	if (ws->seen_tick != w->tick_gen) {
		if (ws->have) {
			ws->prev = ws->cur;
			ws->prev.path = NULL; /* only cur's name is kept */
			ws->prev_ns = ws->cur_ns;
			ws->have_prev = true;
		}
	}
	ws->cur = *s;
	ws->cur.path = NULL;
	if (s->path && s->path_len) {
		size_t n = s->path_len < sizeof(ws->path) ? s->path_len
							  : sizeof(ws->path);

		memcpy(ws->path, s->path, n);
		ws->cur.path = ws->path;
		ws->cur.path_len = n;
	}
	ws->cur.interest = sv_target_interest(&w->scan, ws->inode, &known);
	if (known)
		ws->cur.has |= SV_HAS_INTEREST;
	ws->cur_ns = w->tick_ns;
	ws->have = true;
	ws->seen_tick = w->tick_gen;
	if (s->family == AF_INET || s->family == AF_INET6 ||
	    s->family == AF_UNIX)
		ws->family = s->family;
	if (s->has & SV_HAS_PORTS)
		ws->port = s->local.port;
	ws->proto = s->proto;
	return 0;
}

static void finish_tick(struct sv_watch *w)
{
	size_t i;

	w->tick_busy = false;
	if (!w->light)
		w->full_cost_ns = sv_watch_now_ns() - w->tick_ns;
	for (i = 0; i < w->nsocks && !w->stopping; i++) {
		struct wsock *ws = w->socks[i];

		/* found by a scan during this tick's dumps: its open waits
		 * for a tick that read it */
		if (ws->pending_open && ws->seen_tick == w->tick_gen) {
			ws->pending_open = false;
			sv_watch_event_sock(w, "open", ws, NULL, NULL, NULL,
					    NULL, 0);
		}
		if (ws->seen_tick != w->tick_gen) {
			if (w->light)
				continue; /* not asked for this tick */
			/* not found by any request: not a socket we can see,
			 * or one that is gone and whose fd number may now
			 * hold another: read that link again */
			if (w->full_dump && !ws->have)
				ws->family = SV_FAMILY_OTHER;
			if (ws->have) {
				sv_target_forget_fd(&w->scan, ws->fd);
				w->need_scan = true;
			}
			continue;
		}
		sv_watch_rates(ws);
		sv_watch_diff(w, ws);
	}
	if (!w->stopping)
		sv_watch_view_tick(w);
	if (w->tick_again && !w->stopping) {
		w->tick_again = false;
		start_tick(w);
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

static void next_phase(struct sv_watch *w)
{
	static const struct {
		uint8_t proto, family;
	} inet[] = {
		{ SV_PROTO_TCP, AF_INET },
		{ SV_PROTO_TCP, AF_INET6 },
		{ SV_PROTO_UDP, AF_INET },
		{ SV_PROTO_UDP, AF_INET6 },
	};

	if (w->light) {
		/* phases 0, 1: TCP and UDP on screen, exact; then UNIX */
		while (w->phase < 2) {
			int k = w->phase++;

			if (w->nexact[k] &&
			    sv_diag_begin_inet_exact(
				    w->diag, k ? SV_PROTO_UDP : SV_PROTO_TCP,
				    w->exact[k], w->nexact[k], on_diag_sock,
				    w) == 0)
				return;
		}
		w->phase = 4;
	}
	while (w->phase < 4) {
		if (!w->full_dump && !w->need_dump[w->phase]) {
			/* the target has no socket there: no table walk */
			w->phase++;
			continue;
		}
		struct sv_diag_req req = {
			.proto = inet[w->phase].proto,
			.family = inet[w->phase].family,
			/* not bound-inactive: asking for it makes the kernel
			 * walk its whole bind table as well */
			.states = SV_STATES_ALL &
				  ~SV_SF(SV_TCP_BOUND_INACTIVE),
			.bytecode = w->full_dump ? NULL : w->bytecode,
			.bytecode_len = w->full_dump ? 0 : w->bytecode_len,
		};

		w->phase++;
		if (sv_diag_begin(w->diag, &req, on_diag_sock, w) == 0)
			return;
	}
	if (w->phase == 4) {
		if (begin_unix(w))
			return;
		w->phase = 5;
	}
	finish_tick(w);
}

/*
 * Reading /proc/PID/fd costs a dentry lookup per descriptor: with 16,000
 * sockets that is most of a tick.  A large table is read once a second,
 * and at once when a socket left the kernel's replies or a listener got a
 * connection; a small one every tick.
 */
#define SCAN_EVERY_TICK_MAX 1024

/*
 * How often everything is read when not every tick: at least once a
 * second, and no more often than keeps that work to a twentieth of the
 * time (a pass over 16,000 sockets among 120,000 takes the kernel about
 * 150 ms), at most every 10 s.
 */
static uint64_t full_period_ns(const struct sv_watch *w)
{
	uint64_t p = w->interval_ms < 1000 ? 1000000000ull
					   : w->interval_ms * 1000000ull;

	if (20 * w->full_cost_ns > p)
		p = 20 * w->full_cost_ns;
	return p < 10000000000ull ? p : 10000000000ull;
}

/*
 * In a terminal only the rows on screen need fresh numbers every tick:
 * they are read with exact requests (a hash lookup each), and everything
 * else once a second with dumps, which walk the kernel's whole socket
 * table.  Readiness events come from epoll and are never delayed.
 */
#define LIGHT_MIN_SOCKETS 256

static void plan_light_tick(struct sv_watch *w)
{
	uint64_t now = sv_watch_now_ns();
	uint64_t period = full_period_ns(w);
	struct wsock **v;
	size_t rows, i, k;

	w->light = false;
	w->unix_ready = false;
	if (w->mode != SV_WATCH_TERM || w->nsocks <= LIGHT_MIN_SOCKETS ||
	    w->need_scan || w->full_dump || now - w->last_full_ns >= period)
		return;
	for (i = 0; i < w->nsocks; i++)
		if (!w->socks[i]->have)
			return; /* something new: read it all */
	v = sv_watch_ordered(w);
	if (!v)
		return;
	rows = sv_watch_table_rows();
	for (k = 0; k < 2; k++) {
		free(w->exact[k]);
		w->exact[k] = malloc((rows + 1) * sizeof(*w->exact[k]));
		w->nexact[k] = 0;
	}
	free(w->unix_q);
	w->unix_q = malloc((rows + 1) * sizeof(*w->unix_q));
	w->unix_n = 0;
	if (!w->exact[0] || !w->exact[1] || !w->unix_q) {
		free(v);
		return;
	}
	for (i = 0; i < w->nsocks && i < rows; i++) {
		const struct sv_sock *s = &v[i]->cur;

		if (s->proto == SV_PROTO_TCP || s->proto == SV_PROTO_UDP) {
			k = s->proto == SV_PROTO_UDP;
			w->exact[k][w->nexact[k]++] = s;
		} else if (s->proto == SV_PROTO_UNIX &&
			   v[i]->inode <= UINT32_MAX) {
			w->unix_q[w->unix_n++] = v[i]->inode;
		}
	}
	free(v);
	w->unix_ready = true;
	w->light = true;
}

static bool scan_due(struct sv_watch *w)
{
	uint64_t now = sv_watch_now_ns();

	if (!w->first_scan_done || w->need_scan ||
	    w->scan.n <= SCAN_EVERY_TICK_MAX || w->mode != SV_WATCH_TERM ||
	    now - w->last_scan_ns >= full_period_ns(w))
		return true;
	return false;
}

static void start_tick(struct sv_watch *w)
{
	size_t i;
	int err;

	if (w->tick_busy || w->stopping)
		return;
	if (scan_due(w)) {
		err = scan_fds(w);
		if (err == -ESRCH) {
			/* gone: the pidfd reports the exit, if there is one */
			if (w->ready.pidfd < 0) {
				sv_watch_event_exit(w);
				stop(w);
			}
			return;
		}
		if (err) {
			sv_warn("cannot read the descriptors of pid %d: %s",
				w->pid, strerror(-err));
			return;
		}
	}
	/* a socket we know nothing of yet needs a dump without filter */
	w->full_dump = false;
	memset(w->need_dump, 0, sizeof(w->need_dump));
	for (i = 0; i < w->nsocks; i++) {
		const struct wsock *ws = w->socks[i];
		int v6 = ws->family == AF_INET6;

		if (!ws->family)
			w->full_dump = true;
		if (ws->family != AF_INET && ws->family != AF_INET6)
			continue;
		if (ws->proto != SV_PROTO_UDP)
			w->need_dump[v6] = true;
		if (ws->proto != SV_PROTO_TCP)
			w->need_dump[2 + v6] = true;
	}
	plan_light_tick(w);
	if (!w->light && !w->full_dump && build_bytecode(w))
		w->full_dump = true;
	w->tick_gen++;
	w->tick_ns = sv_watch_now_ns();
	if (!w->light)
		w->last_full_ns = w->tick_ns;
	w->tick_busy = true;
	w->phase = 0;
	w->unix_off = 0;
	next_phase(w);
}

/* callbacks */

static void on_tick(uv_timer_t *t)
{
	start_tick(t->data);
}

/* After a listener's edge the target accepts on its next loop turn: look
 * at its fd table 1, 4 and 16 ms later. */
static void on_rescan(uv_timer_t *t)
{
	struct sv_watch *w = t->data;

	if (!w->stopping && scan_fds(w) == 0 && w->new_socks) {
		/* new sockets: read them now rather than at the next tick */
		if (w->tick_busy)
			w->tick_again = true;
		else
			start_tick(w);
	}
	if (++w->rescans < 3)
		uv_timer_start(&w->rescan_timer, on_rescan, 4u << (2 * (w->rescans - 1)), 0);
}

static void on_stop_timer(uv_timer_t *t)
{
	stop(t->data);
}

static void on_diag(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;
	int r;

	(void)events;
	w->wakeups++;
	if (status < 0 || !w->tick_busy)
		return;
	r = sv_diag_step(w->diag);
	if (r == 1)
		return;
	if (r < 0) {
		sv_warn("sock_diag: %s", strerror(-r));
		w->tick_busy = false;
		return;
	}
	next_phase(w);
}

/* At the last reply, was the send buffer at least half full? */
static bool send_buffer_filling(const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;

	return ws->have && s->skmem_n > SK_MEMINFO_WMEM_QUEUED &&
	       2ull * s->skmem[SK_MEMINFO_WMEM_QUEUED] >=
		       s->skmem[SK_MEMINFO_SNDBUF];
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
static void on_wakeup(struct sv_watch *w, struct wsock *ws, uint32_t ev)
{
	uint32_t fresh = ev & ~ws->last_ev, out = 0;
	bool consumed = false;

	if (ws->reg_report) {
		ws->reg_report = false;
		ws->last_ev = ev;
		sv_watch_readiness(w, ws,
				   ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
					 EPOLLERR | EPOLLPRI),
				   "epoll");
		return;
	}
	if (ev & EPOLLIN) {
		if (!(fresh & EPOLLOUT) || (fresh & EPOLLIN))
			out |= EPOLLIN;
		if (fresh & EPOLLOUT)
			out |= EPOLLOUT;
	} else if ((ev & EPOLLOUT) &&
		   ((fresh & EPOLLOUT) || send_buffer_filling(ws))) {
		out |= EPOLLOUT;
	} else if (!(fresh & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))) {
		consumed = true;
	}
	out |= fresh & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI);
	ws->last_ev = ev;
	sv_watch_readiness(w, ws, out, "epoll");
	if (consumed)
		sv_watch_readiness(w, ws, EPOLLIN, "inferred");
}

static void rescan_soon(struct sv_watch *w);

static void on_edge(uint64_t inode, uint32_t ev, void *arg)
{
	struct sv_watch *w = arg;
	struct wsock *ws = find(w, inode);

	if (!ws || w->stopping)
		return;
	on_wakeup(w, ws, ev);
	if ((ev & EPOLLIN) && ws->have && ws->cur.state == SV_TCP_LISTEN)
		ws->edges_unclaimed = 1;
	/* a readable listener: the accepted socket shows up at once */
	if ((ev & EPOLLIN) && ws->have && ws->cur.state == SV_TCP_LISTEN)
		rescan_soon(w);
}

static void rescan_soon(struct sv_watch *w)
{
	w->rescans = 0;
	uv_timer_start(&w->rescan_timer, on_rescan, 1, 0);
}

static void on_ready(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)events;
	w->wakeups++;
	/* Woken with nothing to harvest: the target consumed the edge first
	 * (epoll re-checks the state); a listener's shows as a new socket. */
	if (status >= 0 && sv_ready_drain(&w->ready, on_edge, w) == 0)
		rescan_soon(w);
}

static void on_target_exit(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)status;
	(void)events;
	w->wakeups++;
	if (w->stopping)
		return;
	/* the last edges first: they happened before the exit */
	if (w->ready_ok)
		sv_ready_drain(&w->ready, on_edge, w);
	sv_watch_event_exit(w);
	stop(w);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct sv_watch *w = s->data;

	if (signum == SIGWINCH) {
		if (w->mode == SV_WATCH_TERM)
			sv_watch_view_tick(w);
		return;
	}
	stop(w);
}

static void on_check(uv_check_t *c)
{
	struct sv_watch *w = c->data;

	w->iterations++;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char keys[64];

	(void)h;
	(void)size;
	*buf = uv_buf_init(keys, sizeof(keys));
}

static void on_key(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct sv_watch *w = s->data;
	ssize_t i;

	for (i = 0; i < n; i++) {
		if (buf->base[i] == 'q' || buf->base[i] == 3 /* ^C */) {
			stop(w);
		} else if (buf->base[i] == 's') {
			w->sort = (w->sort + 1) % 5;
			sv_watch_view_tick(w);
		}
	}
}

/* setup */

static int open_diag_in_netns(struct sv_watch *w)
{
	char path[64];
	int self, target, err;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", w->pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (target < 0 || self < 0 || w->netns == 0) {
		if (target >= 0)
			close(target);
		if (self >= 0)
			close(self);
		return sv_diag_open(&w->diag);
	}
	/* a netlink socket answers for the namespace it was made in */
	if (setns(target, CLONE_NEWNET) < 0) {
		err = -errno;
		close(target);
		close(self);
		/* same namespace as ours needs no switch */
		if (err == -EPERM || err == -EINVAL)
			return sv_diag_open(&w->diag);
		return err;
	}
	err = sv_diag_open(&w->diag);
	if (setns(self, CLONE_NEWNET) < 0)
		sv_die("cannot return to our own network namespace: %s",
		       strerror(errno));
	close(target);
	close(self);
	return err;
}

static void init_handles(struct sv_watch *w)
{
	w->tick_timer.data = w->rescan_timer.data = w->stop_timer.data = w;
	uv_timer_init(w->loop, &w->tick_timer);
	uv_timer_init(w->loop, &w->rescan_timer);
	uv_timer_init(w->loop, &w->stop_timer);
	uv_poll_init(w->loop, &w->diag_poll, sv_diag_fd(w->diag));
	w->diag_poll.data = w;
	uv_poll_start(&w->diag_poll, UV_READABLE, on_diag);
	if (w->ready.pidfd >= 0) {
		uv_poll_init(w->loop, &w->pidfd_poll, w->ready.pidfd);
		w->pidfd_poll.data = w;
		uv_poll_start(&w->pidfd_poll, UV_READABLE, on_target_exit);
		uv_poll_init(w->loop, &w->ready_poll, w->ready.epfd);
		w->ready_poll.data = w;
		uv_poll_start(&w->ready_poll, UV_READABLE, on_ready);
	}
	uv_signal_init(w->loop, &w->sigint);
	uv_signal_init(w->loop, &w->sigterm);
	uv_signal_init(w->loop, &w->sigwinch);
	w->sigint.data = w->sigterm.data = w->sigwinch.data = w;
	uv_signal_start(&w->sigint, on_signal, SIGINT);
	uv_signal_start(&w->sigterm, on_signal, SIGTERM);
	uv_signal_start(&w->sigwinch, on_signal, SIGWINCH);
	uv_check_init(w->loop, &w->check);
	w->check.data = w;
	uv_check_start(&w->check, on_check);
	if (w->mode == SV_WATCH_TERM && isatty(STDIN_FILENO) &&
	    uv_tty_init(w->loop, &w->tty_in, STDIN_FILENO, 1) == 0) {
		w->tty_in.data = w;
		w->tty_in_on = true;
		uv_tty_set_mode(&w->tty_in, UV_TTY_MODE_RAW);
		uv_read_start((uv_stream_t *)&w->tty_in, on_alloc, on_key);
	}
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, close_cb);
}

static unsigned threadpool_size(void)
{
	const char *e = getenv("UV_THREADPOOL_SIZE");
	uint64_t v;

	if (e && sv_parse_u64(e, 1, 1024, &v) == 0)
		return (unsigned)v;
	return 4; /* libuv's default */
}

int sv_cmd_watch(int argc, char **argv)
{
	static struct sv_watch w;
	int err;

	w.mode = isatty(STDOUT_FILENO) ? SV_WATCH_TERM : SV_WATCH_PLAIN;
	parse_opts(argc, argv, &w);
	sv_out_init(&w.out, STDOUT_FILENO);

	err = sv_target_info(w.pid, w.comm, sizeof(w.comm), &w.netns);
	if (err == -ESRCH)
		sv_die("no process with pid %d", w.pid);
	if (err)
		sv_die("cannot inspect process %d: %s", w.pid, strerror(-err));
	err = sv_target_scan(w.pid, &w.scan);
	if (err == -ESRCH)
		sv_die("no process with pid %d", w.pid);
	if (err)
		sv_die("cannot inspect process %d: %s (its /proc/%d/fd is not "
		       "readable: the process belongs to another user or is not "
		       "dumpable; watching it needs root or ptrace permission)",
		       w.pid, strerror(-err), w.pid);
	err = sv_ready_open(&w.ready, w.pid);
	w.ready_ok = err == 0;
	if (err == -ENOSYS) {
		/* kernels before 5.3 (or valgrind) know no pidfd */
		fprintf(stderr, "sockview: note: no pidfd_open here (%s); "
				"readiness is inferred from queue changes\n",
			strerror(-err));
	} else if (err) {
		sv_die("cannot open a pidfd for process %d: %s", w.pid,
		       strerror(-err));
	}
	err = open_diag_in_netns(&w);
	if (err)
		sv_die("cannot open a sock_diag socket in the network namespace "
		       "of pid %d: %s",
		       w.pid, strerror(-err));
	err = sv_diag_set_nonblock(w.diag);
	if (err)
		sv_die("sock_diag: %s", strerror(-err));
	/* the target's listeners are the ones that matter for its sockets */
	sv_diag_learn_listeners_inline(w.diag);

	w.threadpool = threadpool_size();
	if (!w.numeric && sv_resolver_new(&w.names, 0, 0))
		w.names = NULL;
	w.loop = uv_default_loop();
	init_handles(&w);
	sv_watch_view_begin(&w);

	start_tick(&w);
	uv_timer_start(&w.tick_timer, on_tick, w.interval_ms, w.interval_ms);
	if (w.duration > 0)
		uv_timer_start(&w.stop_timer, on_stop_timer,
			       (uint64_t)(w.duration * 1000 + 0.5), 0);
	if (!w.stopping)
		uv_run(w.loop, UV_RUN_DEFAULT);

	if (w.tty_in_on)
		uv_tty_reset_mode();
	sv_watch_view_end(&w);
	sv_out_flush(&w.out);
	if (w.names && sv_resolver_pending(w.names)) {
		/* lookups still in the threadpool: libuv would join them */
		_exit(w.exit_code);
	}
	uv_walk(w.loop, close_all, NULL);
	uv_run(w.loop, UV_RUN_DEFAULT);
	uv_loop_close(w.loop);
	sv_ready_close(&w.ready);
	sv_diag_close(w.diag);
	sv_target_scan_free(&w.scan);
	sv_resolver_free(w.names);
	while (w.nsocks)
		remove_sock(&w, w.nsocks - 1);
	free(w.socks);
	sv_imap_free(&w.by_inode);
	free(w.bytecode);
	free(w.unix_q);
	free(w.exact[0]);
	free(w.exact[1]);
	return w.exit_code;
}
