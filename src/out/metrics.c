// SPDX-License-Identifier: MIT
/*
 * The metrics renderer: sockets folded into a Prometheus text exposition
 * (version 0.0.4) or OpenMetrics 1.0.  Every series of the default set
 * is an aggregate with bounded labels; a socket's own series exist only
 * for sockets the driver selects (--per-socket), and only so many.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/cgroup.h"
#include "core/escape.h"
#include "core/fields.h"
#include "core/imap.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "out/render.h"
#include "sys/proc.h"

/* One series: its label text is its key. */
struct series {
	char *labels;
	size_t len;
	char *extra; /* labels printed but not part of the key, or NULL */
	uint64_t v[5];
};

/* Label text -> series, insertion order kept for the output. */
struct smap {
	struct series *e;
	size_t n, cap;
	struct sv_imap index; /* hash of the labels -> entry in e */
};

enum { L_QLEN, L_BACKLOG, L_DROPS, L_HAS_DROPS, L_SYN };
enum { T_RECVQ, T_SENDQ, T_HAS_Q };
enum { W_RETRANS, W_ZEROWIN, W_HAS_RETRANS, W_HAS_WND };
enum { S_COUNT, S_FAMILY, S_PORT, S_NSIDX };

struct metrics_render {
	struct sv_render r;
	struct sv_out *o;
	struct sv_metrics_conf c;
	struct sv_strbuf ns;   /* netns="..." of the sockets now coming */
	size_t ns_idx;
	struct sv_strbuf nsinfo; /* sockview_netns_info samples */
	struct smap states, listeners, synrecv, queues, tcp, comms;
	struct sv_strbuf sock[4]; /* per-socket samples, one per family */
	size_t nsock, omitted;
	double duration;
	bool has_duration;
	struct sv_strbuf lab;
	const struct sv_container *owner; /* the socket's, being counted */
};

static struct series *smap_find(const struct smap *m, const char *k, size_t n)
{
	size_t cursor = 0;
	uint32_t i;

	while (sv_imap_next(&m->index, sv_hash_bytes(0, k, n), &cursor, &i)) {
		struct series *s = &m->e[i];

		if (s->len == n && !memcmp(s->labels, k, n))
			return s;
	}
	return NULL;
}

/* The series of these labels, created zeroed when new. */
static struct series *smap_get(struct smap *m, const char *k, size_t n)
{
	struct series *s = smap_find(m, k, n);

	if (s)
		return s;
	if (sv_imap_add(&m->index, sv_hash_bytes(0, k, n), (uint32_t)m->n) ||
	    sv_grow((void **)&m->e, &m->cap, m->n + 1, sizeof(*m->e)))
		sv_die("out of memory");
	s = &m->e[m->n++];
	memset(s, 0, sizeof(*s));
	s->labels = malloc(n + 1);
	if (!s->labels)
		sv_die("out of memory");
	memcpy(s->labels, k, n);
	s->labels[n] = '\0';
	s->len = n;
	return s;
}

static void smap_free(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->e[i].labels);
		free(m->e[i].extra);
	}
	free(m->e);
	sv_imap_free(&m->index);
	memset(m, 0, sizeof(*m));
}

/*
 * A label value: untrusted bytes are first made printable and valid
 * UTF-8 as for a terminal (\xHH, backslash doubled), then escaped for
 * the exposition (backslash and double quote; no newline is left).
 */
void sv_metrics_label(struct sv_strbuf *b, const char *name, const char *v,
		      size_t n)
{
	struct sv_strbuf t = { 0 };
	size_t i;

	sv_term_escape(&t, v, n);
	if (b->len && b->p[b->len - 1] != '{')
		sv_strbuf_addc(b, ',');
	sv_strbuf_adds(b, name);
	sv_strbuf_add(b, "=\"", 2);
	for (i = 0; i < t.len; i++) {
		char c = t.p[i];

		if (c == '\\' || c == '"')
			sv_strbuf_addc(b, '\\');
		if (c == '\n') {
			sv_strbuf_add(b, "\\n", 2);
			continue;
		}
		sv_strbuf_addc(b, c);
	}
	sv_strbuf_addc(b, '"');
	sv_strbuf_free(&t);
}

static void label_s(struct sv_strbuf *b, const char *name, const char *v)
{
	sv_metrics_label(b, name, v, strlen(v));
}

