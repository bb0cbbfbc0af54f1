// SPDX-License-Identifier: MIT
/* Events: readiness edges, and what changed between two diag replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "core/escape.h"
#include "core/fields.h"
#include "out/jsonstr.h"
#include "out/render.h"
#include "watch/watch.h"

/* RFC 3339, UTC, microseconds: 2026-11-26T12:34:56.123456Z */
static void time_text(char *buf, size_t len)
{
	uint64_t ns = sv_watch_now_ns();
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ",
		 (unsigned)(ns % 1000000000ull / 1000));
}

static void count_event(struct sv_watch *w)
{
	w->events++;
	if (w->count && w->events >= w->count && !w->stopping)
		sv_watch_stop(w);
}

static const char *const sock_keys[] = { "protocol", "state", "local", "peer",
					 "inode", NULL };

/* The socket part of a plain event line: proto local -> peer STATE */
static void plain_sock(struct sv_strbuf *b, const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;
	size_t i;
	char num[24];

	sv_strbuf_adds(b, " fd=");
	sv_strbuf_add(b, num, sv_u64_to_text((uint64_t)ws->fd, num));
	sv_strbuf_adds(b, " inode=");
	sv_strbuf_add(b, num, sv_u64_to_text(ws->inode, num));
	if (!ws->have)
		return;
	sv_strbuf_addc(b, ' ');
	sv_strbuf_adds(b, sv_proto_name(s->proto));
	for (i = 0; i < sv_nfields; i++) {
		const struct sv_field *f = &sv_fields[i];
		struct sv_val v;

		if (f->obj || (strcmp(f->key, "local") && strcmp(f->key, "peer")))
			continue;
		if (!f->get(s, f, &v))
			continue;
		sv_strbuf_adds(b, strcmp(f->key, "peer") ? " " : " -> ");
		sv_endpoint_text(b, &v);
	}
	sv_strbuf_addc(b, ' ');
	sv_strbuf_adds(b, sv_state_short(s->state));
}

/* The latest lines, kept for the full-screen view to read. */
static void keep_line(struct sv_watch *w, const char *line, size_t n)
{
	char *copy = malloc(n + 1);

	if (!copy)
		return;
	memcpy(copy, line, n);
	copy[n] = '\0';
	free(w->event_lines[w->event_head]);
	w->event_lines[w->event_head] = copy;
	w->event_head = (w->event_head + 1) % SV_WATCH_EVENT_LINES;
	if (w->event_count < SV_WATCH_EVENT_LINES)
		w->event_count++;
}

const char *sv_watch_event_line(const struct sv_watch *w, size_t i)
{
	size_t k = (w->event_head + SV_WATCH_EVENT_LINES - w->event_count + i) %
		   SV_WATCH_EVENT_LINES;

	return w->event_lines[k];
}

void sv_watch_events_free(struct sv_watch *w)
{
	size_t i;

	for (i = 0; i < SV_WATCH_EVENT_LINES; i++) {
		free(w->event_lines[i]);
		w->event_lines[i] = NULL;
	}
	w->event_count = 0;
}

static void emit_plain(struct sv_watch *w, struct sv_strbuf *b)
{
	if (w->mode == SV_WATCH_TERM) {
		keep_line(w, b->p, b->len);
		return;
	}
	sv_strbuf_addc(b, '\n');
	sv_out_mem(&w->out, b->p, b->len);
	sv_out_flush(&w->out);
}

static void json_begin(struct sv_watch *w, const char *event, bool *first)
{
	char t[40];

	time_text(t, sizeof(t));
	*first = true;
	sv_out_char(&w->out, '{');
	sv_json_key(&w->out, "time", first);
	sv_out_char(&w->out, '"');
	sv_out_str(&w->out, t);
	sv_out_char(&w->out, '"');
	sv_json_key(&w->out, "event", first);
	sv_json_string(&w->out, event, strlen(event));
}

static void json_end(struct sv_watch *w)
{
	sv_out_str(&w->out, "}\n");
	sv_out_flush(&w->out);
}

static void json_sock(struct sv_watch *w, const struct wsock *ws, bool *first)
{
	sv_json_key(&w->out, "fd", first);
	sv_out_u64(&w->out, (uint64_t)ws->fd);
	if (ws->have) {
		sv_json_sock_members(&w->out, &ws->cur, sock_keys, first);
	} else {
		sv_json_key(&w->out, "inode", first);
		sv_out_u64(&w->out, ws->inode);
	}
}

