// SPDX-License-Identifier: MIT
/* Events: readiness edges, and what changed between two diag replies. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "core/escape.h"
#include "core/fields.h"
#include "core/imap.h"
#include "out/jsonstr.h"
#include "out/render.h"
#include "watch/watch.h"

/* RFC 3339, UTC, microseconds: 2026-11-26T12:34:56.123456Z */
static void time_text(char *buf, size_t len, uint64_t ns)
{
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
					 NULL };

/* The socket part of a plain event line: proto local -> peer STATE */
static void plain_sock(struct sv_strbuf *b, const struct wsock *ws,
		       bool no_state)
{
	const struct sv_sock *s = ws->have || ws->named ? &ws->cur : NULL;
	size_t i;

	if (ws->fd >= 0) {
		sv_strbuf_adds(b, " fd=");
		sv_strbuf_addu(b, (uint64_t)ws->fd);
	}
	if (ws->inode) {
		sv_strbuf_adds(b, " inode=");
		sv_strbuf_addu(b, ws->inode);
	}
	if (!s)
		return;
	sv_strbuf_addc(b, ' ');
	sv_strbuf_adds(b, sv_proto_name(s->proto));
	for (i = 0; i < sv_nfields; i++) {
		const struct sv_field *f = &sv_fields[i];
		struct sv_val v;

		if (f->obj || (strcmp(f->key, "local") && strcmp(f->key, "peer")))
			continue;
		if (!f->get(&(struct sv_row){ s, &ws->joins }, f, &v))
			continue;
		sv_strbuf_adds(b, strcmp(f->key, "peer") ? " " : " -> ");
		sv_endpoint_text(b, &v);
	}
	if (no_state)
		return;
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
	if (w->dropped) {

		sv_strbuf_adds(b, " dropped=");
		sv_strbuf_addu(b, w->dropped);
		w->dropped = 0;
	}
	sv_strbuf_addc(b, '\n');
	sv_out_mem(&w->out, b->p, b->len);
	sv_watch_flush(w);
}

static void json_begin(struct sv_watch *w, const char *event, bool *first,
		       uint64_t ns)
{
	char t[40];

	time_text(t, sizeof(t), ns ? ns : sv_watch_now_ns());
	*first = true;
	sv_out_char(&w->out, '{');
	sv_json_key(&w->out, "time", first);
	sv_out_char(&w->out, '"');
	sv_out_str(&w->out, t);
	sv_out_char(&w->out, '"');
	sv_json_key(&w->out, "event", first);
	sv_json_string(&w->out, event, strlen(event));
	if (w->dropped) {
		/* what the output left out since the last line */
		sv_json_key(&w->out, "dropped", first);
		sv_out_u64(&w->out, w->dropped);
		w->dropped = 0;
	}
}

static void json_end(struct sv_watch *w)
{
	sv_out_str(&w->out, "}\n");
	sv_watch_flush(w);
}

/* What an event can say of its socket: a diag reply, or the names the
 * socket gave itself when we first saw it. */
static const struct sv_sock *known_sock(const struct wsock *ws)
{
	return ws->have || ws->named ? &ws->cur : NULL;
}

static void json_sock(struct sv_watch *w, const struct wsock *ws, bool *first,
		      bool no_state)
{
	static const char *const named_keys[] = { "protocol", "local", "peer",
						  NULL };
	const struct sv_sock *s = known_sock(ws);

	if (ws->fd >= 0) {
		sv_json_key(&w->out, "fd", first);
		sv_out_u64(&w->out, (uint64_t)ws->fd);
	}
	if (ws->inode) {
		sv_json_key(&w->out, "inode", first);
		sv_out_u64(&w->out, ws->inode);
	}
	if (s)
		sv_json_sock_members(&w->out,
				     &(struct sv_row){ s, &ws->joins },
				     no_state ? named_keys : sock_keys, first);
}

/* A closed socket's last numbers, as the kernel gave them when it
 * destroyed the socket. */
static const char *const final_keys[] = { "tcp", NULL };

