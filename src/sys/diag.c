// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sys/diag.h"
#include "sys/nlmsg.h"
#include "sys/procnet.h"

struct dump_ctx;

/* The kernel fills at most 32 KiB per dump recvmsg; leave it room. */
#define SV_DIAG_BUF ((size_t)64 * 1024)

/*
 * Requests are built in a buffer of their own, sized for the largest:
 * a dump with the longest bytecode, or SV_DIAG_EXACT_MAX exact requests
 * (each an inet_diag_req_v2, or a smaller unix_diag_req).
 */
#define SV_DIAG_DUMP_REQ                                                       \
	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_req_v2)) +         \
	 NLA_HDRLEN + NLA_ALIGN(SV_DIAG_BYTECODE_MAX))
#define SV_DIAG_EXACT_REQ                                                      \
	NLMSG_ALIGN(NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2))
#define SV_DIAG_REQ_BUF                                                        \
	(SV_DIAG_DUMP_REQ > SV_DIAG_EXACT_MAX * SV_DIAG_EXACT_REQ              \
		 ? SV_DIAG_DUMP_REQ                                            \
		 : SV_DIAG_EXACT_MAX * SV_DIAG_EXACT_REQ)

_Static_assert(sizeof(struct unix_diag_req) <= sizeof(struct inet_diag_req_v2),
	       "an exact UNIX request fits the room of an inet one");
_Static_assert(NLA_HDRLEN + SV_DIAG_BYTECODE_MAX <= UINT16_MAX,
	       "the bytecode fits one attribute's 16-bit length");

/*
 * Exact requests go out this many at a time, the next ones when these
 * are answered: the kernel drops a reply that finds the receive buffer
 * full (ENOBUFS), and the default one (rmem_default, 208 KiB) holds
 * somewhat more than a hundred TCP replies (256 at once lose some).
 */
#define SV_DIAG_EXACT_SLICE 64

struct sv_diag {
	struct mnl_socket *nl;
	unsigned int portid;
	/* a second socket, for the second dump of a pair (sv_diag_open_twin) */
	struct mnl_socket *twin;
	unsigned int twin_portid;
	char *twin_ring;
	unsigned int seq;
	char *buf; /* replies */
	char *req; /* requests */
	char *ring; /* a blocking dump's slots, made at its first use */
	int nonblock;
	struct dump_ctx *cur; /* the request under way (non-blocking use) */
	sv_diag_tap_fn tap;   /* --save: sees every request and reply */
	void *tap_arg;
};

int sv_diag_open(struct sv_diag **out)
{
	struct sv_diag *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->buf = malloc(SV_DIAG_BUF);
	d->req = malloc(SV_DIAG_REQ_BUF);
	d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->buf || !d->req || !d->nl) {
		int err = d->buf && d->req ? -errno : -ENOMEM;

		sv_diag_close(d);
		return err;
	}
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		sv_diag_close(d);
		return err;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (unsigned int)time(NULL);
	*out = d;
	return 0;
}

int sv_diag_open_twin(struct sv_diag *d)
{
	if (d->twin)
		return 0;
	d->twin = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->twin)
		return -errno;
	if (mnl_socket_bind(d->twin, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(d->twin);
		d->twin = NULL;
		return err;
	}
	d->twin_portid = mnl_socket_get_portid(d->twin);
	return 0;
}

void sv_diag_close(struct sv_diag *d)
{
	if (!d)
		return;
	/* an offline one has neither socket nor buffer */
	if (d->nl)
		mnl_socket_close(d->nl);
	if (d->twin)
		mnl_socket_close(d->twin);
	free(d->twin_ring);
	free(d->cur);
	free(d->buf);
	free(d->req);
	free(d->ring);
	free(d);
}

/*
 * A reply's attributes after its fixed header of hdr bytes, by type, up
 * to max; unknown ones from newer kernels are ignored.  As with
 * mnl_attr_parse the walk ends at the first attribute that does not
 * fit; inline, without a call per attribute, it was half the parse.
 */
static void parse_attrs(const struct nlmsghdr *nlh, size_t hdr,
			const struct nlattr **tb, unsigned max)
{
	const char *p = (const char *)mnl_nlmsg_get_payload_offset(nlh, hdr);
	/* the message's own end, not mnl's aligned tail: a short last
	 * message would be read past */
	const char *end = (const char *)nlh + nlh->nlmsg_len;

	while (end - p >= (ptrdiff_t)sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)p;
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < sizeof(struct nlattr) ||
		    a->nla_len > end - p)
			break;
		if (type <= max)
			tb[type] = a;
		p += MNL_ALIGN(a->nla_len);
	}
}

static void parse_skmem(const struct nlattr *a, struct sv_sock *s)
{
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n > SV_SKMEM_MAX)
		n = SV_SKMEM_MAX;
	memcpy(s->skmem, mnl_attr_get_payload(a), n * sizeof(uint32_t));
	s->skmem_n = (uint8_t)n;
}

static bool attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 1)
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

