// SPDX-License-Identifier: MIT
/*
 * The target's sockets as watch follows them: one wsock per socket
 * inode, found and lost by reading the target's fd table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>

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
int sv_watch_scan_fds(struct sv_watch *w)
{
	size_t i, first_new = w->nsocks;
	int err = sv_target_scan(w->pid, &w->scan);

	if (err)
		return err;
	w->scan_gen++;
	w->new_socks = 0;
	w->need_scan = false;
	w->last_scan_ns = sv_watch_mono_ns();
	for (i = 0; i < w->scan.n; i++) {
		const struct sv_target_sock *t = &w->scan.socks[i];
		struct wsock *ws = sv_watch_find(w, t->inode);

		if (!ws) {
			ws = add_sock(w, t->inode, t->fd);
			if (!ws)
				return -ENOMEM;
			sv_watch_register(w, ws);
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

void sv_watch_socks_free(struct sv_watch *w)
{
	while (w->nsocks)
		remove_sock(w, w->nsocks - 1);
	free(w->socks);
	w->socks = NULL;
	sv_imap_free(&w->by_inode);
}

void sv_watch_join_names(struct sv_watch *w, struct wsock *ws)
{
	struct sv_sock *s = &ws->cur;

	static const uint8_t zero[16];

	if (w->numeric || !w->names || !(s->has & SV_HAS_PORTS) ||
	    !memcmp(s->peer.addr, zero, s->family == AF_INET ? 4 : 16))
		return;
	/* never waits: a name not known yet shows on a later tick */
	s->host[1] = sv_resolver_name_async(w->names, w->loop, s->family,
					    s->peer.addr);
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
		return s->rates.bytes_in;
	case 4:
		return s->rates.bytes_out;
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
	memcpy(v, w->socks, w->nsocks * sizeof(*v));
	g_sort = w->sort;
	qsort(v, w->nsocks, sizeof(*v), cmp_ws);
	return v;
}