/* A listener's or a socket's local (or peer) end as one label value. */
static void endpoint_label(struct sv_strbuf *b, const char *name,
			   const struct sv_sock *s, const struct sv_endpoint *e,
			   bool local)
{
	char addr[64], text[80];

	if (s->family == AF_UNIX) {
		if (local && (s->has & SV_HAS_PATH) && s->path_len &&
		    s->path[0] == '\0') {
			/* abstract name: "@name", as ss shows it */
			struct sv_strbuf t = { 0 };

			sv_strbuf_addc(&t, '@');
			sv_strbuf_add(&t, s->path + 1, s->path_len - 1);
			sv_metrics_label(b, name, t.p, t.len);
			sv_strbuf_free(&t);
		} else if (local && (s->has & SV_HAS_PATH)) {
			sv_metrics_label(b, name, s->path, s->path_len);
		} else if (!local && (s->has & SV_HAS_PEER_INODE)) {
			sv_u64_to_text(s->peer_inode, text);
			label_s(b, name, text);
		} else {
			label_s(b, name, "");
		}
		return;
	}
	sv_addr_text(s->family, e->addr, addr);
	snprintf(text, sizeof(text), s->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 addr, e->port);
	label_s(b, name, text);
}

static void labels_begin(struct metrics_render *m)
{
	m->lab.len = 0;
}

static void labels_ns(struct metrics_render *m)
{
	if (m->lab.len)
		sv_strbuf_addc(&m->lab, ',');
	sv_strbuf_add(&m->lab, m->ns.p, m->ns.len);
}

/* --all-netns: the container of the socket's owner, as few series as
 * there are containers. */
static void container_labels(struct sv_strbuf *b,
			     const struct sv_container *c)
{
	if (!c)
		return;
	if (c->runtime)
		label_s(b, "container_runtime", c->runtime);
	if (c->id[0])
		label_s(b, "container_id", c->id);
	if (c->pod_uid[0])
		label_s(b, "pod_uid", c->pod_uid);
}

/* The namespace, then the container of this socket. */
static void labels_owner(struct metrics_render *m)
{
	labels_ns(m);
	container_labels(&m->lab, m->owner);
}

static bool is_listener(const struct sv_sock *s)
{
	return s->state == SV_TCP_LISTEN &&
	       (s->proto == SV_PROTO_TCP || s->proto == SV_PROTO_UNIX);
}

static void count_state(struct metrics_render *m, const struct sv_sock *s)
{
	labels_begin(m);
	label_s(&m->lab, "protocol", sv_proto_name(s->proto));
	label_s(&m->lab, "family", sv_family_name(s->family));
	label_s(&m->lab, "state", sv_state_name(s->state));
	labels_owner(m);
	smap_get(&m->states, m->lab.p, m->lab.len)->v[0]++;
}

static void listener_labels(struct metrics_render *m, const struct sv_sock *s)
{
	labels_begin(m);
	label_s(&m->lab, "protocol", sv_proto_name(s->proto));
	endpoint_label(&m->lab, "local", s, &s->local, true);
	labels_ns(m);
}

/*
 * Listeners sharing an address (SO_REUSEPORT) add up.  The container is
 * no part of the key: a request socket has no owner, yet counts for its
 * listener; the first listener with one names it.
 */
static void count_listener(struct metrics_render *m, const struct sv_sock *s)
{
	struct series *l;

	listener_labels(m, s);
	l = smap_get(&m->listeners, m->lab.p, m->lab.len);
	if (m->owner && !l->extra) {
		struct sv_strbuf b = { 0 };

		container_labels(&b, m->owner);
		sv_strbuf_addc(&b, '\0');
		l->extra = b.p; /* the series owns it now */
	}
	if (s->has & SV_HAS_QUEUES) {
		l->v[L_QLEN] += s->recv_q;
		l->v[L_BACKLOG] += s->send_q;
	}
	/* a TCP listener counts its drops (full queues) in sk_drops */
	if (s->proto == SV_PROTO_TCP && s->skmem_n > 8) {
		l->v[L_DROPS] += s->skmem[8];
		l->v[L_HAS_DROPS] = 1;
	}
}