/* The congestion control's own record: whichever one it sent. */
static void parse_cc(const struct nlattr *const *tb, struct sv_sock *s)
{
	const struct nlattr *a;

	if ((a = tb[INET_DIAG_BBRINFO]) &&
	    mnl_attr_get_payload_len(a) >= sizeof(struct tcp_bbr_info)) {
		struct tcp_bbr_info b;

		memcpy(&b, mnl_attr_get_payload(a), sizeof(b));
		s->cc.bbr.bw = (uint64_t)b.bbr_bw_hi << 32 | b.bbr_bw_lo;
		s->cc.bbr.min_rtt = b.bbr_min_rtt;
		s->cc.bbr.pacing_gain = b.bbr_pacing_gain;
		s->cc.bbr.cwnd_gain = b.bbr_cwnd_gain;
		s->cc_kind = SV_CC_BBR;
	} else if ((a = tb[INET_DIAG_DCTCPINFO]) &&
		   mnl_attr_get_payload_len(a) >=
			   sizeof(struct tcp_dctcp_info)) {
		struct tcp_dctcp_info d;

		memcpy(&d, mnl_attr_get_payload(a), sizeof(d));
		s->cc.dctcp.enabled = d.dctcp_enabled;
		s->cc.dctcp.ce_state = d.dctcp_ce_state;
		s->cc.dctcp.alpha = d.dctcp_alpha;
		s->cc.dctcp.ab_ecn = d.dctcp_ab_ecn;
		s->cc.dctcp.ab_tot = d.dctcp_ab_tot;
		s->cc_kind = SV_CC_DCTCP;
	} else if ((a = tb[INET_DIAG_VEGASINFO]) &&
		   mnl_attr_get_payload_len(a) >=
			   sizeof(struct tcpvegas_info)) {
		memcpy(s->cc.vegas, mnl_attr_get_payload(a),
		       sizeof(s->cc.vegas));
		s->cc_kind = SV_CC_VEGAS;
	}
}

/* Attributes every inet protocol may carry, past the fixed message. */
static void parse_inet_opts(const struct nlattr *const *tb, struct sv_sock *s)
{
	const struct nlattr *a;

	if (attr_u8(tb[INET_DIAG_SKV6ONLY], &s->v6only))
		s->has |= SV_HAS_V6ONLY;
	if (attr_u8(tb[INET_DIAG_TOS], &s->tos))
		s->has |= SV_HAS_TOS;
	if (attr_u8(tb[INET_DIAG_TCLASS], &s->tclass))
		s->has |= SV_HAS_TCLASS;
	if ((a = tb[INET_DIAG_CLASS_ID]) && mnl_attr_get_payload_len(a) >= 4) {
		s->class_id = mnl_attr_get_u32(a);
		s->has |= SV_HAS_CLASS_ID;
	}
	/* two bytes of bit fields: kept as sent, first bit lowest */
	if ((a = tb[INET_DIAG_SOCKOPT]) && mnl_attr_get_payload_len(a) >= 2) {
		const uint8_t *b = mnl_attr_get_payload(a);

		s->sockopt = (uint16_t)(b[0] | b[1] << 8);
		s->has |= SV_HAS_SOCKOPT;
	}
}

int sv_diag_parse_inet(const struct nlmsghdr *nlh, unsigned proto,
		       struct sv_sock *s)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	const struct inet_diag_msg *m;
	unsigned alen;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	parse_attrs(nlh, sizeof(*m), tb, INET_DIAG_MAX);

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->proto = (uint8_t)proto;
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->type = proto == SV_PROTO_TCP || proto == SV_PROTO_MPTCP ? SOCK_STREAM
		  : proto == SV_PROTO_UDP			    ? SOCK_DGRAM
								    : SOCK_RAW;
	alen = m->idiag_family == AF_INET ? 4 : 16;
	memcpy(s->local.addr, m->id.idiag_src, alen);
	memcpy(s->peer.addr, m->id.idiag_dst, alen);
	s->local.port = ntohs(m->id.idiag_sport);
	s->peer.port = ntohs(m->id.idiag_dport);
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] |
		    (uint64_t)m->id.idiag_cookie[1] << 32;
	s->recv_q = m->idiag_rqueue;
	s->send_q = m->idiag_wqueue;
	s->timer = m->idiag_timer;
	s->retrans = m->idiag_retrans;
	s->expires_ms = m->idiag_expires;
	s->has = SV_HAS_PORTS | SV_HAS_QUEUES | SV_HAS_COOKIE | SV_HAS_TIMER;
	/* Time-wait and request minisocks have no inode and no owner: the
	 * kernel's zeros there are placeholders, not values. */
	if (s->state != SV_TCP_TIME_WAIT && s->state != SV_TCP_SYN_RECV &&
	    s->state != SV_TCP_NEW_SYN_RECV) {
		s->uid = m->idiag_uid;
		s->has |= SV_HAS_UID;
		/* 0: no file yet (still in the accept queue) or any more */
		s->inode = m->idiag_inode;
		if (s->inode)
			s->has |= SV_HAS_INODE;
	}

	if (tb[INET_DIAG_SKMEMINFO])
		parse_skmem(tb[INET_DIAG_SKMEMINFO], s);
	if (tb[INET_DIAG_SHUTDOWN] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_SHUTDOWN]) >= 1) {
		s->shutdown = mnl_attr_get_u8(tb[INET_DIAG_SHUTDOWN]);
		s->has |= SV_HAS_SHUTDOWN;
	}
	if (tb[INET_DIAG_CGROUP_ID] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_CGROUP_ID]) >= 8) {
		memcpy(&s->cgroup_id, mnl_attr_get_payload(tb[INET_DIAG_CGROUP_ID]),
		       8);
		s->has |= SV_HAS_CGROUP;
	}
	if (tb[INET_DIAG_MARK] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_MARK]) >= 4) {
		s->mark = mnl_attr_get_u32(tb[INET_DIAG_MARK]);
		s->has |= SV_HAS_MARK;
	}
	if (tb[INET_DIAG_PROTOCOL] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_PROTOCOL]) >= 1) {
		s->raw_proto = mnl_attr_get_u8(tb[INET_DIAG_PROTOCOL]);
		if (proto == SV_PROTO_RAW)
			s->has |= SV_HAS_RAW_PROTO;
	}
	if (tb[INET_DIAG_CONG]) {
		size_t n = mnl_attr_get_payload_len(tb[INET_DIAG_CONG]);

		if (n >= sizeof(s->cong))
			n = sizeof(s->cong) - 1;
		memcpy(s->cong, mnl_attr_get_payload(tb[INET_DIAG_CONG]), n);
		s->cong[n] = '\0';
		if (s->cong[0])
			s->has |= SV_HAS_CONG;
	}
	parse_inet_opts(tb, s);
	if (proto == SV_PROTO_TCP)
		parse_cc(tb, s);
	if (tb[INET_DIAG_INFO] && proto == SV_PROTO_MPTCP) {
		size_t n = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);

		if (n > sizeof(s->mptcpi))
			n = sizeof(s->mptcpi);
		memcpy(&s->mptcpi, mnl_attr_get_payload(tb[INET_DIAG_INFO]), n);
		memset((char *)&s->mptcpi + n, 0, sizeof(s->mptcpi) - n);
		s->mptcpi_len = (uint16_t)n;
	}
	if (tb[INET_DIAG_INFO] && proto == SV_PROTO_TCP) {
		size_t n = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);

		/* Fields past what we know (newer kernels) are dropped;
		 * fields past what the kernel sent stay absent. */
		if (n > sizeof(s->tcpi))
			n = sizeof(s->tcpi);
		memcpy(&s->tcpi, mnl_attr_get_payload(tb[INET_DIAG_INFO]), n);
		memset((char *)&s->tcpi + n, 0, sizeof(s->tcpi) - n);
		s->tcpi_len = (uint16_t)n;
	} else {
		s->tcpi_len = 0;
	}
	return 0;
}