void sv_watch_event_sock(struct sv_watch *w, const char *event,
			 const struct wsock *ws, const char *source,
			 const char *extra_key, const char *extra_val,
			 const char *extra_key2, uint64_t extra_num)
{
	struct sv_strbuf b = { 0 };
	char t[40];
	char num[24];
	bool first;

	if (w->mode == SV_WATCH_JSON) {
		json_begin(w, event, &first);
		if (source) {
			sv_json_key(&w->out, "source", &first);
			sv_json_string(&w->out, source, strlen(source));
		}
		json_sock(w, ws, &first);
		if (extra_key) {
			sv_json_key(&w->out, extra_key, &first);
			sv_json_string(&w->out, extra_val, strlen(extra_val));
		}
		if (extra_key2) {
			sv_json_key(&w->out, extra_key2, &first);
			sv_out_u64(&w->out, extra_num);
		}
		json_end(w);
	} else {
		time_text(t, sizeof(t));
		sv_strbuf_adds(&b, t);
		sv_strbuf_addc(&b, ' ');
		sv_strbuf_adds(&b, event);
		if (source && strcmp(source, "epoll"))
			sv_strbuf_adds(&b, " (inferred)");
		plain_sock(&b, ws);
		if (extra_key) {
			sv_strbuf_addc(&b, ' ');
			sv_strbuf_adds(&b, extra_key);
			sv_strbuf_addc(&b, '=');
			sv_strbuf_adds(&b, extra_val);
		}
		if (extra_key2) {
			sv_strbuf_addc(&b, ' ');
			sv_strbuf_adds(&b, extra_key2);
			sv_strbuf_addc(&b, '=');
			sv_strbuf_add(&b, num, sv_u64_to_text(extra_num, num));
		}
		emit_plain(w, &b);
		sv_strbuf_free(&b);
	}
	count_event(w);
}

/* A tick's sample of one socket: every list field, rates and interest. */
static void sample(struct sv_watch *w, const struct wsock *ws)
{
	bool first;

	json_begin(w, "sample", &first);
	sv_json_key(&w->out, "fd", &first);
	sv_out_u64(&w->out, (uint64_t)ws->fd);
	sv_json_sock_members(&w->out, &ws->cur, NULL, &first);
	sv_out_str(&w->out, "}\n");
}

/* NDJSON: a sample of every socket the tick read, in fd order. */
void sv_watch_samples(struct sv_watch *w)
{
	struct wsock **v = sv_watch_ordered(w);
	size_t i;

	if (!v)
		return;
	for (i = 0; i < w->nsocks; i++) {
		if (!v[i]->have)
			continue;
		sv_watch_join_names(w, v[i]);
		sample(w, v[i]);
	}
	sv_out_flush(&w->out);
	free(v);
}

void sv_watch_event_state(struct sv_watch *w, const struct wsock *ws,
			  unsigned from, unsigned to)
{
	struct sv_strbuf b = { 0 };
	char t[40];
	bool first;

	if (w->mode == SV_WATCH_JSON) {
		json_begin(w, "state", &first);
		json_sock(w, ws, &first);
		sv_json_key(&w->out, "from", &first);
		sv_json_string(&w->out, sv_state_name(from),
			       strlen(sv_state_name(from)));
		sv_json_key(&w->out, "to", &first);
		sv_json_string(&w->out, sv_state_name(to),
			       strlen(sv_state_name(to)));
		json_end(w);
	} else {
		time_text(t, sizeof(t));
		sv_strbuf_adds(&b, t);
		sv_strbuf_adds(&b, " state");
		plain_sock(&b, ws);
		sv_strbuf_adds(&b, " from=");
		sv_strbuf_adds(&b, sv_state_short(from));
		sv_strbuf_adds(&b, " to=");
		sv_strbuf_adds(&b, sv_state_short(to));
		emit_plain(w, &b);
		sv_strbuf_free(&b);
	}
	count_event(w);
}

void sv_watch_event_exit(struct sv_watch *w)
{
	struct sv_strbuf b = { 0 };
	char t[40], num[24];
	bool first;

	if (w->mode == SV_WATCH_JSON) {
		json_begin(w, "exit", &first);
		sv_json_key(&w->out, "pid", &first);
		sv_out_u64(&w->out, (uint64_t)w->pid);
		json_end(w);
	} else {
		time_text(t, sizeof(t));
		sv_strbuf_adds(&b, t);
		sv_strbuf_adds(&b, " exit pid=");
		sv_strbuf_add(&b, num, sv_u64_to_text((uint64_t)w->pid, num));
		emit_plain(w, &b);
		sv_strbuf_free(&b);
	}
	count_event(w);
}

void sv_watch_readiness(struct sv_watch *w, struct wsock *ws, uint32_t ev,
			const char *source)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ EPOLLIN, "readable" }, { EPOLLOUT, "writable" },
		{ EPOLLRDHUP, "rdhup" }, { EPOLLHUP, "hup" },
		{ EPOLLERR, "error" },	 { EPOLLPRI, "pri" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !w->stopping; i++)
		if (ev & names[i].bit)
			sv_watch_event_sock(w, names[i].name, ws, source, NULL,
					    NULL, NULL, 0);
}