/* A request socket: attributed to its listener at the end. */
static void count_synrecv(struct metrics_render *m, const struct sv_sock *s)
{
	struct series *r;

	listener_labels(m, s);
	r = smap_get(&m->synrecv, m->lab.p, m->lab.len);
	r->v[S_COUNT]++;
	r->v[S_FAMILY] = s->family;
	r->v[S_PORT] = s->local.port;
	r->v[S_NSIDX] = m->ns_idx;
}

static void count_totals(struct metrics_render *m, const struct sv_sock *s)
{
	struct series *t;

	if (!is_listener(s) && (s->has & SV_HAS_QUEUES)) {
		labels_begin(m);
		label_s(&m->lab, "protocol", sv_proto_name(s->proto));
		labels_owner(m);
		t = smap_get(&m->queues, m->lab.p, m->lab.len);
		t->v[T_RECVQ] += s->recv_q;
		t->v[T_SENDQ] += s->send_q;
	}
	if (s->proto != SV_PROTO_TCP || !s->tcpi_len)
		return;
	labels_begin(m);
	labels_owner(m);
	t = smap_get(&m->tcp, m->lab.p, m->lab.len);
	if (sv_tcpi_has(s->tcpi_len, total_retrans)) {
		t->v[W_RETRANS] += s->tcpi.total_retrans;
		t->v[W_HAS_RETRANS] = 1;
	}
	if (sv_tcpi_has(s->tcpi_len, snd_wnd)) {
		t->v[W_HAS_WND] = 1;
		if (s->state == SV_TCP_ESTABLISHED && s->tcpi.snd_wnd == 0)
			t->v[W_ZEROWIN]++;
	}
}

/* Each command name once per socket, however many of its processes
 * hold it. */
static void count_comms(struct metrics_render *m, const struct sv_joins *jn)
{
	const struct sv_proc_ref *p = jn->procs;
	size_t i, j;

	for (i = 0; i < jn->nprocs; i++) {
		const char *c = p[i].comm ? p[i].comm : "";

		for (j = 0; j < i; j++)
			if (!strcmp(p[j].comm ? p[j].comm : "", c))
				break;
		if (j < i)
			continue;
		labels_begin(m);
		label_s(&m->lab, "comm", c);
		smap_get(&m->comms, m->lab.p, m->lab.len)->v[0]++;
	}
}

static void sample_line(struct sv_strbuf *b, const char *name,
			const struct sv_strbuf *labels, uint64_t v)
{
	char num[24];

	sv_strbuf_adds(b, name);
	sv_strbuf_addc(b, '{');
	sv_strbuf_add(b, labels->p, labels->len);
	sv_strbuf_add(b, "} ", 2);
	sv_strbuf_add(b, num, sv_u64_to_text(v, num));
	sv_strbuf_addc(b, '\n');
}

static void per_socket(struct metrics_render *m, const struct sv_sock *s)
{
	char num[24];

	if (m->nsock >= m->c.max_series) {
		m->omitted++;
		return;
	}
	m->nsock++;
	labels_begin(m);
	label_s(&m->lab, "protocol", sv_proto_name(s->proto));
	endpoint_label(&m->lab, "local", s, &s->local, true);
	endpoint_label(&m->lab, "peer", s, &s->peer, false);
	if (s->has & SV_HAS_INODE) {
		sv_u64_to_text(s->inode, num);
		label_s(&m->lab, "inode", num);
	}
	labels_owner(m);
	if (s->has & SV_HAS_QUEUES) {
		sample_line(&m->sock[0], "sockview_socket_recv_queue_bytes",
			    &m->lab, s->recv_q);
		sample_line(&m->sock[1], "sockview_socket_send_queue_bytes",
			    &m->lab, s->send_q);
	}
	if (s->proto == SV_PROTO_TCP &&
	    sv_tcpi_has(s->tcpi_len, total_retrans))
		sample_line(&m->sock[2],
			    "sockview_socket_retransmitted_segments_total",
			    &m->lab, s->tcpi.total_retrans);
	if (s->proto == SV_PROTO_TCP && sv_tcpi_has(s->tcpi_len, rtt) &&
	    s->state == SV_TCP_ESTABLISHED) {
		/* rtt is in microseconds */
		char v[40];

		sv_strbuf_adds(&m->sock[3], "sockview_socket_rtt_seconds{");
		sv_strbuf_add(&m->sock[3], m->lab.p, m->lab.len);
		snprintf(v, sizeof(v), "} %u.%06u\n", s->tcpi.rtt / 1000000,
			 s->tcpi.rtt % 1000000);
		sv_strbuf_adds(&m->sock[3], v);
	}
}