int sv_diag_parse_unix(const struct nlmsghdr *nlh, struct sv_sock *s)
{
	const struct nlattr *tb[UNIX_DIAG_MAX + 1] = { 0 };
	const struct unix_diag_msg *m;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->udiag_family != AF_UNIX)
		return -EINVAL;
	parse_attrs(nlh, sizeof(*m), tb, UNIX_DIAG_MAX);

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->tcpi_len = 0;
	s->proto = SV_PROTO_UNIX;
	s->family = AF_UNIX;
	s->type = m->udiag_type;
	s->state = m->udiag_state;
	s->inode = m->udiag_ino;
	s->cookie = (uint64_t)m->udiag_cookie[0] |
		    (uint64_t)m->udiag_cookie[1] << 32;
	s->has = SV_HAS_INODE | SV_HAS_COOKIE;

	if (tb[UNIX_DIAG_NAME]) {
		s->path = mnl_attr_get_payload(tb[UNIX_DIAG_NAME]);
		s->path_len = mnl_attr_get_payload_len(tb[UNIX_DIAG_NAME]);
		/* A filesystem name ends at its NUL (the kernel counts it);
		 * an abstract one is all bytes, NULs included. */
		if (s->path_len && s->path[0])
			s->path_len = strnlen(s->path, s->path_len);
		if (s->path_len)
			s->has |= SV_HAS_PATH;
	}
	if (tb[UNIX_DIAG_PEER] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_PEER]) >= 4) {
		s->peer_inode = mnl_attr_get_u32(tb[UNIX_DIAG_PEER]);
		if (s->peer_inode)
			s->has |= SV_HAS_PEER_INODE;
	}
	if (tb[UNIX_DIAG_RQLEN] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_RQLEN]) >=
		    sizeof(struct unix_diag_rqlen)) {
		struct unix_diag_rqlen q;

		memcpy(&q, mnl_attr_get_payload(tb[UNIX_DIAG_RQLEN]), sizeof(q));
		s->recv_q = q.udiag_rqueue;
		s->send_q = q.udiag_wqueue;
		s->has |= SV_HAS_QUEUES;
	}
	if (tb[UNIX_DIAG_MEMINFO])
		parse_skmem(tb[UNIX_DIAG_MEMINFO], s);
	if (tb[UNIX_DIAG_VFS] && mnl_attr_get_payload_len(tb[UNIX_DIAG_VFS]) >=
					 sizeof(struct unix_diag_vfs)) {
		struct unix_diag_vfs v;

		memcpy(&v, mnl_attr_get_payload(tb[UNIX_DIAG_VFS]), sizeof(v));
		s->vfs_ino = v.udiag_vfs_ino;
		s->vfs_dev = v.udiag_vfs_dev;
		s->has |= SV_HAS_VFS;
	}
	/* only listeners carry it; an empty queue is an empty array */
	if (tb[UNIX_DIAG_ICONS]) {
		s->icons = mnl_attr_get_payload(tb[UNIX_DIAG_ICONS]);
		s->n_icons = mnl_attr_get_payload_len(tb[UNIX_DIAG_ICONS]) / 4;
		s->has |= SV_HAS_ICONS;
	}
	if (tb[UNIX_DIAG_SHUTDOWN] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_SHUTDOWN]) >= 1) {
		s->shutdown = mnl_attr_get_u8(tb[UNIX_DIAG_SHUTDOWN]);
		s->has |= SV_HAS_SHUTDOWN;
	}
	if (tb[UNIX_DIAG_UID] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_UID]) >= 4) {
		s->uid = mnl_attr_get_u32(tb[UNIX_DIAG_UID]);
		s->has |= SV_HAS_UID;
	}
	return 0;
}

/* netlink and packet sockets report no queues: ss shows the memory
 * allocated for receiving and sending in their place, and so do we. */
