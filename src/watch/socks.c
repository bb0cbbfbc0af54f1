// SPDX-License-Identifier: MIT
/*
 * The target's sockets as watch follows them: one wsock per socket
 * inode, found and lost by reading the target's fd table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>

#include "core/util.h"
#include "watch/watch.h"

struct wsock *sv_watch_find(struct sv_watch *w, uint64_t inode)
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
	w->maybe_unread = true;
	return ws;
}

/* The header's count of sockets by state: those with a reply. */
void sv_watch_count_state(struct sv_watch *w, const struct wsock *ws, int d)
{
	unsigned st = ws->cur.state;

	if (!ws->have || st >= SV_TCP_MAX_STATES)
		return;
	w->state_count[st] += (uint32_t)d;
}

static void remove_sock(struct sv_watch *w, size_t i)
{
	struct wsock *ws = w->socks[i];

	sv_watch_count_state(w, ws, -1);
	sv_imap_del(&w->by_inode, ws->inode);
	if (ws->cookie_known)
		sv_imap_del(&w->by_cookie, ws->cur.cookie);
	free(ws);
	w->socks[i] = w->socks[--w->nsocks];
	if (i < w->nsocks) {
		ws = w->socks[i];
		sv_imap_put(&w->by_inode, ws->inode, (uint32_t)i);
		if (ws->cookie_known)
			sv_imap_put(&w->by_cookie, ws->cur.cookie, (uint32_t)i);
	}
}

void sv_watch_cookie(struct sv_watch *w, struct wsock *ws)
{
	uint32_t i;

	if (ws->cookie_known || !(ws->cur.has & SV_HAS_COOKIE) ||
	    !ws->cur.cookie || !sv_imap_get(&w->by_inode, ws->inode, &i))
		return;
	if (sv_imap_put(&w->by_cookie, ws->cur.cookie, i) == 0)
		ws->cookie_known = true;
}

static void remember_cookie(struct sv_watch *w, uint64_t cookie)
{
	size_t i = w->gone_cookie_next;
	uint64_t old = w->gone_cookie[i];
	uint32_t at;

	if (old && sv_imap_get(&w->gone_by_cookie, old, &at) && at == i)
		sv_imap_del(&w->gone_by_cookie, old);
	w->gone_cookie[i] = cookie;
	w->gone_cookie_next = (i + 1) % SV_WATCH_GONE_COOKIES;
	if (sv_imap_put(&w->gone_by_cookie, cookie, (uint32_t)i))
		w->gone_cookie[i] = 0;
}

/* What a destroy message of a socket we already closed will match. */
static void remember_gone(struct sv_watch *w, const struct wsock *ws)
{
	struct sv_watch_gone *g;
	const struct sv_sock *s = &ws->cur;

	if (!ws->have && !ws->named)
		return;
	if (ws->cookie_known || ((s->has & SV_HAS_COOKIE) && s->cookie)) {
		remember_cookie(w, s->cookie);
		return;
	}
	if (!(s->has & SV_HAS_PORTS))
		return;
	g = &w->gone[w->gone_next];
	w->gone_next = (w->gone_next + 1) % (sizeof(w->gone) / sizeof(*g));
	memset(g, 0, sizeof(*g));
	g->family = s->family;
	g->port = s->local.port;
	g->peer_port = s->peer.port;
	memcpy(g->peer, s->peer.addr, 16);
}

static bool is_gone(const struct sv_watch *w, const struct sv_sock *s)
{
	size_t i;
	uint32_t at;

	if (s->cookie && sv_imap_get(&w->gone_by_cookie, s->cookie, &at))
		return true;
	for (i = 0; i < sizeof(w->gone) / sizeof(w->gone[0]); i++) {
		const struct sv_watch_gone *g = &w->gone[i];

		if (g->family && g->family == s->family &&
		    g->port == s->local.port && g->peer_port == s->peer.port &&
		    !memcmp(g->peer, s->peer.addr, 16))
			return true;
	}
	return false;
}

bool sv_watch_gone_cookie(const struct sv_watch *w, uint64_t cookie)
{
	uint32_t at;

	return cookie && sv_imap_get(&w->gone_by_cookie, cookie, &at);
}