static void json_event(struct sv_watch *w, const struct sv_watch_ev *e)
{
	bool first;

	json_begin(w, e->event, &first, e->time_ns);
	if (e->kernel_time || e->fd_time || e->wakeup_time) {
		sv_json_key(&w->out, "time_from", &first);
		sv_out_str(&w->out, e->kernel_time ? "\"kernel\""
			   : e->fd_time		   ? "\"fd table\""
						   : "\"wakeup\"");
	}
	if (e->source) {
		sv_json_key(&w->out, "source", &first);
		sv_json_string(&w->out, e->source, strlen(e->source));
	}
	if (e->interest >= 0) {
		sv_json_key(&w->out, "interested", &first);
		sv_out_str(&w->out, e->interest ? "true" : "false");
	}
	if (e->before_registration) {
		sv_json_key(&w->out, "before_registration", &first);
		sv_out_str(&w->out, "true");
	}
	json_sock(w, e->ws, &first, e->no_state);
	if (e->final && e->ws->have && e->ws->cur.tcpi_len)
		sv_json_sock_members(&w->out,
				     &(struct sv_row){ &e->ws->cur,
						       &e->ws->joins },
				     final_keys, &first);
	if (e->key) {
		sv_json_key(&w->out, e->key, &first);
		sv_json_string(&w->out, e->val, strlen(e->val));
	}
	if (e->numkey) {
		sv_json_key(&w->out, e->numkey, &first);
		sv_out_u64(&w->out, e->num);
	}
	if (e->count > 1) {
		sv_json_key(&w->out, "count", &first);
		sv_out_u64(&w->out, e->count);
	}
	json_end(w);
}

static void plain_num(struct sv_strbuf *b, const char *key, uint64_t v)
{
	sv_strbuf_addc(b, ' ');
	sv_strbuf_adds(b, key);
	sv_strbuf_addc(b, '=');
	sv_strbuf_addu(b, v);
}

/* close: the final counters a plain line has room for */
static void plain_final(struct sv_strbuf *b, const struct sv_sock *s)
{
	if (s->proto != SV_PROTO_TCP ||
	    s->tcpi_len < offsetof(struct sv_tcp_info, segs_in) +
				  sizeof(s->tcpi.segs_in))
		return;
	plain_num(b, "bytes_received", s->tcpi.bytes_received);
	plain_num(b, "bytes_acked", s->tcpi.bytes_acked);
	plain_num(b, "segs_in", s->tcpi.segs_in);
	plain_num(b, "segs_out", s->tcpi.segs_out);
	plain_num(b, "total_retrans", s->tcpi.total_retrans);
	plain_num(b, "rtt_us", s->tcpi.rtt);
}

static void plain_event(struct sv_watch *w, const struct sv_watch_ev *e)
{
	struct sv_strbuf b = { 0 };
	char t[40];

	time_text(t, sizeof(t), e->time_ns ? e->time_ns : sv_watch_now_ns());
	sv_strbuf_adds(&b, t);
	sv_strbuf_addc(&b, ' ');
	sv_strbuf_adds(&b, e->event);
	if (e->source && strcmp(e->source, "epoll")) {
		sv_strbuf_adds(&b, " (");
		sv_strbuf_adds(&b, e->source);
		sv_strbuf_addc(&b, ')');
	}
	plain_sock(&b, e->ws, e->no_state);
	if (e->interest == 0)
		sv_strbuf_adds(&b, " interested=no");
	if (e->kernel_time)
		sv_strbuf_adds(&b, " time=kernel");
	else if (e->fd_time)
		sv_strbuf_adds(&b, " time=fd-table");
	else if (e->wakeup_time)
		sv_strbuf_adds(&b, " time=wakeup");
	if (e->before_registration)
		sv_strbuf_adds(&b, " before_registration");
	if (e->final && e->ws->have)
		plain_final(&b, &e->ws->cur);
	if (e->key) {
		sv_strbuf_addc(&b, ' ');
		sv_strbuf_adds(&b, e->key);
		sv_strbuf_addc(&b, '=');
		sv_strbuf_adds(&b, e->val);
	}
	if (e->numkey)
		plain_num(&b, e->numkey, e->num);
	if (e->count > 1)
		plain_num(&b, "count", e->count);
	emit_plain(w, &b);
	sv_strbuf_free(&b);
}

