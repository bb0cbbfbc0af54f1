// SPDX-License-Identifier: MIT
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "diag.h"
#include "procnet.h"

/* The kernel fills at most 32 KiB per dump recvmsg; leave it room. */
#define SV_DIAG_BUF (64 * 1024)

struct sv_diag {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	char *buf;
	/* Local ports with a TCP listener: a socket on such a port was
	 * accepted (connect() never auto-binds a port a listener holds),
	 * which the relative sequence numbers need to know. */
	uint8_t listen_ports[65536 / 8];
	int listen_known;
};

int sv_diag_open(struct sv_diag **out)
{
	struct sv_diag *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->buf = malloc(SV_DIAG_BUF);
	d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->buf || !d->nl) {
		int err = d->buf ? -errno : -ENOMEM;

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

void sv_diag_close(struct sv_diag *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d->buf);
	free(d);
}

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(a);

	/* Unknown attributes from newer kernels are ignored. */
	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static void parse_skmem(const struct nlattr *a, struct sv_sock *s)
{
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n > SV_SKMEM_MAX)
		n = SV_SKMEM_MAX;
	memcpy(s->skmem, mnl_attr_get_payload(a), n * sizeof(uint32_t));
	s->skmem_n = (uint8_t)n;
}

int sv_diag_parse_inet(const struct nlmsghdr *nlh, unsigned proto,
		       struct sv_sock *s)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	struct attr_table t = { tb, INET_DIAG_MAX };
	const struct inet_diag_msg *m;
	unsigned alen;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, &t) < 0)
		return -EINVAL;

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->proto = (uint8_t)proto;
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->type = proto == SV_PROTO_TCP   ? SOCK_STREAM
		  : proto == SV_PROTO_UDP ? SOCK_DGRAM
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
		s->inode = m->idiag_inode;
		s->uid = m->idiag_uid;
		s->has |= SV_HAS_INODE | SV_HAS_UID;
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
	struct attr_table t = { tb, UNIX_DIAG_MAX };
	const struct unix_diag_msg *m;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->udiag_family != AF_UNIX)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, &t) < 0)
		return -EINVAL;

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

struct dump_ctx {
	struct sv_diag *d;
	const struct sv_diag_req *req;
	sv_sock_cb cb;
	void *arg;
	int ret;
	struct sv_sock s;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct sv_sock *s = &c->s;
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (c->req->proto == SV_PROTO_UNIX)
		err = sv_diag_parse_unix(nlh, s);
	else
		err = sv_diag_parse_inet(nlh, c->req->proto, s);
	if (err)
		return MNL_CB_OK; /* malformed: skip the message, keep going */

	if (s->proto == SV_PROTO_TCP && c->d->listen_known &&
	    s->state != SV_TCP_LISTEN &&
	    ((c->d->listen_ports[s->local.port / 8] >> (s->local.port % 8)) & 1))
		s->has |= SV_HAS_LISTENER;
	c->ret = c->cb(s, c->arg);
	return c->ret ? MNL_CB_STOP : MNL_CB_OK;
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
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	c->ret = 0;
	return MNL_CB_STOP;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static size_t put_request(struct sv_diag *d, const struct sv_diag_req *req)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf);

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->seq;

	if (req->proto == SV_PROTO_UNIX) {
		struct unix_diag_req *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = AF_UNIX;
		r->udiag_states = req->states;
		r->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS |
				UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
				UDIAG_SHOW_MEMINFO | UDIAG_SHOW_UID;
	} else {
		struct inet_diag_req_v2 *r =
			mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		r->sdiag_family = req->family;
		r->idiag_states = req->states;
		r->idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1);
		switch (req->proto) {
		case SV_PROTO_TCP:
			r->sdiag_protocol = IPPROTO_TCP;
			r->idiag_ext |= 1 << (INET_DIAG_INFO - 1) |
					1 << (INET_DIAG_CONG - 1);
			break;
		case SV_PROTO_UDP:
			r->sdiag_protocol = IPPROTO_UDP;
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

static int run_dump(struct sv_diag *d, const struct sv_diag_req *req,
		    struct dump_ctx *c)
{
	size_t len = put_request(d, req);
	unsigned int seq = d->seq;
	int ret;

	if (mnl_socket_sendto(d->nl, d->buf, len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, SV_DIAG_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
			[NLMSG_ERROR] = error_cb,
			[NLMSG_DONE] = done_cb,
		};

		ret = mnl_cb_run2(d->buf, (size_t)n, seq, d->portid, msg_cb, c,
				  ctl, NLMSG_MIN_TYPE);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return c->ret;
	}
}

static int note_listener(struct sv_sock *s, void *arg)
{
	struct sv_diag *d = arg;

	d->listen_ports[s->local.port / 8] |= (uint8_t)(1u << (s->local.port % 8));
	return 0;
}

/* One cheap dump: with only LISTEN asked, the kernel walks just the
 * listening hash, not the established one. */
static int learn_listeners(struct sv_diag *d)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	struct dump_ctx c = { .d = d, .cb = note_listener, .arg = d };
	size_t i;

	for (i = 0; i < sizeof(fams); i++) {
		struct sv_diag_req r = { .proto = SV_PROTO_TCP,
					 .family = fams[i],
					 .states = SV_SF(SV_TCP_LISTEN) };
		int err;

		c.req = &r;
		err = run_dump(d, &r, &c);
		if (err)
			return err;
	}
	d->listen_known = 1;
	return 0;
}

int sv_diag_dump(struct sv_diag *d, const struct sv_diag_req *req,
		 sv_sock_cb cb, void *arg)
{
	struct dump_ctx *c;
	int err;

	if (req->proto == SV_PROTO_TCP && !d->listen_known &&
	    (req->states & ~SV_SF(SV_TCP_LISTEN))) {
		err = learn_listeners(d);
		if (err)
			return err;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->req = req;
	c->cb = cb;
	c->arg = arg;
	err = run_dump(d, req, c);
	free(c);
	/* No raw_diag in this kernel: /proc still knows the raw sockets. */
	if (err == -ENOENT && req->proto == SV_PROTO_RAW)
		err = sv_procnet_raw_dump(req, cb, arg);
	return err;
}