void sv_watch_forget(struct sv_watch *w, struct wsock *ws)
{
	uint32_t i;

	if (ws->closing && w->closings)
		w->closings--;
	sv_watch_release_sock_edges(w, ws);
	if (sv_imap_get(&w->by_inode, ws->inode, &i))
		remove_sock(w, i);
}

/*
 * A destroyed socket's last tcp_info says whether bytes came that no
 * wakeup of ours showed (it lived between two looks, or its data came
 * and went between our last look and its close): a readable, inferred,
 * at the time the kernel says the data came.
 */
static void unseen_data(struct sv_watch *w, struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;
	/* "ms ago" from when the record came */
	uint64_t ms, now = w->destroy_ns ? w->destroy_ns : sv_watch_now_ns();
	struct sv_edge e = {
		.bit = EPOLLIN,
		.source = SV_EDGE_INFERRED,
		.interest = -1,
		.kernel_time = true,
	};
	uint64_t seen = ws->edge.rx_known ? ws->edge.rx_bytes : 0;

	/* bytes_received counts the peer's FIN as one byte: one more byte
	 * than a wakeup showed, with no end of file reported, is that FIN
	 * (a lone unseen byte of data is taken for it too) */
	if (!ws->edge.eof)
		seen++;
	/* its counters went unread while its edges were summed: epoll's
	 * readables stand for those bytes, none is known to be unseen */
	if (ws->edge.rx_skipped || s->proto != SV_PROTO_TCP ||
	    s->tcpi_len < offsetof(struct sv_tcp_info, bytes_received) +
				  sizeof(s->tcpi.bytes_received) ||
	    s->tcpi.bytes_received <= seen)
		return;
	ms = s->tcpi.last_data_recv;
	e.time_ns = sv_edges_ago(now, (uint32_t)ms);
	sv_watch_edges(w, ws, &e, 1);
}

void sv_watch_announce(struct sv_watch *w, struct wsock *ws, uint64_t time_ns,
		       bool fd_time)
{
	struct sv_watch_ev open = {
		.event = "open",
		.ws = ws,
		.interest = -1,
		.time_ns = time_ns,
		.fd_time = fd_time,
	};

	ws->pending_open = false;
	sv_watch_emit(w, &open);
	/* what was there when we registered it */
	sv_watch_edges(w, ws, ws->reg_edges, ws->nreg_edges);
	ws->nreg_edges = 0;
}

void sv_watch_closed(struct sv_watch *w, struct wsock *ws, const char *source)
{
	/* held for its destroy message: said at the times the fd table
	 * showed it, and saying so */
	struct sv_watch_ev close = {
		.event = "close",
		.ws = ws,
		.source = source,
		.interest = -1,
		.final = source != NULL,
		.time_ns = ws->fd_gone_ns ? ws->fd_gone_ns
			   : source	  ? w->destroy_ns
					  : 0,
		.fd_time = ws->fd_gone_ns != 0,
	};
	uint32_t i;

	if (!w->stopping && !ws->absorbed) {
		/* gone before a tick read it: open, then close */
		if (ws->pending_open)
			sv_watch_announce(w, ws,
					  ws->fd_gone_ns ? ws->found_ns : 0,
					  ws->fd_gone_ns != 0);
		sv_watch_fin_unseen(w, ws);
		if (source)
			unseen_data(w, ws);
		sv_watch_release_sock_edges(w, ws);
		sv_watch_emit(w, &close);
	}
	if (ws->closing && w->closings)
		w->closings--;
	remember_gone(w, ws);
	/* its number may hold a new socket already: the next look reads
	 * that link even when the table is large */
	if (ws->fd >= 0) {
		if (w->nfreed_fds < SV_WATCH_FREED_FDS)
			w->freed_fds[w->nfreed_fds++] = ws->fd;
		else
			w->links_all = true; /* too many: read them all */
		w->need_scan = true;
	}
	if (sv_imap_get(&w->by_inode, ws->inode, &i))
		remove_sock(w, i);
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

			/* all found by this scan (the first scan's are no
			 * accepts: missed_accepts does not run for it) */
			if (ws->family != l->family || ws->port != l->port)
				continue;
			/* explained by an edge we saw, or one we missed */
			if (l->edges_unclaimed)
				l->edges_unclaimed--;
			else
				sv_watch_readiness(w, l, EPOLLIN, "inferred");
		}
	}
}