void sv_watch_emit(struct sv_watch *w, const struct sv_watch_ev *e)
{
	struct sv_watch_ev late;

	if (!sv_watch_event_wanted(w, e->event))
		return;
	/* a destroy message that came while the loop wrote later lines:
	 * its time is when it came, as for a wakeup */
	if (e->source && !strcmp(e->source, "destroy") && e->time_ns &&
	    e->time_ns < w->said_ns && !e->fd_time && !e->kernel_time) {
		late = *e;
		late.wakeup_time = true;
		e = &late;
	}
	/* the latest time said, for wakeups that waited behind it */
	if (!e->kernel_time && !e->fd_time && !e->wakeup_time) {
		uint64_t t = e->time_ns ? e->time_ns : sv_watch_now_ns();

		if (t > w->said_ns)
			w->said_ns = t;
	}
	if (w->mode == SV_WATCH_JSON)
		json_event(w, e);
	else
		plain_event(w, e);
	count_event(w);
}

void sv_watch_event_sock(struct sv_watch *w, const char *event,
			 const struct wsock *ws, const char *source,
			 const char *extra_key, const char *extra_val,
			 const char *extra_key2, uint64_t extra_num)
{
	struct sv_watch_ev e = {
		.event = event,
		.ws = ws,
		.source = source,
		.interest = -1,
		.key = extra_key,
		.val = extra_val,
		.numkey = extra_key2,
		.num = extra_num,
	};

	sv_watch_emit(w, &e);
}

/* A tick's sample of one socket: every list field, rates and interest. */
static void sample(struct sv_watch *w, const struct wsock *ws)
{
	bool first;

	json_begin(w, "sample", &first, 0);
	sv_json_key(&w->out, "fd", &first);
	sv_out_u64(&w->out, (uint64_t)ws->fd);
	sv_json_sock_members(&w->out, &(struct sv_row){ &ws->cur, &ws->joins },
			     NULL, &first);
	sv_out_str(&w->out, "}\n");
}

/* What a sample shows moving: a socket whose hash did not change has
 * nothing new to say. */
static uint64_t sample_hash(const struct wsock *ws)
{
	const struct sv_sock *s = &ws->cur;
	uint64_t v[] = { s->state, s->recv_q, s->send_q, s->timer,
			 s->tcpi_len ? s->tcpi.bytes_received : 0,
			 s->tcpi_len ? s->tcpi.bytes_acked : 0,
			 s->tcpi_len ? s->tcpi.segs_in : 0,
			 s->tcpi_len ? s->tcpi.segs_out : 0,
			 s->tcpi_len ? s->tcpi.total_retrans : 0,
			 ws->joins.interest, s->skmem_n ? s->skmem[0] : 0 };

	return sv_hash_bytes(0, v, sizeof(v)); /* never 0: never sampled */
}

/* Does this tick show the socket (and remember that it did)? */
bool sv_watch_sample_due(struct sv_watch *w, struct wsock *ws)
{
	uint64_t h;

	if (!ws->have || ws->seen_tick != w->tick_gen ||
	    w->samples == SV_SAMPLES_NONE)
		return false;
	h = sample_hash(ws);
	if (w->samples == SV_SAMPLES_CHANGED && h == ws->sampled)
		return false;
	ws->sampled = h;
	return true;
}

/*
 * NDJSON: a sample of the sockets the tick read, in fd order: with
 * --samples changed (the default) those whose counters or state moved,
 * and all of them at the first tick.
 */
void sv_watch_samples(struct sv_watch *w)
{
	struct wsock **v;
	size_t i, n;

	if (w->samples == SV_SAMPLES_NONE ||
	    !sv_watch_event_wanted(w, "sample"))
		return;
	/* only a socket read this tick can be due */
	v = sv_watch_ordered_read(w, &n);
	if (!v)
		return;
	for (i = 0; i < n; i++) {
		if (!sv_watch_sample_due(w, v[i]))
			continue;
		if (!sv_watch_room(w, SV_CLASS_SAMPLE)) {
			w->dropped++;
			continue;
		}
		sv_watch_join_names(w, v[i]);
		sample(w, v[i]);
		/* write as we go: the queue's bound is for a slow reader,
		 * not for one tick's worth of samples */
		if (w->out.len > sizeof(w->out.buf) / 2)
			sv_watch_flush(w);
	}
	sv_watch_flush(w);
	free(v);
}