static void link_queues(const struct nlattr *a, struct sv_sock *s)
{
	parse_skmem(a, s);
	if (s->skmem_n > SK_MEMINFO_WMEM_ALLOC) {
		s->recv_q = s->skmem[SK_MEMINFO_RMEM_ALLOC];
		s->send_q = s->skmem[SK_MEMINFO_WMEM_ALLOC];
		s->has |= SV_HAS_QUEUES;
	}
}

/* netlink_diag: sockets have no state; connected ones send to one peer. */
int sv_diag_parse_netlink(const struct nlmsghdr *nlh, struct sv_sock *s)
{
	const struct nlattr *tb[NETLINK_DIAG_MAX + 1] = { 0 };
	const struct netlink_diag_msg *m;
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->ndiag_family != AF_NETLINK)
		return -EINVAL;
	parse_attrs(nlh, sizeof(*m), tb, NETLINK_DIAG_MAX);

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->tcpi_len = 0;
	s->proto = SV_PROTO_NETLINK;
	s->family = AF_NETLINK;
	s->type = m->ndiag_type;
	/* NETLINK_CONNECTED is 1: ss shows every one as UNCONN */
	s->state = m->ndiag_state == 1 ? SV_TCP_ESTABLISHED : SV_TCP_CLOSE;
	s->nl_proto = m->ndiag_protocol;
	s->portid = m->ndiag_portid;
	s->dst_portid = m->ndiag_dst_portid;
	s->dst_group = m->ndiag_dst_group;
	s->inode = m->ndiag_ino;
	s->cookie = (uint64_t)m->ndiag_cookie[0] |
		    (uint64_t)m->ndiag_cookie[1] << 32;
	s->has = SV_HAS_COOKIE | (s->inode ? SV_HAS_INODE : 0);
	if (tb[NETLINK_DIAG_MEMINFO])
		link_queues(tb[NETLINK_DIAG_MEMINFO], s);
	if ((a = tb[NETLINK_DIAG_FLAGS]) && mnl_attr_get_payload_len(a) >= 4) {
		s->nl_flags = mnl_attr_get_u32(a);
		s->has |= SV_HAS_NL_FLAGS;
	}
	return 0;
}

int sv_diag_parse_packet(const struct nlmsghdr *nlh, struct sv_sock *s)
{
	const struct nlattr *tb[PACKET_DIAG_MAX + 1] = { 0 };
	const struct packet_diag_msg *m;
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->pdiag_family != AF_PACKET)
		return -EINVAL;
	parse_attrs(nlh, sizeof(*m), tb, PACKET_DIAG_MAX);

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->tcpi_len = 0;
	s->proto = SV_PROTO_PACKET;
	s->family = AF_PACKET;
	s->type = m->pdiag_type;
	s->state = SV_TCP_CLOSE; /* no connections: ss's UNCONN */
	s->ethertype = m->pdiag_num; /* the kernel sends it in host order */
	s->inode = m->pdiag_ino;
	s->cookie = (uint64_t)m->pdiag_cookie[0] |
		    (uint64_t)m->pdiag_cookie[1] << 32;
	s->has = SV_HAS_COOKIE | (s->inode ? SV_HAS_INODE : 0);
	if ((a = tb[PACKET_DIAG_INFO]) &&
	    mnl_attr_get_payload_len(a) >= sizeof(struct packet_diag_info)) {
		struct packet_diag_info i;

		memcpy(&i, mnl_attr_get_payload(a), sizeof(i));
		s->ifindex = i.pdi_index;
		s->pk_version = i.pdi_version;
		s->pk_flags = i.pdi_flags;
		s->has |= SV_HAS_PK_INFO;
	}
	if ((a = tb[PACKET_DIAG_UID]) && mnl_attr_get_payload_len(a) >= 4) {
		s->uid = mnl_attr_get_u32(a);
		s->has |= SV_HAS_UID;
	}
	if ((a = tb[PACKET_DIAG_FANOUT]) && mnl_attr_get_payload_len(a) >= 4) {
		s->pk_fanout = mnl_attr_get_u32(a);
		s->has |= SV_HAS_PK_FANOUT;
	}
	/* a classic BPF program: 8 bytes an instruction */
	if ((a = tb[PACKET_DIAG_FILTER])) {
		s->pk_filter_len = mnl_attr_get_payload_len(a) / 8;
		s->has |= SV_HAS_PK_FILTER;
	}
	if (tb[PACKET_DIAG_MEMINFO])
		link_queues(tb[PACKET_DIAG_MEMINFO], s);
	return 0;
}

struct dump_ctx {
	struct sv_diag *d;
	unsigned proto;
	sv_sock_cb cb;
	void *arg;
	int ret;
	unsigned int seq;
	/* exact requests: how many were built, sent, and replies still to
	 * come for those sent */
	size_t exact_n, exact_sent, exact_left;
	size_t exact_size; /* bytes of each request, all alike */
	struct sv_sock s;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct sv_sock *s = &c->s;
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (c->proto == SV_PROTO_UNIX)
		err = sv_diag_parse_unix(nlh, s);
	else if (c->proto == SV_PROTO_NETLINK)
		err = sv_diag_parse_netlink(nlh, s);
	else if (c->proto == SV_PROTO_PACKET)
		err = sv_diag_parse_packet(nlh, s);
	else
		err = sv_diag_parse_inet(nlh, c->proto, s);
	if (!err) {
		c->ret = c->cb(s, c->arg);
	}
	/* a malformed message is skipped; the dump goes on */
	if (c->exact_left && --c->exact_left == 0)
		return MNL_CB_STOP;
	return c->ret ? MNL_CB_STOP : MNL_CB_OK;
}

/* A reply's error code as an errno; INT_MIN has no positive form, and a
 * reply from a capture can hold anything. */