static void read_destroyed(struct sv_watch *w);

/*
 * A connection whose peer's name we never learnt (it was closed by the
 * time we found it) left the fd table: its destroy message has the
 * addresses and final record and is on its way, late by up to a few
 * hundred milliseconds on a busy machine.  Its close waits for it, at
 * most DESTROY_WAIT_MS, and is stamped when the fd table showed it.
 */
#define DESTROY_WAIT_MS 500

/*
 * A socket gone before we could duplicate it (its number closed or
 * reused): we never learnt what it was, and its destroy message, which
 * has its addresses, names neither its inode nor a cookie we know.  On a
 * listening target it is nearly always a connection accepted and closed
 * between two looks, which that message reports on its own (source
 * destroy).  So one such message within DESTROY_WAIT_MS, before or after,
 * stands for one such socket, which is then not reported a second time.
 */
static bool nameless(const struct sv_watch *w, const struct wsock *ws)
{
	return ws->dup_failed && !ws->have && !ws->named &&
	       w->destroy_fd >= 0 && !w->destroy_overrun;
}

static bool claim_destroyed(struct sv_watch *w)
{
	uint64_t now = sv_watch_mono_ns();

	while (w->nunclaimed) {
		uint64_t t = w->unclaimed[w->unclaimed_first];

		w->unclaimed_first = (w->unclaimed_first + 1) %
				     SV_WATCH_UNCLAIMED;
		w->nunclaimed--;
		if (now - t < DESTROY_WAIT_MS * 1000000ull)
			return true;
	}
	return false;
}

/* A destroy-only connection: a nameless socket held for it is it. */
static void destroyed_unseen(struct sv_watch *w)
{
	size_t i;

	for (i = 0; i < w->nsocks; i++) {
		struct wsock *ws = w->socks[i];

		if (ws->fd_gone_mono && nameless(w, ws) && !ws->absorbed) {
			ws->absorbed = true;
			sv_watch_closed(w, ws, NULL);
			return;
		}
	}
	if (w->nunclaimed == SV_WATCH_UNCLAIMED)
		claim_destroyed(w); /* the oldest goes */
	w->unclaimed[(w->unclaimed_first + w->nunclaimed++) %
		     SV_WATCH_UNCLAIMED] = sv_watch_mono_ns();
}

/*
 * A TCP socket whose fd was closed (or its number reused) before we could
 * duplicate it, but which a reply named: no wakeup of ours ever showed
 * what it received.  Its destroy message, which its cookie matches, has
 * the final count: its close waits for it like an unnamed peer's.
 */
static bool never_read(const struct wsock *ws)
{
	return ws->dup_failed && ws->have && ws->cur.proto == SV_PROTO_TCP &&
	       !ws->edge.rx_known;
}

/*
 * A TCP connection whose fd left the table before a wakeup of ours showed
 * its peer's FIN: bytes may have come that no wakeup showed.  The target
 * read them and closed before our thread took that wakeup, which then
 * went with the socket (while edges are summed the thread waits BATCH_MS
 * between takes; one request of 2,000 in a run was lost so).  Its destroy
 * message's final count says: its close waits for it too.
 */
static bool bytes_unsettled(const struct wsock *ws)
{
	return ws->cur.proto == SV_PROTO_TCP &&
	       ws->cur.state != SV_TCP_LISTEN && ws->edge.rx_known &&
	       !ws->edge.eof;
}

bool sv_watch_close_later(struct sv_watch *w, struct wsock *ws)
{
	uint64_t now = sv_watch_mono_ns();
	bool unnamed = nameless(w, ws);

	if (w->stopping || ws->absorbed)
		return false;
	if (unnamed && claim_destroyed(w)) {
		ws->absorbed = true;
		return false;
	}
	if (!unnamed && ((!ws->peer_unknown && !never_read(ws) &&
			  !bytes_unsettled(ws)) ||
			 w->destroy_fd < 0 || !ws->cookie_known ||
			 w->destroy_overrun))
		return false;
	if (!ws->fd_gone_mono) {
		ws->fd_gone_mono = now;
		ws->fd_gone_ns = sv_watch_now_ns();
		if (!ws->closing) {
			ws->closing = true;
			w->closings++;
		}
		return true;
	}
	return now - ws->fd_gone_mono < DESTROY_WAIT_MS * 1000000ull;
}