void sv_watch_event_state(struct sv_watch *w, const struct wsock *ws,
			  unsigned from, unsigned to)
{
	struct sv_strbuf b = { 0 };
	char t[40];
	bool first;

	if (w->mode == SV_WATCH_JSON) {
		json_begin(w, "state", &first, 0);
		json_sock(w, ws, &first, false);
		sv_json_key(&w->out, "from", &first);
		sv_json_string(&w->out, sv_state_name(from),
			       strlen(sv_state_name(from)));
		sv_json_key(&w->out, "to", &first);
		sv_json_string(&w->out, sv_state_name(to),
			       strlen(sv_state_name(to)));
		json_end(w);
	} else {
		time_text(t, sizeof(t), sv_watch_now_ns());
		sv_strbuf_adds(&b, t);
		sv_strbuf_adds(&b, " state");
		plain_sock(&b, ws, false);
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
	char t[40];
	bool first;

	if (w->mode == SV_WATCH_JSON) {
		json_begin(w, "exit", &first, 0);
		sv_json_key(&w->out, "pid", &first);
		sv_out_u64(&w->out, (uint64_t)w->pid);
		json_end(w);
	} else {
		time_text(t, sizeof(t), sv_watch_now_ns());
		sv_strbuf_adds(&b, t);
		sv_strbuf_adds(&b, " exit pid=");
		sv_strbuf_addu(&b, (uint64_t)w->pid);
		emit_plain(w, &b);
		sv_strbuf_free(&b);
	}
	count_event(w);
}

static const struct {
	uint32_t bit;
	const char *name;
} edge_names[] = {
	{ EPOLLIN, "readable" }, { EPOLLOUT, "writable" },
	{ EPOLLRDHUP, "rdhup" }, { EPOLLHUP, "hup" },
	{ EPOLLERR, "error" },	 { EPOLLPRI, "pri" },
};

const char *sv_watch_edge_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(edge_names) / sizeof(edge_names[0]); i++)
		if (bit == edge_names[i].bit)
			return edge_names[i].name;
	return "?";
}

void sv_watch_readiness(struct sv_watch *w, struct wsock *ws, uint32_t ev,
			const char *source)
{
	size_t i;

	for (i = 0; i < sizeof(edge_names) / sizeof(edge_names[0]) &&
		    !w->stopping;
	     i++)
		if (ev & edge_names[i].bit)
			sv_watch_event_sock(w, edge_names[i].name, ws, source,
					    NULL, NULL, NULL, 0);
}

static int edge_index(uint32_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(edge_names) / sizeof(edge_names[0]); i++)
		if (bit == edge_names[i].bit)
			return (int)i;
	return -1;
}

/*
 * An edge that is not said on its own line: the output is full, or the
 * socket had --edge-rate's share of readiness events this tick already.
 * It is counted on its socket, said later in one line per kind with a
 * count and the first one's time.
 */
static bool fold(struct sv_watch *w, struct wsock *ws, const struct sv_edge *e)
{
	int k = edge_index(e->bit);
	size_t j;
	bool any = false, full;

	if (k < 0 || !ws->inode)
		return false;
	full = !sv_watch_room(w, SV_CLASS_EDGE);
	if (!full && (!w->edge_limit || ws->tick_edges < w->edge_limit)) {
		ws->tick_edges++;
		w->window_edges++;
		return false;
	}
	for (j = 0; j < 6; j++)
		any |= ws->held[j] != 0;
	if (!any)
		w->held_edges++;
	if (!ws->held[k]++)
		ws->held_ns[k] = e->time_ns;
	ws->held_src[k] |= (uint8_t)(1u << e->source);
	ws->held_full |= full;
	return true;
}

static const char *held_source(uint8_t src)
{
	if (src == 1u << SV_EDGE_EPOLL)
		return "epoll";
	if (src == 1u << SV_EDGE_INFERRED)
		return "inferred";
	return NULL; /* some of each */
}

/* Its folded edges as one line per kind; false when the output is full. */
static bool release_sock(struct sv_watch *w, struct wsock *ws)
{
	size_t k;

	for (k = 0; k < 6; k++) {
		struct sv_watch_ev ev = {
			.event = edge_names[k].name,
			.ws = ws,
			.source = held_source(ws->held_src[k]),
			.time_ns = ws->held_ns[k],
			.interest = -1,
			.count = ws->held[k],
		};

		if (!ws->held[k])
			continue;
		if (!sv_watch_room(w, SV_CLASS_EDGE))
			return false;
		/* while the output was full, one line says them all: the
		 * others count as left out */
		if (ws->held_full)
			w->dropped += ws->held[k] - 1;
		ws->held[k] = 0;
		ws->held_src[k] = 0;
		sv_watch_emit(w, &ev);
	}
	ws->held_full = false;
	if (w->held_edges)
		w->held_edges--;
	return true;
}