static int errno_from_reply(int err)
{
	if (err == INT_MIN)
		return EPROTO;
	return err < 0 ? -err : err;
}

/* A dump that fails after it started ends in NLMSG_DONE carrying the
 * error (raw_diag missing: -ENOENT); libmnl's default ignores it. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = errno_from_reply(err);
			return MNL_CB_ERROR;
		}
	}
	c->ret = 0;
	return MNL_CB_STOP;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct dump_ctx *c = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (c->exact_left) {
		/* an exact request for a socket that is gone: not an error */
		if (--c->exact_left == 0)
			return MNL_CB_STOP;
		return MNL_CB_OK;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = errno_from_reply(e->error);
	return MNL_CB_ERROR;
}

static struct nlmsghdr *put_header(struct sv_diag *d, char *at, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = d->seq;
	return nlh;
}

#define UNIX_SHOW                                                              \
	(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |                  \
	 UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_MEMINFO |            \
	 UDIAG_SHOW_UID)

/* What every inet request asks for.  The TOS and TCLASS bits bring the
 * class id too (CLASS_ID's own bit is past idiag_ext's eight); the
 * VEGASINFO bit asks any congestion control for its record (bbr and
 * dctcp answer to it too). */
#define INET_EXT                                                               \
	(1 << (INET_DIAG_SKMEMINFO - 1) | 1 << (INET_DIAG_TOS - 1) |           \
	 1 << (INET_DIAG_TCLASS - 1))
#define TCP_EXT                                                                \
	(1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) |               \
	 1 << (INET_DIAG_VEGASINFO - 1))

static size_t put_request(struct sv_diag *d, char *at,
			  const struct sv_diag_req *req)
{
	struct nlmsghdr *nlh = put_header(d, at, NLM_F_DUMP);

	if (req->proto == SV_PROTO_UNIX) {
		struct unix_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = AF_UNIX;
		r->udiag_states = req->states;
		r->udiag_show = UNIX_SHOW;
	} else if (req->proto == SV_PROTO_NETLINK) {
		struct netlink_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = AF_NETLINK;
		r->sdiag_protocol = NDIAG_PROTO_ALL;
		r->ndiag_show = NDIAG_SHOW_MEMINFO | NDIAG_SHOW_FLAGS;
	} else if (req->proto == SV_PROTO_PACKET) {
		struct packet_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = AF_PACKET;
		r->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO |
				PACKET_SHOW_FANOUT | PACKET_SHOW_FILTER;
	} else {
		struct inet_diag_req_v2 *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = req->family;
		r->idiag_states = req->states;
		r->idiag_ext = req->bare ? 0 : INET_EXT;
		switch (req->proto) {
		case SV_PROTO_TCP:
			r->sdiag_protocol = IPPROTO_TCP;
			if (!req->bare)
				r->idiag_ext |= TCP_EXT;
			break;
		case SV_PROTO_UDP:
			r->sdiag_protocol = IPPROTO_UDP;
			break;
		case SV_PROTO_MPTCP:
			/* past a u8: the low byte here, the whole number in
			 * INET_DIAG_REQ_PROTOCOL */
			r->sdiag_protocol = IPPROTO_MPTCP & 0xff;
			if (!req->bare)
				r->idiag_ext |= 1 << (INET_DIAG_INFO - 1);
			mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL,
					 IPPROTO_MPTCP);
			break;
		default:
			/* raw_diag: IPPROTO_RAW in pad asks for every raw
			 * socket whatever its protocol. */
			r->sdiag_protocol = IPPROTO_RAW;
			r->pad = IPPROTO_RAW;
			break;
		}
		if (req->bytecode)
			mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE,
				     req->bytecode_len, req->bytecode);
	}
	return nlh->nlmsg_len;
}

static int send_all(struct sv_diag *d, const char *p, size_t len)
{
	if (mnl_socket_sendto(d->nl, p, len) < 0)
		return -errno;
	return 0;
}

static int send_request(struct sv_diag *d, const struct sv_diag_req *req)
{
	/* what fits one attribute fits the buffer */
	if (req->bytecode_len > SV_DIAG_BYTECODE_MAX)
		return -E2BIG;
	return send_all(d, d->req, put_request(d, d->req, req));
}

/* The next slice of the exact requests built. */
static int send_exact_slice(struct sv_diag *d, struct dump_ctx *c)
{
	size_t n = c->exact_n - c->exact_sent;

	if (n > SV_DIAG_EXACT_SLICE)
		n = SV_DIAG_EXACT_SLICE;
	c->exact_left = n;
	c->exact_sent += n;
	return send_all(d, d->req + (c->exact_sent - n) * c->exact_size,
			n * c->exact_size);
}

void sv_diag_set_tap(struct sv_diag *d, sv_diag_tap_fn fn, void *arg)
{
	d->tap = fn;
	d->tap_arg = arg;
}

static void tap_request(struct sv_diag *d, const struct sv_diag_req *req)
{
	if (d->tap)
		d->tap(d->tap_arg, req, 0, NULL, 0);
}

/*
 * One receive: 1 while more is to come (or nothing was there yet on a
 * non-blocking socket), 0 when the reply is complete, or -errno.
 */
static int step(struct sv_diag *d, struct dump_ctx *c)
{
	static const mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	ssize_t n;
	int ret;

	n = recv(mnl_socket_get_fd(d->nl), d->buf, SV_DIAG_BUF,
		 d->nonblock ? MSG_DONTWAIT : 0);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 1;
		return -errno;
	}
	if (d->tap)
		d->tap(d->tap_arg, NULL, 0, d->buf, (size_t)n);
	ret = mnl_cb_run2(d->buf, (size_t)n, c->seq, d->portid, msg_cb, c,
			  (mnl_cb_t *)ctl, NLMSG_MIN_TYPE);
	if (ret < 0)
		return -errno;
	if (ret != MNL_CB_STOP)
		return 1;
	if (c->ret)
		return c->ret < 0 ? c->ret : 0;
	if (c->exact_sent < c->exact_n) {
		ret = send_exact_slice(d, c);
		return ret ? ret : 1;
	}
	return 0;
}