/*
 * Which links a look between two reads of the whole table reads again: a
 * socket that hung up (the target is about to close it), one with edges
 * since its last reply (a target closes busy sockets), one not read or
 * named yet, one that left the kernel's replies.  Any other number is
 * taken to hold what it held; numbers the last scan did not have are
 * read anyway.
 */
static bool recheck_link(const struct wsock *ws)
{
	return ws->closing || (ws->touched && ws->have) || ws->unnamed ||
	       ws->recheck || (!ws->have && !ws->named);
}

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return (a > b) - (a < b);
}

uint64_t sv_watch_edge_activity(const struct sv_watch *w)
{
	return w->drains + w->wakeups - w->diag_wakeups;
}

/*
 * The sockets a look reads again.  A look can come every few
 * milliseconds for seconds (a hangup of a socket the target keeps): the
 * walk over 16,000 sockets that finds them is done again only when
 * something could have changed the answer, a wakeup, a tick's replies
 * or a scan.
 */
static void find_suspects(struct sv_watch *w)
{
	uint64_t key[4] = { sv_watch_edge_activity(w), w->tick_gen,
			    w->scan_gen, w->nsocks };
	size_t i;

	if (w->susp_valid && !memcmp(key, w->susp_key, sizeof(key)))
		return;
	memcpy(w->susp_key, key, sizeof(key));
	w->susp_valid = false;
	w->nsusp = 0;
	for (i = 0; i < w->nsocks; i++) {
		const struct wsock *ws = w->socks[i];

		if (!recheck_link(ws))
			continue;
		if (sv_grow((void **)&w->susp, &w->capsusp, w->nsusp + 1,
			    sizeof(*w->susp)))
			return;
		w->susp[w->nsusp].fd = ws->fd;
		w->susp[w->nsusp++].inode = ws->inode;
	}
	w->susp_valid = true;
}