static void metrics_sock(struct sv_render *r, const struct sv_row *row)
{
	struct metrics_render *m = (struct metrics_render *)r;
	const struct sv_sock *s = row->s;

	m->owner = row->j->container;
	count_state(m, s);
	if (is_listener(s))
		count_listener(m, s);
	if (s->proto == SV_PROTO_TCP &&
	    (s->state == SV_TCP_SYN_RECV || s->state == SV_TCP_NEW_SYN_RECV))
		count_synrecv(m, s);
	count_totals(m, s);
	if (m->c.top)
		count_comms(m, row->j);
	if (m->c.per_socket && m->c.per_socket(row, m->c.arg))
		per_socket(m, s);
}

void sv_metrics_netns(struct sv_render *r, uint64_t inode, const char *name)
{
	struct metrics_render *m = (struct metrics_render *)r;
	char num[24];

	sv_u64_to_text(inode, num);
	m->ns.len = 0;
	label_s(&m->ns, "netns", num);
	m->ns_idx++;
	if (!m->c.netns_info)
		return;
	sv_strbuf_adds(&m->nsinfo, "sockview_netns_info{");
	sv_strbuf_add(&m->nsinfo, m->ns.p, m->ns.len);
	if (name)
		label_s(&m->nsinfo, "name", name);
	sv_strbuf_add(&m->nsinfo, "} 1\n", 4);
}

void sv_metrics_duration(struct sv_render *r, double seconds)
{
	struct metrics_render *m = (struct metrics_render *)r;

	m->duration = seconds;
	m->has_duration = true;
}

/* # HELP and # TYPE (and # UNIT in OpenMetrics).  A counter's family
 * is named without _total in OpenMetrics, with it in the 0.0.4 text. */
static void family(struct metrics_render *m, const char *name,
		   const char *type, const char *unit, const char *help)
{
	struct sv_out *o = m->o;
	bool counter = !strcmp(type, "counter");
	const char *total = counter && !m->c.openmetrics ? "_total" : "";

	sv_out_str(o, "# HELP ");
	sv_out_str(o, name);
	sv_out_str(o, total);
	sv_out_char(o, ' ');
	sv_out_str(o, help);
	sv_out_str(o, "\n# TYPE ");
	sv_out_str(o, name);
	sv_out_str(o, total);
	sv_out_char(o, ' ');
	sv_out_str(o, type);
	sv_out_char(o, '\n');
	if (unit && m->c.openmetrics) {
		sv_out_str(o, "# UNIT ");
		sv_out_str(o, name);
		sv_out_char(o, ' ');
		sv_out_str(o, unit);
		sv_out_char(o, '\n');
	}
}

static void sample_x(struct metrics_render *m, const char *name,
		     const char *labels, size_t len, const char *extra,
		     uint64_t v)
{
	sv_out_str(m->o, name);
	if (len) {
		sv_out_char(m->o, '{');
		sv_out_mem(m->o, labels, len);
		if (extra) {
			sv_out_char(m->o, ',');
			sv_out_str(m->o, extra);
		}
		sv_out_char(m->o, '}');
	}
	sv_out_char(m->o, ' ');
	sv_out_u64(m->o, v);
	sv_out_char(m->o, '\n');
}

static void sample(struct metrics_render *m, const char *name,
		   const char *labels, size_t len, uint64_t v)
{
	sample_x(m, name, labels, len, NULL, v);
}

/* Every series of one map, value k, where the present-bit (if any) is
 * set. */
static void samples(struct metrics_render *m, const char *name,
		    const struct smap *s, int k, int has)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (has < 0 || s->e[i].v[has])
			sample_x(m, name, s->e[i].labels, s->e[i].len,
				 s->e[i].extra, s->e[i].v[k]);
}

static bool any(const struct smap *s, int has)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].v[has])
			return true;
	return false;
}

/* The listener a request socket waits on: its own address, else the
 * wildcard address of its family on the same port. */