/* The events one wakeup meant (edges.c decided them). */
void sv_watch_edges(struct sv_watch *w, struct wsock *ws,
		    const struct sv_edge *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sv_watch_readiness(w, ws, e[i].bit,
				   e[i].source == SV_EDGE_EPOLL ? "epoll"
								: "inferred");
}

static bool tcpi(const struct sv_sock *s, size_t end)
{
	return s->proto == SV_PROTO_TCP && s->tcpi_len >= end;
}

#define TCPI_END(f)                                                            \
	(offsetof(struct sv_tcp_info, f) + sizeof(((struct sv_tcp_info *)0)->f))

/* Per-second rates from two replies' counters. */
void sv_watch_rates(struct wsock *ws)
{
	const struct sv_sock *a = &ws->prev, *b = &ws->cur;
	uint64_t dt = ws->cur_ns > ws->prev_ns ? ws->cur_ns - ws->prev_ns : 0;

#define PER_SEC(x, y) ((y) >= (x) ? ((y) - (x)) * 1000000000ull / dt : 0)
	if (!ws->have_prev || !dt || !tcpi(a, TCPI_END(segs_in)) ||
	    !tcpi(b, TCPI_END(segs_in)))
		return;
	ws->cur.rates.bytes_in =
		PER_SEC(a->tcpi.bytes_received, b->tcpi.bytes_received);
	ws->cur.rates.bytes_out = PER_SEC(a->tcpi.bytes_acked, b->tcpi.bytes_acked);
	ws->cur.rates.segs_in = PER_SEC(a->tcpi.segs_in, b->tcpi.segs_in);
	ws->cur.rates.segs_out = PER_SEC(a->tcpi.segs_out, b->tcpi.segs_out);
	ws->cur.rates.retrans =
		PER_SEC(a->tcpi.total_retrans, b->tcpi.total_retrans);
	ws->cur.has |= SV_HAS_RATES;
#undef PER_SEC
}

/* What changed between the last two replies, as events. */
void sv_watch_diff(struct sv_watch *w, struct wsock *ws)
{
	const struct sv_sock *a = &ws->prev, *b = &ws->cur;

	if (!ws->have_prev || !ws->have)
		return;
	if (a->state != b->state)
		sv_watch_event_state(w, ws, a->state, b->state);
	if (tcpi(a, TCPI_END(total_retrans)) &&
	    tcpi(b, TCPI_END(total_retrans)) &&
	    b->tcpi.total_retrans > a->tcpi.total_retrans)
		sv_watch_event_sock(w, "retransmit", ws, NULL, NULL, NULL,
				    "total_retrans", b->tcpi.total_retrans);
	if (tcpi(a, TCPI_END(snd_wnd)) && tcpi(b, TCPI_END(snd_wnd)) &&
	    a->tcpi.snd_wnd > 0 && b->tcpi.snd_wnd == 0 &&
	    b->state == SV_TCP_ESTABLISHED)
		sv_watch_event_sock(w, "zero-window", ws, NULL, NULL, NULL,
				    "snd_wnd", 0);
	if (b->timer == SV_TIMER_PERSIST && a->timer != SV_TIMER_PERSIST)
		sv_watch_event_sock(w, "persist", ws, NULL, NULL, NULL,
				    "expires_ms", b->expires_ms);
	if (b->state == SV_TCP_LISTEN && b->proto == SV_PROTO_TCP) {
		/* the accept queue holds backlog + 1 before SYNs are dropped;
		 * a listener's drop counter counts what was dropped */
		bool full_a = a->recv_q > a->send_q, full_b = b->recv_q > b->send_q;
		bool drops = b->skmem_n > 8 && a->skmem_n > 8 &&
			     b->skmem[8] > a->skmem[8];

		if ((full_b && !full_a) || drops)
			sv_watch_event_sock(w, "overflow", ws, NULL, NULL, NULL,
					    "drops",
					    b->skmem_n > 8 ? b->skmem[8] : 0);
	}
	if (!w->ready_ok) {
		/* no epoll view of the target's sockets: infer from queues */
		uint32_t ev = 0;

		if (b->recv_q > a->recv_q)
			ev |= EPOLLIN;
		if (b->send_q < a->send_q && b->state != SV_TCP_LISTEN)
			ev |= EPOLLOUT;
		if (b->state == SV_TCP_CLOSE_WAIT && a->state != b->state)
			ev |= EPOLLRDHUP;
		if (b->state == SV_TCP_CLOSE && a->state != b->state)
			ev |= EPOLLHUP;
		if (ev)
			sv_watch_readiness(w, ws, ev, "inferred");
	}
}