/* NULL (every link) or the sorted numbers a look reads again. */
static int *recheck_fds(struct sv_watch *w, size_t *n)
{
	int *v;
	size_t i;

	*n = 0;
	if (!w->first_scan_done || w->links_all ||
	    w->scan.n <= SV_WATCH_LINKS_ALL_MAX)
		return NULL;
	find_suspects(w);
	if (!w->susp_valid)
		return NULL;
	v = malloc((w->nsusp + w->nfreed_fds + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < w->nsusp; i++)
		v[(*n)++] = w->susp[i].fd;
	for (i = 0; i < w->nfreed_fds; i++)
		v[(*n)++] = w->freed_fds[i];
	qsort(v, *n, sizeof(*v), cmp_int);
	return v;
}

/* A look that found the table as it was: the few things a look does
 * besides finding opens and closes, for the sockets it asked about (the
 * unnamed and those holding a hangup are among them). */
static void scan_unchanged(struct sv_watch *w)
{
	size_t i;

	for (i = 0; i < w->nsusp && !w->stopping; i++) {
		struct wsock *ws = sv_watch_find(w, w->susp[i].inode);

		if (!ws)
			continue;
		ws->recheck = false;
		if (ws->unnamed)
			sv_watch_rename(w, ws);
		if (ws->nheld_hup)
			sv_watch_release_hangups(w, ws);
	}
}

/* Reads the target's fd table: opens, closes, epoll interest. */
int sv_watch_scan_fds(struct sv_watch *w)
{
	size_t i, first_new = w->nsocks, nre = 0;
	int *re, err = 0;

	/* the wakeups that came before the closes it may find: said first,
	 * and with their socket still known */
	sv_watch_drain_ready(w);
	re = w->scan_fresh ? NULL : recheck_fds(w, &nre);

	/* the scan made at startup (to check we may look) is the first */
	if (!w->scan_fresh)
		err = sv_target_scan(w->pid, &w->scan, re, nre);
	free(re);
	w->nfreed_fds = 0;
	w->scan_fresh = false;
	w->links_all = false;
	if (err)
		return err;
	w->new_socks = 0;
	w->need_scan = false;
	if (!re)
		w->last_scan_ns = sv_watch_mono_ns();
	if (w->scan.unchanged) {
		scan_unchanged(w);
		return 0;
	}
	w->scan_gen++;
	for (i = 0; i < w->nsocks; i++)
		w->socks[i]->recheck = false;
	for (i = 0; i < w->scan.n; i++) {
		const struct sv_target_sock *t = &w->scan.socks[i];
		struct wsock *ws = sv_watch_find(w, t->inode);

		if (!ws) {
			ws = add_sock(w, t->inode, t->fd);
			if (!ws)
				return -ENOMEM;
			ws->found_ns = sv_watch_now_ns();
			sv_watch_register(w, ws);
			w->new_socks += w->first_scan_done;
			/* reported at once with the names it gave, or with
			 * its addresses once diag has it */
			ws->pending_open = w->first_scan_done;
		} else if (ws->unnamed) {
			sv_watch_rename(w, ws);
		}
		ws->fd = t->fd;
		ws->seen_scan = w->scan_gen;
	}
	for (i = first_new; i < w->nsocks && !w->stopping; i++) {
		struct wsock *ws = w->socks[i];

		if (ws->pending_open && ws->named && !ws->peer_unknown)
			sv_watch_announce(w, ws, ws->found_ns, false);
		if (!ws->pending_open && ws->nreg_edges) {
			sv_watch_edges(w, ws, ws->reg_edges, ws->nreg_edges);
			ws->nreg_edges = 0;
		}
	}
	/* after the opens, stamped when found: times never go back */
	if (w->new_socks && w->ready_ok)
		missed_accepts(w, first_new);
	for (i = 0; i < w->nsocks; i++)
		if (w->socks[i]->seen_scan != w->scan_gen)
			break;
	/* closes the kernel reported already come with their final
	 * record (and a peer's name the fd table no longer gives) */
	if (i < w->nsocks)
		read_destroyed(w);
	for (i = w->nsocks; i-- > 0;) {
		struct wsock *ws = w->socks[i];

		if (ws->seen_scan != w->scan_gen && !sv_watch_close_later(w, ws))
			sv_watch_closed(w, ws, NULL);
		else if (ws->nheld_hup)
			sv_watch_release_hangups(w, ws);
	}
	w->first_scan_done = true;
	return 0;
}

void sv_watch_socks_free(struct sv_watch *w)
{
	while (w->nsocks)
		remove_sock(w, w->nsocks - 1);
	free(w->socks);
	w->socks = NULL;
	sv_imap_free(&w->by_inode);
	sv_imap_free(&w->by_cookie);
	sv_imap_free(&w->gone_by_cookie);
	free(w->tick_read);
	w->tick_read = NULL;
	free(w->susp);
	w->susp = NULL;
	free(w->top);
	w->top = NULL;
}

/*
 * sock_diag's destroy groups report every TCP and UDP socket of the
 * namespace as the kernel frees it, with its last tcp_info; the inode is
 * gone by then (0), the cookie is not.  A socket of ours: its close, with
 * that record.  One we never saw whose local port is one of the target's
 * listeners: a connection it accepted and closed between two looks.
 */
static struct wsock *listener_of(struct sv_watch *w, const struct sv_sock *s)
{
	static const uint8_t any[16];
	size_t i, alen = s->family == AF_INET ? 4 : 16;

	if (s->proto != SV_PROTO_TCP || !(s->has & SV_HAS_PORTS))
		return NULL;
	for (i = 0; i < w->nsocks; i++) {
		struct wsock *l = w->socks[i];
		const struct sv_sock *ls = &l->cur;

		if ((!l->have && !l->named) || ls->state != SV_TCP_LISTEN ||
		    ls->local.port != s->local.port)
			continue;
		/* a wildcard listener takes both families (unless v6only) */
		if (!memcmp(ls->local.addr, any, 16) ||
		    (ls->family == s->family &&
		     !memcmp(ls->local.addr, s->local.addr, alen)))
			return l;
	}
	return NULL;
}

/* A socket we know by its names only (no diag reply yet) */
static struct wsock *by_names(struct sv_watch *w, const struct sv_sock *s)
{
	size_t i;

	for (i = 0; i < w->nsocks; i++) {
		struct wsock *ws = w->socks[i];
		const struct sv_sock *k = &ws->cur;

		if (ws->named && !ws->have && k->family == s->family &&
		    k->proto == s->proto && k->local.port == s->local.port &&
		    k->peer.port == s->peer.port &&
		    !memcmp(k->peer.addr, s->peer.addr, 16))
			return ws;
	}
	return NULL;
}

static int on_destroyed(struct sv_sock *s, void *arg)
{
	struct sv_watch *w = arg;
	struct wsock *ws = NULL, tmp;
	uint32_t i;

	if (w->stopping)
		return 0;
	sv_watch_destroy_arrived(w);
	if (s->cookie && sv_imap_get(&w->by_cookie, s->cookie, &i))
		ws = w->socks[i];
	if (!ws)
		ws = by_names(w, s);
	if (ws) {
		uint64_t inode = ws->inode;

		sv_watch_count_state(w, ws, -1);
		ws->cur = *s;
		ws->cur.path = NULL;
		ws->cur.icons = NULL; /* in the reply buffer */
		ws->cur.inode = inode;
		ws->have = true;
		sv_watch_count_state(w, ws, 1);
		sv_watch_closed(w, ws, "destroy");
		return 0;
	}
	if (is_gone(w, s) || !listener_of(w, s))
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	tmp.fd = -1;
	tmp.cur = *s;
	tmp.cur.path = NULL;
	tmp.cur.icons = NULL;
	tmp.have = true;
	{
		struct sv_watch_ev open = {
			.event = "open", .ws = &tmp, .source = "destroy",
			.interest = -1, .no_state = true,
			.time_ns = w->destroy_ns,
		};
		struct sv_watch_ev close = {
			.event = "close", .ws = &tmp, .source = "destroy",
			.interest = -1, .final = true,
			.time_ns = w->destroy_ns,
		};

		sv_watch_emit(w, &open);
		unseen_data(w, &tmp);
		sv_watch_emit(w, &close);
	}
	destroyed_unseen(w);
	remember_gone(w, &tmp);
	return 0;
}

static void read_destroyed(struct sv_watch *w)
{
	int err;

	if (w->destroy_fd < 0)
		return;
	/* edges that came before the closes: they happened first */
	sv_watch_drain_ready(w);
	err = sv_diag_destroy_read(w->destroy_fd, on_destroyed, w);
	sv_watch_destroy_drained(w);
	if (err == -ENOBUFS && !w->destroy_overrun) {
		/* the kernel dropped some: those closes come from the fd
		 * table instead, without their last numbers */
		w->destroy_overrun = true;
		sv_note("the kernel dropped sock_diag "
				"destroy messages (too many closes at once); "
				"some closes lack their final record");
	}
}

void sv_watch_on_destroy(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)events;
	w->wakeups++;
	if (status < 0)
		return;
	read_destroyed(w);
}