static void attribute_synrecv(struct metrics_render *m)
{
	size_t i;

	for (i = 0; i < m->synrecv.n; i++) {
		const struct series *r = &m->synrecv.e[i];
		struct series *l = smap_find(&m->listeners, r->labels, r->len);
		const char *ns = strstr(r->labels, ",netns=");
		char text[32];

		if (!l && ns) {
			snprintf(text, sizeof(text),
				 r->v[S_FAMILY] == AF_INET6 ? "[::]:%u"
							    : "0.0.0.0:%u",
				 (unsigned)r->v[S_PORT]);
			labels_begin(m);
			label_s(&m->lab, "protocol", "tcp");
			label_s(&m->lab, "local", text);
			sv_strbuf_adds(&m->lab, ns);
			l = smap_find(&m->listeners, m->lab.p, m->lab.len);
		}
		if (l)
			l->v[L_SYN] += r->v[S_COUNT];
	}
}

static void listener_metrics(struct metrics_render *m)
{
	size_t i;

	family(m, "sockview_listener_accept_queue_length", "gauge", NULL,
	       "Connections established and waiting in the accept queue of "
	       "the listeners on this local address (not yet accepted).");
	samples(m, "sockview_listener_accept_queue_length", &m->listeners,
		L_QLEN, -1);
	family(m, "sockview_listener_accept_queue_limit", "gauge", NULL,
	       "The backlog of the listeners on this local address: the "
	       "accept queue holds this many plus one before the kernel "
	       "drops.");
	samples(m, "sockview_listener_accept_queue_limit", &m->listeners,
		L_BACKLOG, -1);
	if (m->c.states & SV_SF(SV_TCP_SYN_RECV)) {
		family(m, "sockview_listener_syn_recv", "gauge", NULL,
		       "Connection requests in SYN-RECV (half open) waiting "
		       "for the handshake's last ACK, per TCP listener.");
		for (i = 0; i < m->listeners.n; i++)
			if (!strncmp(m->listeners.e[i].labels,
				     "protocol=\"tcp\"", 14))
				sample_x(m, "sockview_listener_syn_recv",
					 m->listeners.e[i].labels,
					 m->listeners.e[i].len,
					 m->listeners.e[i].extra,
					 m->listeners.e[i].v[L_SYN]);
	}
	if (any(&m->listeners, L_HAS_DROPS)) {
		family(m, "sockview_listener_drops", "counter", NULL,
		       "Packets the TCP listeners on this local address "
		       "dropped since they were created (sk_drops: full "
		       "accept or SYN queue, memory).");
		samples(m, "sockview_listener_drops_total", &m->listeners,
			L_DROPS, L_HAS_DROPS);
	}
}

static void total_metrics(struct metrics_render *m)
{
	family(m, "sockview_recv_queue_bytes", "gauge", "bytes",
	       "Bytes in the receive queues of the sockets of this "
	       "protocol (listeners' accept queues excluded).");
	samples(m, "sockview_recv_queue_bytes", &m->queues, T_RECVQ, -1);
	family(m, "sockview_send_queue_bytes", "gauge", "bytes",
	       "Bytes in the send queues of the sockets of this protocol "
	       "(for TCP: sent and not acknowledged, or not sent).");
	samples(m, "sockview_send_queue_bytes", &m->queues, T_SENDQ, -1);
	if (any(&m->tcp, W_HAS_RETRANS)) {
		family(m, "sockview_tcp_retransmitted_segments", "gauge", NULL,
		       "Sum of tcpi_total_retrans over the TCP sockets present "
		       "now: it falls when sockets close, hence a gauge.");
		samples(m, "sockview_tcp_retransmitted_segments", &m->tcp,
			W_RETRANS, W_HAS_RETRANS);
	}
	if (any(&m->tcp, W_HAS_WND)) {
		family(m, "sockview_tcp_zero_window_sockets", "gauge", NULL,
		       "Established TCP sockets whose peer advertises a zero "
		       "receive window (snd_wnd 0): the sender must wait.");
		samples(m, "sockview_tcp_zero_window_sockets", &m->tcp,
			W_ZEROWIN, W_HAS_WND);
	}
}

static int by_count(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->v[0] != y->v[0])
		return x->v[0] < y->v[0] ? 1 : -1;
	return strcmp(x->labels, y->labels);
}