static bool any_held(const struct wsock *ws)
{
	size_t k;

	for (k = 0; k < 6; k++)
		if (ws->held[k])
			return true;
	return false;
}

void sv_watch_release_sock_edges(struct sv_watch *w, struct wsock *ws)
{
	size_t k;

	if (!any_held(ws) || release_sock(w, ws))
		return;
	/* no room even now: they are lost, and counted */
	for (k = 0; k < 6; k++) {
		w->dropped += ws->held[k];
		ws->held[k] = 0;
		ws->held_src[k] = 0;
	}
	ws->held_full = false;
	if (w->held_edges)
		w->held_edges--;
}

void sv_watch_release_edges(struct sv_watch *w, bool tick_end)
{
	size_t i;

	for (i = 0; i < w->nsocks && w->held_edges; i++) {
		struct wsock *ws = w->socks[i];

		if (!any_held(ws) || (!tick_end && !ws->held_full))
			continue;
		if (!release_sock(w, ws))
			return;
	}
}

/* The events one wakeup meant (edges.c decided them). */
void sv_watch_edges(struct sv_watch *w, struct wsock *ws,
		    const struct sv_edge *e, size_t n)
{
	size_t i;

	for (i = 0; i < n && !w->stopping; i++) {
		if (!sv_watch_event_wanted(w, sv_watch_edge_name(e[i].bit)) ||
		    fold(w, ws, &e[i]))
			continue;
		struct sv_watch_ev ev = {
			.event = sv_watch_edge_name(e[i].bit),
			.ws = ws,
			.source = e[i].source == SV_EDGE_EPOLL ? "epoll"
							       : "inferred",
			.time_ns = e[i].time_ns,
			.kernel_time = e[i].kernel_time,
			/* it waited while later lines were written */
			.wakeup_time = !e[i].kernel_time &&
				       e[i].time_ns < w->said_ns,
			.before_registration = e[i].before_registration,
			.interest = e[i].interest,
		};

		sv_watch_emit(w, &ev);
	}
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

/* rounded, not truncated: 5 bytes over 1.0002 s is 5/s, not 4 */
#define PER_SEC(x, y) \
	((y) >= (x) ? (((y) - (x)) * 1000000000ull + dt / 2) / dt : 0)
	if (!ws->have_prev || !dt || !tcpi(a, TCPI_END(segs_in)) ||
	    !tcpi(b, TCPI_END(segs_in)))
		return;
	ws->joins.rates.bytes_in =
		PER_SEC(a->tcpi.bytes_received, b->tcpi.bytes_received);
	ws->joins.rates.bytes_out = PER_SEC(a->tcpi.bytes_acked, b->tcpi.bytes_acked);
	ws->joins.rates.segs_in = PER_SEC(a->tcpi.segs_in, b->tcpi.segs_in);
	ws->joins.rates.segs_out = PER_SEC(a->tcpi.segs_out, b->tcpi.segs_out);
	ws->joins.rates.retrans =
		PER_SEC(a->tcpi.total_retrans, b->tcpi.total_retrans);
	ws->joins.has |= SV_JOIN_RATES;
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

/* Every kind of event, for --events. */
static const char *const kinds[] = {
	"open",	  "close",    "state",	     "readable", "writable",
	"rdhup",  "hup",      "error",	     "pri",	 "retransmit",
	"zero-window", "persist", "overflow", "exit",	 "sample",
	"loop",
};

int sv_watch_event_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i], name))
			return (int)i;
	return -1;
}

bool sv_watch_event_wanted(const struct sv_watch *w, const char *name)
{
	int k;

	if (!w->events_mask)
		return true;
	k = sv_watch_event_kind(name);
	return k < 0 || (w->events_mask & (1u << k));
}

void sv_watch_json_begin(struct sv_watch *w, const char *event, bool *first)
{
	json_begin(w, event, first, 0);
}

void sv_watch_json_end(struct sv_watch *w)
{
	json_end(w);
}