void sv_watch_join_names(struct sv_watch *w, struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;

	static const uint8_t zero[16];

	if (w->numeric || !w->names || !(s->has & SV_HAS_PORTS) ||
	    !memcmp(s->peer.addr, zero, s->family == AF_INET ? 4 : 16))
		return;
	/* never waits: a name not known yet shows on a later tick */
	w->asked_names = true;
	ws->joins.host[1] = sv_resolver_name_async(w->names, w->loop,
						   s->family, s->peer.addr);
}

static uint64_t sort_key(const struct wsock *ws, int sort)
{
	const struct sv_sock *s = &ws->cur;

	switch (sort) {
	case 1:
		return s->recv_q;
	case 2:
		return s->send_q;
	case 3:
		return ws->joins.rates.bytes_in;
	case 4:
		return ws->joins.rates.bytes_out;
	}
	return 0;
}

static int g_sort;

static int cmp_ws(const void *x, const void *y)
{
	const struct wsock *a = *(struct wsock *const *)x;
	const struct wsock *b = *(struct wsock *const *)y;
	uint64_t ka = sort_key(a, g_sort), kb = sort_key(b, g_sort);

	if (ka != kb)
		return ka > kb ? -1 : 1;
	return a->fd - b->fd;
}

/* The sockets in display order: by fd, or by the chosen key. */
struct wsock **sv_watch_ordered(struct sv_watch *w)
{
	struct wsock **v = malloc((w->nsocks ? w->nsocks : 1) * sizeof(*v));