static int run_dump(struct sv_diag *d, const struct sv_diag_req *req,
		    struct dump_ctx *c)
{
	int err;

	d->seq++;
	c->seq = d->seq;
	c->proto = req->proto;
	tap_request(d, req);
	err = send_request(d, req);
	while (!err) {
		err = step(d, c);
		if (err == 1)
			err = 0;
		else
			return err ? err : c->ret;
	}
	return err;
}

/*
 * A blocking dump reads on a thread of its own.  The kernel does its
 * share (walking the tables, filling the replies) inside recv(), so
 * while one thread waits there the caller's thread parses and prints
 * what came before: on two cores the dump costs about the larger of the
 * two, not their sum.  Replies go through a ring of RING_SLOTS buffers.
 */
#define RING_SLOTS 4
/* Several receives fill one slot (the kernel puts at most 32 KiB in
 * each): a handoff per receive cost more than the overlap saved. */
#define RING_SLOT ((size_t)256 * 1024)

struct ring {
	struct sv_diag *d;
	struct mnl_socket *nl; /* the socket read */
	unsigned int portid;
	/* a request the reader sends before it reads, or none */
	const char *send;
	size_t send_len;
	unsigned int seq;
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	char *buf;		    /* RING_SLOTS * RING_SLOT */
	ssize_t len[RING_SLOTS];    /* bytes, or -errno */
	bool last[RING_SLOTS];	    /* the reply ends in this one */
	size_t head, tail, count;
};

/* The reply to request seq ends in this buffer: its NLMSG_DONE or an
 * NLMSG_ERROR.  Messages of an older request are not ours. */
static bool ends_reply(const char *buf, size_t n, unsigned int seq)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len))
		if ((h->nlmsg_type == NLMSG_DONE ||
		     h->nlmsg_type == NLMSG_ERROR) && h->nlmsg_seq == seq)
			return true;
	return false;
}

/* Receives into one slot while another reply fits: its bytes, or
 * -errno; *last when the reply ended in it (or an error did). */
static ssize_t fill_slot(struct ring *r, int fd, char *buf, bool *last)
{
	size_t off = 0;

	while (!*last && RING_SLOT - off >= SV_DIAG_BUF) {
		ssize_t n = recv(fd, buf + off, SV_DIAG_BUF, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*last = true;
			return n < 0 ? -errno : -EPROTO;
		}
		*last = ends_reply(buf + off, (size_t)n, r->seq);
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static void *ring_reader(void *arg)
{
	struct ring *r = arg;
	int fd = mnl_socket_get_fd(r->nl);
	bool last = false;

	if (r->send_len && mnl_socket_sendto(r->nl, r->send, r->send_len) < 0) {
		int err = errno;

		/* the error in the first slot, as the reply */
		pthread_mutex_lock(&r->mu);
		r->len[r->head] = -err;
		r->last[r->head] = true;
		r->head = (r->head + 1) % RING_SLOTS;
		r->count++;
		pthread_cond_signal(&r->filled);
		pthread_mutex_unlock(&r->mu);
		return NULL;
	}
	while (!last) {
		size_t slot;
		ssize_t n;

		pthread_mutex_lock(&r->mu);
		while (r->count == RING_SLOTS)
			pthread_cond_wait(&r->freed, &r->mu);
		slot = r->head;
		pthread_mutex_unlock(&r->mu);

		n = fill_slot(r, fd, r->buf + slot * RING_SLOT, &last);
		pthread_mutex_lock(&r->mu);
		r->len[slot] = n;
		r->last[slot] = last;
		r->head = (slot + 1) % RING_SLOTS;
		r->count++;
		pthread_cond_signal(&r->filled);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* The next buffer the reader filled: its slot. */
static size_t ring_take(struct ring *r)
{
	size_t slot;

	pthread_mutex_lock(&r->mu);
	while (!r->count)
		pthread_cond_wait(&r->filled, &r->mu);
	slot = r->tail;
	pthread_mutex_unlock(&r->mu);
	return slot;
}

static void ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->tail = (r->tail + 1) % RING_SLOTS;
	r->count--;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->mu);
}

/* Every buffer of the reply through the callbacks, as step() does. */
static int ring_consume(struct ring *r, struct dump_ctx *c)
{
	static const mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct sv_diag *d = r->d;
	int err = 0;
	bool last;

	do {
		size_t slot = ring_take(r);
		const char *buf = r->buf + slot * RING_SLOT;
		ssize_t n = r->len[slot];
		int ret;

		last = r->last[slot];
		if (n < 0) {
			ring_release(r);
			return (int)n;
		}
		if (d->tap)
			d->tap(d->tap_arg, NULL, 0, buf, (size_t)n);
		ret = mnl_cb_run2(buf, (size_t)n, c->seq, r->portid, msg_cb, c,
				  (mnl_cb_t *)ctl, NLMSG_MIN_TYPE);
		if (ret < 0)
			err = -errno;
		ring_release(r);
		if (ret < 0)
			break;
		if (ret == MNL_CB_STOP)
			return c->ret;
		if (last)
			return -EPROTO; /* it ended, but not in our reply */
	} while (!last);
	/* stopped early: the reader goes on to the end of the reply, so
	 * that nothing of it is left for the next request */
	while (!last) {
		last = r->last[ring_take(r)];
		ring_release(r);
	}
	return err;
}

/* Slots kept for the next dump (every table and namespace makes one):
 * *slots, made at the first use. */
static int ring_init(struct ring *r, struct sv_diag *d, struct mnl_socket *nl,
		     unsigned int portid, char **slots)
{
	if (!*slots)
		*slots = malloc(RING_SLOTS * RING_SLOT);
	if (!*slots)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->nl = nl;
	r->portid = portid;
	r->buf = *slots;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->filled, NULL);
	pthread_cond_init(&r->freed, NULL);
	return 0;
}

static void ring_destroy(struct ring *r)
{
	pthread_cond_destroy(&r->freed);
	pthread_cond_destroy(&r->filled);
	pthread_mutex_destroy(&r->mu);
}

static int run_dump_ring(struct sv_diag *d, const struct sv_diag_req *req,
			 struct dump_ctx *c)
{
	struct ring r;
	pthread_t t;
	int err = ring_init(&r, d, d->nl, d->portid, &d->ring);

	if (err)
		return err;
	d->seq++;
	c->seq = r.seq = d->seq;
	c->proto = req->proto;
	tap_request(d, req);
	err = send_request(d, req);
	if (err)
		goto out;
	err = -pthread_create(&t, NULL, ring_reader, &r);
	if (!err) {
		err = ring_consume(&r, c);
		pthread_join(t, NULL);
	} else {
		/* no thread to spare: read on this one */
		while ((err = step(d, c)) == 1)
			;
		err = err ? err : c->ret;
	}
out:
	ring_destroy(&r);
	return err;
}

static struct dump_ctx *new_ctx(struct sv_diag *d, sv_sock_cb cb, void *arg)
{
	struct dump_ctx *c = calloc(1, sizeof(*c));

	if (c) {
		c->d = d;
		c->cb = cb;
		c->arg = arg;
	}
	return c;
}

/* A pair's request built apart from d->req, which the first one uses:
 * a dump without bytecode. */
#define PAIR_REQ_BUF                                                           \
	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_req_v2)) + 64)