static void comm_metrics(struct metrics_render *m)
{
	size_t i, n = m->comms.n;

	if (!m->c.top)
		return;
	qsort(m->comms.e, n, sizeof(*m->comms.e), by_count);
	family(m, "sockview_process_sockets", "gauge", NULL,
	       "Sockets held by the processes of this command name: the "
	       "names holding most (--top), each socket once per name.");
	for (i = 0; i < n && i < m->c.top; i++)
		sample(m, "sockview_process_sockets", m->comms.e[i].labels,
		       m->comms.e[i].len, m->comms.e[i].v[0]);
	family(m, "sockview_process_names", "gauge", NULL,
	       "Distinct command names holding sockets, shown or not.");
	sample(m, "sockview_process_names", NULL, 0, n);
}

static void socket_metrics(struct metrics_render *m)
{
	static const char *const name[4] = {
		"sockview_socket_recv_queue_bytes",
		"sockview_socket_send_queue_bytes",
		"sockview_socket_retransmitted_segments",
		"sockview_socket_rtt_seconds",
	};
	static const char *const type[4] = { "gauge", "gauge", "counter",
					     "gauge" };
	static const char *const unit[4] = { "bytes", "bytes", NULL,
					     "seconds" };
	static const char *const help[4] = {
		"Bytes in this socket's receive queue (--per-socket).",
		"Bytes in this socket's send queue (--per-socket).",
		"Segments this TCP socket retransmitted (--per-socket).",
		"Smoothed round-trip time of this TCP socket (--per-socket).",
	};
	size_t i;

	if (!m->c.per_socket)
		return;
	for (i = 0; i < 4; i++) {
		family(m, name[i], type[i], unit[i], help[i]);
		/* no sample at all (no RTT on a listener): no buffer */
		if (m->sock[i].len)
			sv_out_mem(m->o, m->sock[i].p, m->sock[i].len);
	}
	family(m, "sockview_per_socket_omitted", "gauge", NULL,
	       "Sockets --per-socket selected that --max-series left out.");
	sample(m, "sockview_per_socket_omitted", NULL, 0, m->omitted);
}

static void metrics_end(struct sv_render *r)
{
	struct metrics_render *m = (struct metrics_render *)r;
	char v[64];

	family(m, "sockview_sockets", "gauge", NULL,
	       "Sockets by protocol, address family, state and network "
	       "namespace (inode of /proc/PID/ns/net).");
	samples(m, "sockview_sockets", &m->states, 0, -1);
	attribute_synrecv(m);
	listener_metrics(m);
	total_metrics(m);
	comm_metrics(m);
	socket_metrics(m);
	if (m->nsinfo.len) {
		family(m, "sockview_netns_info", "gauge", NULL,
		       "Each network namespace read (--all-netns): its inode "
		       "and its /run/netns name.  Containers label the "
		       "sockets their processes hold.");
		sv_out_mem(m->o, m->nsinfo.p, m->nsinfo.len);
	}
	if (m->has_duration) {
		family(m, "sockview_scrape_duration_seconds", "gauge",
		       "seconds",
		       "Time taken to read the sockets and build these "
		       "metrics.");
		snprintf(v, sizeof(v), "sockview_scrape_duration_seconds "
			 "%.6f\n", m->duration);
		sv_out_str(m->o, v);
	}
	if (m->c.openmetrics)
		sv_out_str(m->o, "# EOF\n");
}

static void metrics_free(struct sv_render *r)
{
	struct metrics_render *m = (struct metrics_render *)r;
	size_t i;

	smap_free(&m->states);
	smap_free(&m->listeners);
	smap_free(&m->synrecv);
	smap_free(&m->queues);
	smap_free(&m->tcp);
	smap_free(&m->comms);
	for (i = 0; i < 4; i++)
		sv_strbuf_free(&m->sock[i]);
	sv_strbuf_free(&m->ns);
	sv_strbuf_free(&m->nsinfo);
	sv_strbuf_free(&m->lab);
	free(m);
}

struct sv_render *sv_metrics_new(struct sv_out *o,
				 const struct sv_metrics_conf *c)
{
	struct metrics_render *m = sv_xcalloc(1, sizeof(*m));

	m->r.sock = metrics_sock;
	m->r.end = metrics_end;
	m->r.free = metrics_free;
	m->o = o;
	m->c = *c;
	return &m->r;
}