	if (!v)
		return NULL;
	if (w->nsocks) /* no array yet without sockets */
		memcpy(v, w->socks, w->nsocks * sizeof(*v));
	g_sort = w->sort;
	qsort(v, w->nsocks, sizeof(*v), cmp_ws);
	return v;
}

void sv_watch_mark_read(struct sv_watch *w, struct wsock *ws)
{
	if (sv_grow((void **)&w->tick_read, &w->tick_read_cap,
		    w->tick_read_n + 1, sizeof(*w->tick_read)) == 0)
		w->tick_read[w->tick_read_n++] = ws->inode;
	else
		w->tick_read_lost = true;
}

/*
 * The sockets this tick's replies had, in display order: a light tick
 * reads a few of 16,000, and sorting them all each tick cost more than
 * the rest of the tick.  A full tick's are all of them.
 */
struct wsock **sv_watch_ordered_read(struct sv_watch *w, size_t *n)
{
	struct wsock **v;
	size_t i, k = 0;

	if (!w->light || w->tick_read_lost) {
		*n = w->nsocks;
		return sv_watch_ordered(w);
	}
	v = malloc((w->tick_read_n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < w->tick_read_n; i++) {
		struct wsock *ws = sv_watch_find(w, w->tick_read[i]);

		if (ws && ws->seen_tick == w->tick_gen)
			v[k++] = ws;
	}
	g_sort = w->sort;
	qsort(v, k, sizeof(*v), cmp_ws);
	*n = k;
	return v;
}

/*
 * The first max sockets with a reply, in display order (the rows of a
 * screen): one pass keeping the best max so far, in order.
 */
/*
 * By descriptor number, the first rows change only when a socket comes,
 * goes or has its first reply: the terminal asks twice a tick, and a
 * pass over 16,000 sockets each time cost more than the rest of a tick.
 */
static bool top_cached(struct sv_watch *w, size_t max, struct wsock **v,
		       size_t *n)
{
	uint64_t key[4] = { w->scan_gen, w->nsocks, w->have_gen, max };
	size_t i;

	if (w->sort || !w->top_valid || memcmp(key, w->top_key, sizeof(key)))
		return false;
	for (i = 0; i < w->ntop; i++) {
		v[i] = sv_watch_find(w, w->top[i]);
		if (!v[i])
			return false;
	}
	*n = w->ntop;
	return true;
}

static void top_keep(struct sv_watch *w, size_t max, struct wsock **v,
		     size_t n)
{
	uint64_t key[4] = { w->scan_gen, w->nsocks, w->have_gen, max };
	size_t i;

	w->top_valid = false;
	if (w->sort || sv_grow((void **)&w->top, &w->captop, n + 1,
			       sizeof(*w->top)))
		return;
	for (i = 0; i < n; i++)
		w->top[i] = v[i]->inode;
	w->ntop = n;
	memcpy(w->top_key, key, sizeof(key));
	w->top_valid = true;
}

struct wsock **sv_watch_ordered_top(struct sv_watch *w, size_t max, size_t *n)
{
	struct wsock **v = malloc((max + 1) * sizeof(*v));
	size_t i, k = 0;

	*n = 0;
	if (!v)
		return NULL;
	if (top_cached(w, max, v, n))
		return v;
	g_sort = w->sort;
	for (i = 0; i < w->nsocks && max; i++) {
		struct wsock *ws = w->socks[i];
		size_t j;

		if (!ws->have)
			continue;
		if (k == max && cmp_ws(&ws, &v[k - 1]) >= 0)
			continue;
		j = k < max ? k++ : k - 1;
		for (; j > 0 && cmp_ws(&ws, &v[j - 1]) < 0; j--)
			v[j] = v[j - 1];
		v[j] = ws;
	}
	*n = k;
	top_keep(w, max, v, k);
	return v;
}