static bool pairable(const struct sv_diag *d, const struct sv_diag_req *req)
{
	return d->twin && !d->nonblock && !d->tap && !req[0].bytecode &&
	       !req[1].bytecode && req[0].proto != SV_PROTO_RAW &&
	       req[1].proto != SV_PROTO_RAW && sv_proto_inet(req[1].proto);
}

void sv_diag_dump_pair(struct sv_diag *d, const struct sv_diag_req req[2],
		       sv_sock_cb cb, void *arg, int err[2])
{
	char second[PAIR_REQ_BUF] __attribute__((aligned(8)));
	struct dump_ctx *c[2] = { NULL, NULL };
	struct ring r;
	pthread_t t;
	bool started = false;

	if (pairable(d, req) &&
	    !ring_init(&r, d, d->twin, d->twin_portid, &d->twin_ring)) {
		c[0] = new_ctx(d, cb, arg);
		c[1] = new_ctx(d, cb, arg);
		if (c[0] && c[1]) {
			d->seq++;
			c[1]->seq = r.seq = d->seq;
			c[1]->proto = req[1].proto;
			r.send = second;
			r.send_len = put_request(d, second, &req[1]);
			started = !pthread_create(&t, NULL, ring_reader, &r);
		}
		if (!started)
			ring_destroy(&r);
	}
	if (!started) {
		free(c[0]);
		free(c[1]);
		err[0] = sv_diag_dump(d, &req[0], cb, arg);
		err[1] = sv_diag_dump(d, &req[1], cb, arg);
		return;
	}
	/* the first on this socket meanwhile, as alone */
	err[0] = run_dump_ring(d, &req[0], c[0]);
	err[1] = ring_consume(&r, c[1]);
	pthread_join(t, NULL);
	ring_destroy(&r);
	free(c[0]);
	free(c[1]);
}

int sv_diag_dump(struct sv_diag *d, const struct sv_diag_req *req,
		 sv_sock_cb cb, void *arg)
{
	struct dump_ctx *c = new_ctx(d, cb, arg);
	int err;

	if (!c)
		return -ENOMEM;
	err = d->nonblock ? run_dump(d, req, c) : run_dump_ring(d, req, c);
	free(c);
	/* No raw_diag in this kernel: /proc still knows the raw sockets. */
	if (err == -ENOENT && req->proto == SV_PROTO_RAW)
		err = sv_procnet_raw_dump(req, cb, arg);
	return err;
}

/*
 * --load: replies read earlier, parsed as if they came now.
 */
int sv_diag_new_offline(struct sv_diag **out)
{
	struct sv_diag *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

int sv_diag_replay(struct sv_diag *d, unsigned proto, int internal,
		   const void *buf, size_t len, sv_sock_cb cb, void *arg)
{
	static const mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct dump_ctx *c;
	int ret;

	/* a file, not the kernel: libmnl's walk trusts every nlmsg_len */
	if (!sv_nlmsg_buf_ok(buf, len))
		return -EINVAL;
	/* older captures hold a listener dump of our own: no longer used */
	if (internal)
		return 0;
	c = new_ctx(d, cb, arg);
	if (!c)
		return -ENOMEM;
	c->proto = proto;
	/* seq and port 0: no check, the file is the only sender */
	ret = mnl_cb_run2(buf, len, 0, 0, msg_cb, c, (mnl_cb_t *)ctl,
			  NLMSG_MIN_TYPE);
	if (ret < 0)
		ret = -errno;
	else
		ret = c->ret;
	free(c);
	return ret;
}

/* The non-blocking interface: begin one request, then step on POLLIN. */

int sv_diag_set_nonblock(struct sv_diag *d)
{
	int fd = mnl_socket_get_fd(d->nl);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	d->nonblock = 1;
	return 0;
}

int sv_diag_fd(const struct sv_diag *d)
{
	return mnl_socket_get_fd(d->nl);
}

static int begin_ctx(struct sv_diag *d, unsigned proto, sv_sock_cb cb,
		     void *arg)
{
	if (!d->cur) {
		d->cur = calloc(1, sizeof(*d->cur));
		if (!d->cur)
			return -ENOMEM;
	}
	memset(d->cur, 0, offsetof(struct dump_ctx, s));
	d->cur->d = d;
	d->cur->proto = proto;
	d->cur->cb = cb;
	d->cur->arg = arg;
	d->cur->seq = ++d->seq;
	return 0;
}

int sv_diag_begin(struct sv_diag *d, const struct sv_diag_req *req,
		  sv_sock_cb cb, void *arg)
{
	int err = begin_ctx(d, req->proto, cb, arg);

	return err ? err : send_request(d, req);
}

/* n requests of len bytes in all, built in d->req: the first slice goes. */
static int begin_exact(struct sv_diag *d, size_t n, size_t len)
{
	d->cur->exact_n = n;
	d->cur->exact_size = len / n;
	return send_exact_slice(d, d->cur);
}

int sv_diag_begin_unix_inodes(struct sv_diag *d, const uint64_t *inodes,
			      size_t n, sv_sock_cb cb, void *arg)
{
	size_t i, len = 0;
	int err;

	if (!n || n > SV_DIAG_EXACT_MAX)
		return -EINVAL;
	err = begin_ctx(d, SV_PROTO_UNIX, cb, arg);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh = put_header(d, d->req + len, 0);
		struct unix_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = AF_UNIX;
		r->udiag_ino = (uint32_t)inodes[i];
		r->udiag_show = UNIX_SHOW;
		/* any cookie: the inode alone names the socket */
		r->udiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->udiag_cookie[1] = INET_DIAG_NOCOOKIE;
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return begin_exact(d, n, len);
}

int sv_diag_begin_inet_exact(struct sv_diag *d, unsigned proto,
			      const struct sv_sock *const *socks, size_t n,
			      sv_sock_cb cb, void *arg)
{
	size_t i, len = 0;
	int err;

	if (!n || n > SV_DIAG_EXACT_MAX ||
	    (proto != SV_PROTO_TCP && proto != SV_PROTO_UDP))
		return -EINVAL;
	err = begin_ctx(d, proto, cb, arg);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		const struct sv_sock *s = socks[i];
		struct nlmsghdr *nlh = put_header(d, d->req + len, 0);
		struct inet_diag_req_v2 *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		size_t alen = s->family == AF_INET ? 4 : 16;

		r->sdiag_family = s->family;
		r->sdiag_protocol = proto == SV_PROTO_TCP ? IPPROTO_TCP
							  : IPPROTO_UDP;
		r->idiag_ext = INET_EXT;
		if (proto == SV_PROTO_TCP)
			r->idiag_ext |= TCP_EXT;
		r->idiag_states = SV_STATES_ALL;
		/* the socket's own id: a hash lookup, not a table walk */
		r->id.idiag_sport = htons(s->local.port);
		r->id.idiag_dport = htons(s->peer.port);
		memcpy(r->id.idiag_src, s->local.addr, alen);
		memcpy(r->id.idiag_dst, s->peer.addr, alen);
		r->id.idiag_if = s->ifindex;
		/* no cookie: any socket with these names (0 would match
		 * none: the kernel compares it) */
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
		if ((s->has & SV_HAS_COOKIE) && s->cookie) {
			r->id.idiag_cookie[0] = (uint32_t)s->cookie;
			r->id.idiag_cookie[1] = (uint32_t)(s->cookie >> 32);
		}
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return begin_exact(d, n, len);
}

int sv_diag_step(struct sv_diag *d)
{
	return d->cur ? step(d, d->cur) : 0;
}

int sv_diag_destroy_open(void)
{
	static const int groups[] = {
		SKNLGRP_INET_TCP_DESTROY,
		SKNLGRP_INET_UDP_DESTROY,
		SKNLGRP_INET6_TCP_DESTROY,
		SKNLGRP_INET6_UDP_DESTROY,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, err, rcvbuf = 4 << 20;
	size_t i;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* a busy target closes thousands of sockets a second and the
	 * reader may be late by a tick: room for a few thousand records
	 * (the forced size needs CAP_NET_ADMIN; else what rmem_max allows) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		goto fail;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &groups[i], sizeof(groups[i])) < 0)
			goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static unsigned destroy_proto(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct inet_diag_msg))
		if (mnl_attr_get_type(a) == INET_DIAG_PROTOCOL &&
		    mnl_attr_get_payload_len(a) >= 1)
			return *(const uint8_t *)mnl_attr_get_payload(a) ==
					       IPPROTO_UDP
				       ? SV_PROTO_UDP
				       : SV_PROTO_TCP;
	return SV_PROTO_TCP;
}

int sv_diag_destroy_read(int fd, sv_sock_cb cb, void *arg)
{
	static char buf[65536] __attribute__((aligned(8)));
	int dropped = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				dropped = -ENOBUFS;
				continue;
			}
			return errno == EAGAIN ? dropped : -errno;
		}
		for (len = (int)n; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct sv_sock s;

			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    sv_diag_parse_inet(nlh, destroy_proto(nlh), &s))
				continue;
			cb(&s, arg);
		}
	}
}
