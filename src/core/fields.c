// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/escape.h"
#include "core/cgroup.h"
#include "core/fields.h"
#include "core/strbuf.h"
#include "core/util.h"

static const char *const group_names[] = {
	[SV_GRP_IDENTITY] = "identity", [SV_GRP_BUFFERS] = "buffers",
	[SV_GRP_STATE] = "state",	[SV_GRP_SEQ] = "seq",
	[SV_GRP_WINDOW] = "window",	[SV_GRP_TIMER] = "timer",
	[SV_GRP_LINKS] = "links",
};

static bool same_obj(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

void sv_fields_order(const struct sv_field *t, size_t n, uint16_t *order)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (!t[i].obj) {
			order[k++] = (uint16_t)i;
			continue;
		}
		for (j = 0; j < i && !same_obj(t[j].obj, t[i].obj); j++)
			;
		if (j < i)
			continue; /* placed with an earlier member */
		for (j = i; j < n; j++)
			if (same_obj(t[j].obj, t[i].obj))
				order[k++] = (uint16_t)j;
	}
}

const char *sv_group_name(unsigned group)
{
	return group < sizeof(group_names) / sizeof(group_names[0])
		       ? group_names[group]
		       : "?";
}

static bool set_u64(struct sv_val *v, uint64_t u)
{
	v->type = SV_V_U64;
	v->u = u;
	return true;
}

static bool set_str(struct sv_val *v, const char *s, const char *t)
{
	v->type = SV_V_STR;
	v->s = s;
	v->n = strlen(s);
	v->t = t;
	return true;
}

/* identity */

static bool get_protocol(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	static const char *const unix_netid[] = {
		[SOCK_STREAM] = "u_str",
		[SOCK_DGRAM] = "u_dgr",
		[SOCK_SEQPACKET] = "u_seq",
	};
	const char *t = NULL;

	(void)f;
	if (s->proto == SV_PROTO_UNIX && s->type <= SOCK_SEQPACKET)
		t = unix_netid[s->type];
	/* ss's netids */
	if (s->proto == SV_PROTO_NETLINK)
		t = "nl";
	if (s->proto == SV_PROTO_PACKET)
		t = s->type == SOCK_DGRAM ? "p_dgr" : "p_raw";
	return set_str(v, sv_proto_name(s->proto), t);
}

static bool get_family(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return set_str(v, sv_family_name(s->family), NULL);
}

static bool get_type(const struct sv_row *r, const struct sv_field *f,
		     struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return set_str(v, sv_type_name(s->type), NULL);
}

static bool get_state(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return set_str(v, sv_state_name(s->state), sv_state_short(s->state));
}

static bool get_endpoint(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	bool peer = f->arg;

	v->type = SV_V_ENDPOINT;
	v->family = s->family;
	v->unix_peer = false;
	v->host = v->service = NULL;
	v->ep = NULL;
	v->s = NULL;
	v->n = 0;
	if (s->family == AF_NETLINK) {
		/* local: protocol and port id; peer: where it sends */
		v->unix_peer = peer;
		v->u = peer ? s->dst_portid : s->portid;
		v->n = peer ? s->dst_group : s->nl_proto;
		return true;
	}
	if (s->family == AF_PACKET) {
		/* local: the ethertype and the device; no peer */
		if (peer)
			return false;
		v->u = s->ethertype;
		v->n = s->ifindex;
		v->s = r->j->ifname;
		return true;
	}
	if (s->family != AF_UNIX) {
		if (!(s->has & SV_HAS_PORTS))
			return false;
		v->ep = peer ? &s->peer : &s->local;
		v->host = r->j->host[peer];
		v->service = r->j->service[peer];
		return true;
	}
	if (peer) {
		v->unix_peer = true;
		v->u = s->peer_inode;
		return s->has & SV_HAS_PEER_INODE;
	}
	/* An unnamed socket still has a local end: an empty object. */
	v->s = s->has & SV_HAS_PATH ? s->path : NULL;
	v->n = s->has & SV_HAS_PATH ? s->path_len : 0;
	return true;
}

static bool get_queue(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	if (!(s->has & SV_HAS_QUEUES))
		return false;
	return set_u64(v, f->arg ? s->send_q : s->recv_q);
}

static bool get_scope(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	const uint8_t *a = s->local.addr;
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const char *scope = "global";

	static const uint8_t any6[16];

	(void)f;
	/* the unspecified address (::) has no scope */
	if (s->family != AF_INET6 || !(s->has & SV_HAS_PORTS) ||
	    memcmp(a, any6, 16) == 0)
		return false;
	if (memcmp(a, loop6, 16) == 0)
		scope = "host";
	else if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		scope = "link";
	else if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		scope = "site";
	else if (a[0] == 0xff)
		scope = "multicast";
	else if (memcmp(a, mapped, 12) == 0)
		scope = "v4-mapped";
	return set_str(v, scope, NULL);
}

static bool get_interface(const struct sv_row *r, const struct sv_field *f,
			  struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	if (!s->ifindex || !r->j->ifname)
		return false;
	return set_str(v, r->j->ifname, NULL);
}

static bool get_ifindex(const struct sv_row *r, const struct sv_field *f,
			struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->ifindex ? set_u64(v, s->ifindex) : false;
}

/* links */

static bool get_inode(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_INODE ? set_u64(v, s->inode) : false;
}

static bool get_uid(const struct sv_row *r, const struct sv_field *f,
		    struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_UID ? set_u64(v, s->uid) : false;
}

static bool get_cookie(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_COOKIE ? set_u64(v, s->cookie) : false;
}

static bool get_cgroup(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_CGROUP ? set_u64(v, s->cgroup_id) : false;
}

static bool get_cgroup_path(const struct sv_row *r, const struct sv_field *f,
			    struct sv_val *v)
{
	(void)f;
	if (!(r->s->has & SV_HAS_CGROUP) || !r->j->cgroup_path)
		return false;
	return set_str(v, r->j->cgroup_path, NULL);
}

static bool get_netns(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_netns_label *n = r->j->netns;

	if (!n)
		return false;
	if (f->arg == 0)
		return set_u64(v, n->inode);
	return n->name ? set_str(v, n->name, NULL) : false;
}

static bool get_container(const struct sv_row *r, const struct sv_field *f,
			  struct sv_val *v)
{
	const struct sv_container *c = r->j->container;

	if (!c)
		return false;
	switch (f->arg) {
	case 0:
		return c->runtime ? set_str(v, c->runtime, NULL) : false;
	case 1:
		return c->id[0] ? set_str(v, c->id, c->short_id) : false;
	default:
		return c->pod_uid[0] ? set_str(v, c->pod_uid, NULL) : false;
	}
}

static bool get_mark(const struct sv_row *r, const struct sv_field *f,
		     struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_MARK ? set_u64(v, s->mark) : false;
}

static bool get_raw_proto(const struct sv_row *r, const struct sv_field *f,
			  struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_RAW_PROTO ? set_u64(v, s->raw_proto) : false;
}

static bool get_shutdown(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	static const char *const words[] = { "none", "read", "write", "both" };
	static const char *const arrows[] = { "<->", "-->", "<--", "---" };

	(void)f;
	if (!(s->has & SV_HAS_SHUTDOWN))
		return false;
	return set_str(v, words[s->shutdown & 3], arrows[s->shutdown & 3]);
}

static bool get_procs(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_joins *j = r->j;

	(void)f;
	if (!(j->has & SV_JOIN_PROCS))
		return false;
	v->type = SV_V_PROCS;
	v->procs = j->procs;
	v->u = j->nprocs;
	return true;
}

static bool get_rate(const struct sv_row *r, const struct sv_field *f,
		     struct sv_val *v)
{
	const struct sv_rates *x = &r->j->rates;
	/* named members, not an array: index them by name */
	const uint64_t rate[] = { x->bytes_in, x->bytes_out, x->segs_in,
				  x->segs_out, x->retrans };

	if (!(r->j->has & SV_JOIN_RATES) ||
	    f->arg >= sizeof(rate) / sizeof(rate[0]))
		return false;
	return set_u64(v, rate[f->arg]);
}

static bool get_interest(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	const struct sv_joins *j = r->j;
	/* EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLRDHUP, EPOLLONESHOT, EPOLLET;
	 * the kernel adds EPOLLERR and EPOLLHUP to every registration, so
	 * they say nothing of what the loop asked for */
	static const struct {
		uint32_t bit;
		const char *name;
	} ev[] = { { 0x001, "in" },	  { 0x002, "pri" },
		   { 0x004, "out" },	  { 0x2000, "rdhup" },
		   { 1u << 30, "oneshot" }, { 1u << 31, "et" } };
	unsigned i, n = 0;

	(void)f;
	if (!(j->has & SV_JOIN_INTEREST))
		return false;
	v->type = SV_V_LIST;
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]) && n < SV_LIST_MAX - 1; i++)
		if (j->interest & ev[i].bit)
			v->list[n++] = ev[i].name;
	v->list[n] = NULL;
	return true;
}

static bool get_v6only(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_V6ONLY ? set_u64(v, s->v6only) : false;
}

/* tos, tclass, class_id: arg says which */
static bool get_qos(const struct sv_row *r, const struct sv_field *f,
		    struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	switch (f->arg) {
	case 0:
		return s->has & SV_HAS_TOS ? set_u64(v, s->tos) : false;
	case 1:
		return s->has & SV_HAS_TCLASS ? set_u64(v, s->tclass) : false;
	default:
		return s->has & SV_HAS_CLASS_ID ? set_u64(v, s->class_id)
						: false;
	}
}

static bool get_sockopt(const struct sv_row *r, const struct sv_field *f,
			struct sv_val *v)
{
	/* struct inet_diag_sockopt's bits, lowest first */
	static const char *const names[] = {
		"recverr",     "is_icsk",	      "freebind",
		"hdrincl",     "mc_loop",	      "transparent",
		"mc_all",      "nodefrag",	      "bind_address_no_port",
		"recverr_rfc4884", "defer_connect",
	};
	const struct sv_sock *s = r->s;
	unsigned i, n = 0;

	(void)f;
	if (!(s->has & SV_HAS_SOCKOPT))
		return false;
	v->type = SV_V_LIST;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s->sockopt & (1u << i))
			v->list[n++] = names[i];
	v->list[n] = NULL;
	return true;
}

/* UNIX: the bound file's inode, and its device's major and minor (the
 * kernel's dev_t: 12 bits of major above 20 of minor) */
static bool get_vfs(const struct sv_row *r, const struct sv_field *f,
		    struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	if (!(s->has & SV_HAS_VFS))
		return false;
	switch (f->arg) {
	case 0:
		return set_u64(v, s->vfs_ino);
	case 1:
		return set_u64(v, s->vfs_dev >> 20);
	default:
		return set_u64(v, s->vfs_dev & 0xfffff);
	}
}

static bool get_icons(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	if (!(s->has & SV_HAS_ICONS) || !s->icons)
		return false;
	v->type = SV_V_U32S;
	v->s = s->icons;
	v->u = s->n_icons;
	return true;
}

static bool get_nl_flags(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	/* NDIAG_FLAG_* bits, lowest first */
	static const char *const names[] = {
		"cb_running",	   "pktinfo",	     "broadcast_error",
		"no_enobufs",	   "listen_all_nsid", "cap_ack",
	};
	const struct sv_sock *s = r->s;
	unsigned i, n = 0;

	(void)f;
	if (!(s->has & SV_HAS_NL_FLAGS))
		return false;
	v->type = SV_V_LIST;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s->nl_flags & (1u << i))
			v->list[n++] = names[i];
	v->list[n] = NULL;
	return true;
}

/* packet: arg 0 version, 1 flags, 2 fanout, 3 filter length */
static bool get_packet(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	/* PDI_* bits, lowest first */
	static const char *const names[] = {
		"running", "auxdata", "origdev", "vnet_hdr", "loss",
	};
	const struct sv_sock *s = r->s;
	unsigned i, n = 0;

	switch (f->arg) {
	case 0:
		return s->has & SV_HAS_PK_INFO ? set_u64(v, s->pk_version)
					       : false;
	case 1:
		if (!(s->has & SV_HAS_PK_INFO))
			return false;
		v->type = SV_V_LIST;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (s->pk_flags & (1u << i))
				v->list[n++] = names[i];
		v->list[n] = NULL;
		return true;
	case 2:
		return s->has & SV_HAS_PK_FANOUT ? set_u64(v, s->pk_fanout)
						 : false;
	default:
		return s->has & SV_HAS_PK_FILTER ? set_u64(v, s->pk_filter_len)
						 : false;
	}
}

/* buffers */

static bool get_skmem(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	/* /proc/net/raw has the drop counter but no other skmem value. */
	if (f->arg == 8 && (s->has & SV_HAS_DROPS))
		return set_u64(v, s->drops);
	if (f->arg >= s->skmem_n)
		return false;
	return set_u64(v, s->skmem[f->arg]);
}

/* timers */

static bool get_timer(const struct sv_row *r, const struct sv_field *f,
		      struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	if (!(s->has & SV_HAS_TIMER) || s->timer == SV_TIMER_OFF)
		return false;
	switch (f->arg) {
	case 0:
		return set_str(v, sv_timer_name(s->timer), NULL);
	case 1:
		return set_u64(v, s->expires_ms);
	default:
		return set_u64(v, s->retrans);
	}
}

/* tcp_info */

static bool get_tcpi(const struct sv_row *r, const struct sv_field *f,
		     struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	v->type = SV_V_U64;
	return sv_field_tcpi(s, f, &v->u);
}

bool sv_field_is_tcpi(const struct sv_field *f)
{
	return f->get == get_tcpi;
}

/* mptcp_info: arg is the offset, size the width, as for tcp_info. */
static bool get_mptcpi(const struct sv_row *r, const struct sv_field *f,
		       struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	const unsigned char *p = (const unsigned char *)&s->mptcpi + f->arg;
	uint64_t x = 0;

	if (s->proto != SV_PROTO_MPTCP || s->mptcpi_len < f->arg + f->size)
		return false;
	switch (f->size) {
	case 1:
		x = *p;
		break;
	case 4: {
		uint32_t y;

		memcpy(&y, p, 4);
		x = y;
		break;
	}
	default:
		memcpy(&x, p, 8);
		break;
	}
	return set_u64(v, x);
}

/* Bit fields of tcp_info: arg is the byte, size packs shift and width. */
static bool get_tcpi_bits(const struct sv_row *r, const struct sv_field *f,
			  struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	const unsigned char *p = (const unsigned char *)&s->tcpi + f->arg;
	unsigned shift = f->size >> 4, width = f->size & 15;

	if (s->tcpi_len < f->arg + 1u)
		return false;
	return set_u64(v, (*p >> shift) & ((1u << width) - 1));
}

static bool get_cong(const struct sv_row *r, const struct sv_field *f,
		     struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	return s->has & SV_HAS_CONG ? set_str(v, s->cong, NULL) : false;
}

/* The congestion control's record: arg is kind << 8 | member. */
static bool get_cc(const struct sv_row *r, const struct sv_field *f,
		   struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	unsigned i = f->arg & 0xff;

	if (s->cc_kind != f->arg >> 8)
		return false;
	switch (s->cc_kind) {
	case SV_CC_BBR: {
		const uint64_t m[] = { s->cc.bbr.bw, s->cc.bbr.min_rtt,
				       s->cc.bbr.pacing_gain,
				       s->cc.bbr.cwnd_gain };

		return i < 4 ? set_u64(v, m[i]) : false;
	}
	case SV_CC_DCTCP: {
		const uint64_t m[] = { s->cc.dctcp.enabled,
				       s->cc.dctcp.ce_state, s->cc.dctcp.alpha,
				       s->cc.dctcp.ab_ecn, s->cc.dctcp.ab_tot };

		return i < 5 ? set_u64(v, m[i]) : false;
	}
	case SV_CC_VEGAS:
		return i < 4 ? set_u64(v, s->cc.vegas[i]) : false;
	default:
		return false;
	}
}

/* ss's "send": what the window allows per round trip, in bits/s. */
static bool get_send_rate(const struct sv_row *r, const struct sv_field *f,
			  struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	if (!sv_tcpi_has(s->tcpi_len, rtt) || !s->tcpi.rtt ||
	    !s->tcpi.snd_mss || !s->tcpi.snd_cwnd)
		return false;
	/* rounded, as ss prints its double */
	return set_u64(v, ((uint64_t)s->tcpi.snd_cwnd * s->tcpi.snd_mss *
				   8000000u +
			   s->tcpi.rtt / 2) /
				  s->tcpi.rtt);
}

static bool get_ca_state(const struct sv_row *r, const struct sv_field *f,
			 struct sv_val *v)
{
	const struct sv_sock *s = r->s;

	(void)f;
	if (!sv_tcpi_has(s->tcpi_len, ca_state))
		return false;
	return set_str(v, sv_ca_state_name(s->tcpi.ca_state), NULL);
}

static bool get_options(const struct sv_row *r, const struct sv_field *f,
			struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	static const char *const names[8] = {
		"ts",	    "sack",	"wscale",  "ecn",
		"ecn_seen", "syn_data", "usec_ts", "tfo_child",
	};
	unsigned i, n = 0;

	(void)f;
	if (!sv_tcpi_has(s->tcpi_len, options))
		return false;
	v->type = SV_V_LIST;
	for (i = 0; i < 8; i++)
		if (s->tcpi.options & (1u << i))
			v->list[n++] = names[i];
	v->list[n] = NULL;
	return true;
}

/* sequence space */

static bool get_seq(const struct sv_row *r, const struct sv_field *f,
		    struct sv_val *v)
{
	const struct sv_sock *s = r->s;
	uint64_t seq[SV_SEQ_MAX];
	unsigned got = sv_sock_seq(s, seq);

	if (!(got & (1u << f->arg)))
		return false;
	return set_u64(v, seq[f->arg]);
}

#define ID SV_GRP_IDENTITY
#define BUF SV_GRP_BUFFERS
#define ST SV_GRP_STATE
#define SEQ SV_GRP_SEQ
#define WIN SV_GRP_WINDOW
#define TMR SV_GRP_TIMER
#define LNK SV_GRP_LINKS

#define TCPI(name, grp, unit, desc)                                            \
	{ #name,                                                               \
	  "tcp",                                                               \
	  #name,                                                               \
	  grp,                                                                 \
	  SV_SHOW_INFO,                                                        \
	  offsetof(struct sv_tcp_info, name),                                  \
	  sizeof(((struct sv_tcp_info *)0)->name),                             \
	  unit,                                                                \
	  desc,                                                                \
	  get_tcpi }

#define SKMEM(key, header, idx, unit, desc)                                    \
	{ key, "skmem", header, BUF, SV_SHOW_MEM, idx, 0, unit, desc,          \
	  get_skmem }

#define MPI(name, grp, unit, desc)                                             \
	{ #name,                                                               \
	  "mptcp",                                                             \
	  #name,                                                               \
	  grp,                                                                 \
	  SV_SHOW_INFO,                                                        \
	  offsetof(struct sv_mptcp_info, name),                                \
	  sizeof(((struct sv_mptcp_info *)0)->name),                           \
	  unit,                                                                \
	  desc,                                                                \
	  get_mptcpi }

#define CC(obj, key, kind, idx, unit, desc)                                     \
	{ key, obj, key, ST, SV_SHOW_INFO, SV_CC_##kind << 8 | (idx), 0, unit, \
	  desc, get_cc }

#define SEQF(key, idx, desc)                                                   \
	{ key, "seq", key, SEQ, SV_SHOW_INFO, idx, 0, "relative", desc,        \
	  get_seq }

const struct sv_field sv_fields[] = {
	{ "protocol", NULL, "Netid", ID, SV_SHOW_BASE, 0, 0, NULL,
	  "tcp, udp, raw or unix (table: u_str, u_dgr, u_seq for unix)",
	  get_protocol },
	{ "family", NULL, "Family", ID, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "inet, inet6 or unix", get_family },
	{ "type", NULL, "Type", ID, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "stream, dgram, seqpacket or raw", get_type },
	{ "state", NULL, "State", ST, SV_SHOW_BASE, 0, 0, NULL,
	  "socket state in ss's filter words (table: ss's column words)",
	  get_state },
	{ "recv_q", NULL, "Recv-Q", BUF, SV_SHOW_BASE, 0, 0, "bytes",
	  "bytes not yet read; listeners: connections waiting in the accept "
	  "queue",
	  get_queue },
	{ "send_q", NULL, "Send-Q", BUF, SV_SHOW_BASE, 1, 0, "bytes",
	  "bytes not yet acknowledged by the peer; listeners: the backlog",
	  get_queue },
	{ "local", NULL, "Local Address:Port", ID, SV_SHOW_BASE, 0, 0, NULL,
	  "local end: {addr, port} (with -r also host, service); unix: {path} "
	  "(@ for abstract, {} unnamed; a relative path that starts with @ "
	  "is shown as ./@)",
	  get_endpoint },
	{ "peer", NULL, "Peer Address:Port", ID, SV_SHOW_BASE, 1, 0, NULL,
	  "remote end: {addr, port}; unix: {inode} of the peer socket",
	  get_endpoint },
	{ "interface", NULL, "If", ID, SV_SHOW_EXT, 0, 0, NULL,
	  "device the socket is bound to (only when bound)", get_interface },
	{ "ifindex", NULL, "Ifindex", ID, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "index of that device", get_ifindex },
	{ "scope", NULL, "Scope", ID, SV_SHOW_EXT, 0, 0, NULL,
	  "IPv6 scope of the local address: host, link, site, multicast, "
	  "v4-mapped or global",
	  get_scope },
	{ "raw_protocol", NULL, "Proto", ID, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "IP protocol number of a raw socket", get_raw_proto },
	{ "inode", NULL, "Inode", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "socket inode, as in /proc/PID/fd links socket:[inode]", get_inode },
	{ "uid", NULL, "UID", LNK, SV_SHOW_EXT, 0, 0, NULL, "owner's user id",
	  get_uid },
	{ "cookie", NULL, "Cookie", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "kernel socket cookie, unique while the host is up", get_cookie },
	{ "cgroup_id", NULL, "Cgroup", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "cgroup v2 id of the creating process", get_cgroup },
	{ "cgroup", NULL, "CgroupPath", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "that cgroup's path in the cgroup v2 hierarchy (/sys/fs/cgroup, "
	  "or .../unified on hybrid hosts), walked once per run when a "
	  "socket has an id; absent for an id no directory has, and under "
	  "--load",
	  get_cgroup_path },
	{ "inode", "netns", "Netns", LNK, SV_SHOW_NETNS, 0, 0, NULL,
	  "--all-netns: inode of the network namespace it was read in",
	  get_netns },
	{ "name", "netns", "Netns name", LNK, SV_SHOW_JSON_ONLY, 1, 0, NULL,
	  "--all-netns: that namespace's name in /run/netns", get_netns },
	{ "runtime", "container", "Runtime", LNK, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "--all-netns: container runtime (docker, containerd, cri-o, "
	  "podman) of the first process in that namespace, from its cgroup",
	  get_container },
	{ "id", "container", "Container", LNK, SV_SHOW_NETNS, 1, 0, NULL,
	  "--all-netns: that container's id (the table: 12 digits)",
	  get_container },
	{ "pod_uid", "container", "Pod", LNK, SV_SHOW_JSON_ONLY, 2, 0, NULL,
	  "--all-netns: that process's Kubernetes pod UID", get_container },
	{ "shutdown", NULL, "Shut", ST, SV_SHOW_EXT, 0, 0, NULL,
	  "directions shut down: none, read, write, both (table: <-> --> <-- "
	  "---)",
	  get_shutdown },
	{ "mark", NULL, "Mark", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "SO_MARK (reported only to CAP_NET_ADMIN)", get_mark },
	{ "v6only", NULL, "V6only", ID, SV_SHOW_EXT, 0, 0, NULL,
	  "IPV6_V6ONLY, 0 or 1 (the kernel reports it for listening and "
	  "closed IPv6 sockets only)",
	  get_v6only },
	{ "tos", NULL, "TOS", ST, SV_SHOW_EXT, 0, 0, NULL,
	  "IP_TOS byte (DSCP and ECN bits)", get_qos },
	{ "tclass", NULL, "TClass", ST, SV_SHOW_EXT, 1, 0, NULL,
	  "IPV6_TCLASS byte (IPv6 sockets)", get_qos },
	{ "class_id", NULL, "ClassId", ST, SV_SHOW_EXT, 2, 0, NULL,
	  "net_cls class id, or SO_PRIORITY when none is set (as the kernel "
	  "reports it)",
	  get_qos },
	{ "sockopt", NULL, "Sockopt", ST, SV_SHOW_EXT, 0, 0, NULL,
	  "inet flags set: recverr, is_icsk (connection-oriented), freebind, "
	  "hdrincl, mc_loop, transparent, mc_all, nodefrag, "
	  "bind_address_no_port, recverr_rfc4884, defer_connect",
	  get_sockopt },
	{ "inode", "vfs", "VfsIno", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "unix: inode of the file the socket is bound to", get_vfs },
	{ "dev_major", "vfs", "VfsMaj", LNK, SV_SHOW_JSON_ONLY, 1, 0, NULL,
	  "unix: major number of that file's device (as stat's st_dev)",
	  get_vfs },
	{ "dev_minor", "vfs", "VfsMin", LNK, SV_SHOW_JSON_ONLY, 2, 0, NULL,
	  "unix: minor number of that file's device", get_vfs },
	{ "netlink_flags", NULL, "NlFlags", ST, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "netlink: cb_running, pktinfo, broadcast_error, no_enobufs, "
	  "listen_all_nsid, cap_ack",
	  get_nl_flags },
	{ "version", "packet", "TPv", ST, SV_SHOW_JSON_ONLY, 0, 0, NULL,
	  "packet: TPACKET version (0 is TPACKET_V1)", get_packet },
	{ "flags", "packet", "PFlags", ST, SV_SHOW_JSON_ONLY, 1, 0, NULL,
	  "packet: running, auxdata, origdev, vnet_hdr, loss", get_packet },
	{ "fanout", "packet", "Fanout", ST, SV_SHOW_JSON_ONLY, 2, 0, NULL,
	  "packet: fanout group, id | type << 16 (only in one)",
	  get_packet },
	{ "filter_len", "packet", "Filter", ST, SV_SHOW_JSON_ONLY, 3, 0,
	  "instructions", "packet: length of its classic BPF filter (only "
	  "with one)",
	  get_packet },
	{ "pending", NULL, "Pending", LNK, SV_SHOW_EXT, 0, 0, NULL,
	  "unix listeners: inodes of the connecting sockets whose connections "
	  "wait to be accepted ([] when none)",
	  get_icons },
	{ "processes", NULL, "Process", LNK, SV_SHOW_PROC, 0, 0, NULL,
	  "owning processes: [{pid, comm, fd}], one per descriptor (with -p; "
	  "[] when none holds it)",
	  get_procs },

	{ "interest", NULL, "Poll", ST, SV_SHOW_WATCH, 0, 0, NULL,
	  "watch: what the target's own epoll sets wait for on this socket: "
	  "in, pri, out, rdhup, oneshot, et (absent when in none)",
	  get_interest },
	{ "bytes_in", "rates", "In/s", BUF, SV_SHOW_WATCH, 0, 0, "bytes/s",
	  "watch: bytes received per second (bytes_received delta)",
	  get_rate },
	{ "bytes_out", "rates", "Out/s", BUF, SV_SHOW_WATCH, 1, 0, "bytes/s",
	  "watch: bytes acknowledged per second (bytes_acked delta)",
	  get_rate },
	{ "segs_in", "rates", "SegIn/s", BUF, SV_SHOW_WATCH, 2, 0, "segments/s",
	  "watch: segments received per second", get_rate },
	{ "segs_out", "rates", "SegOut/s", BUF, SV_SHOW_WATCH, 3, 0,
	  "segments/s", "watch: segments sent per second", get_rate },
	{ "retrans", "rates", "Rtx/s", BUF, SV_SHOW_WATCH, 4, 0, "segments/s",
	  "watch: retransmitted segments per second (total_retrans delta)",
	  get_rate },

	SKMEM("rmem_alloc", "rmem", 0, "bytes", "receive memory in use"),
	SKMEM("rcvbuf", "rcvbuf", 1, "bytes", "receive buffer size (SO_RCVBUF)"),
	SKMEM("wmem_alloc", "wmem", 2, "bytes", "send memory in flight to devices"),
	SKMEM("sndbuf", "sndbuf", 3, "bytes", "send buffer size (SO_SNDBUF)"),
	SKMEM("fwd_alloc", "fwd", 4, "bytes", "memory reserved but not yet used"),
	SKMEM("wmem_queued", "wqueued", 5, "bytes", "send memory queued"),
	SKMEM("optmem", "optmem", 6, "bytes", "option memory (filters, cmsg)"),
	SKMEM("backlog", "backlog", 7, "bytes", "backlog queue while the socket is locked"),
	SKMEM("drops", "drops", 8, "packets", "packets dropped"),

	{ "name", "timer", "Timer", TMR, SV_SHOW_TIMER, 0, 0, NULL,
	  "armed timer: on (retransmit or loss probe), keepalive, timewait, "
	  "persist (zero-window probe)",
	  get_timer },
	{ "expires_ms", "timer", "Expires", TMR, SV_SHOW_TIMER, 1, 0, "ms",
	  "time until the timer fires", get_timer },
	{ "retrans", "timer", "Retr", TMR, SV_SHOW_TIMER, 2, 0, "count",
	  "retransmits or probes sent by that timer", get_timer },

	{ "cong", "tcp", "cong", ST, SV_SHOW_INFO, 0, 0, NULL,
	  "congestion control algorithm", get_cong },
	{ "ca_state", "tcp", "ca_state", ST, SV_SHOW_INFO, 0, 0, NULL,
	  "congestion state: open, disorder, cwr, recovery, loss",
	  get_ca_state },
	{ "send", "tcp", "send", ST, SV_SHOW_INFO, 0, 0, "bits/s",
	  "what the congestion window allows, as ss computes it: snd_cwnd * "
	  "snd_mss * 8 * 1000000 / rtt, rounded (absent while rtt is 0)",
	  get_send_rate },
	{ "options", "tcp", "options", ST, SV_SHOW_INFO, 0, 0, NULL,
	  "negotiated options: ts, sack, wscale, ecn, ecn_seen, syn_data, "
	  "usec_ts, tfo_child",
	  get_options },
	{ "snd_wscale", "tcp", "snd_wscale", WIN, SV_SHOW_INFO, 6, 0x04, NULL,
	  "peer's window scale shift", get_tcpi_bits },
	{ "rcv_wscale", "tcp", "rcv_wscale", WIN, SV_SHOW_INFO, 6, 0x44, NULL,
	  "our window scale shift", get_tcpi_bits },
	{ "delivery_rate_app_limited", "tcp", "app_limited", ST, SV_SHOW_INFO,
	  7, 0x01, NULL, "delivery rate sample was application limited (0/1)",
	  get_tcpi_bits },
	{ "fastopen_client_fail", "tcp", "tfo_fail", ST, SV_SHOW_INFO, 7, 0x12,
	  NULL, "why a TCP Fast Open client fell back (0-3)", get_tcpi_bits },
	TCPI(retransmits, TMR, "count", "retransmits of the current RTO episode"),
	TCPI(probes, TMR, "count", "zero-window or keepalive probes unanswered"),
	TCPI(backoff, TMR, "count", "exponential RTO backoff"),
	TCPI(rto, TMR, "us", "retransmission timeout"),
	TCPI(ato, TMR, "us", "delayed-ACK timeout"),
	TCPI(snd_mss, WIN, "bytes", "send maximum segment size"),
	TCPI(rcv_mss, WIN, "bytes", "estimated receive segment size"),
	TCPI(unacked, ST, "segments",
	     "segments in flight; listeners: connections in the accept "
	     "queue (table: accept_queue)"),
	TCPI(sacked, ST, "segments",
	     "segments SACKed by the peer; listeners: the accept queue's "
	     "limit, the listen() backlog (table: backlog)"),
	TCPI(lost, ST, "segments", "segments presumed lost"),
	TCPI(retrans, ST, "segments", "segments retransmitted, in flight"),
	TCPI(fackets, ST, "segments", "unused since Linux 4.15"),
	TCPI(last_data_sent, TMR, "ms", "since data was last sent"),
	TCPI(last_ack_sent, TMR, "ms", "not tracked by Linux"),
	TCPI(last_data_recv, TMR, "ms", "since data was last received"),
	TCPI(last_ack_recv, TMR, "ms", "since an ACK was last received"),
	TCPI(pmtu, WIN, "bytes", "path MTU"),
	TCPI(rcv_ssthresh, WIN, "bytes", "receive window clamp target"),
	TCPI(rtt, ST, "us", "smoothed round-trip time"),
	TCPI(rttvar, ST, "us", "round-trip time variation"),
	TCPI(snd_ssthresh, WIN, "segments", "slow-start threshold"),
	TCPI(snd_cwnd, WIN, "segments", "congestion window"),
	TCPI(advmss, WIN, "bytes", "advertised MSS"),
	TCPI(reordering, ST, "segments", "reordering degree tolerated"),
	TCPI(rcv_rtt, ST, "us", "receiver-side RTT estimate"),
	TCPI(rcv_space, WIN, "bytes", "receive buffer autotuning space"),
	TCPI(total_retrans, TMR, "segments", "segments retransmitted in total"),
	TCPI(pacing_rate, ST, "bytes/s", "pacing rate"),
	TCPI(max_pacing_rate, ST, "bytes/s", "SO_MAX_PACING_RATE"),
	TCPI(bytes_acked, ST, "bytes", "bytes acknowledged (active open: + SYN)"),
	TCPI(bytes_received, ST, "bytes", "bytes received in sequence"),
	TCPI(segs_out, ST, "segments", "segments sent"),
	TCPI(segs_in, ST, "segments", "segments received"),
	TCPI(notsent_bytes, BUF, "bytes", "bytes queued but not yet sent"),
	TCPI(min_rtt, ST, "us", "minimum RTT seen"),
	TCPI(data_segs_in, ST, "segments", "data segments received"),
	TCPI(data_segs_out, ST, "segments", "data segments sent"),
	TCPI(delivery_rate, ST, "bytes/s", "latest delivery rate sample"),
	TCPI(busy_time, TMR, "us", "time busy sending data"),
	TCPI(rwnd_limited, TMR, "us", "time limited by the receive window"),
	TCPI(sndbuf_limited, TMR, "us", "time limited by the send buffer"),
	TCPI(delivered, ST, "segments", "segments delivered"),
	TCPI(delivered_ce, ST, "segments", "delivered segments with CE marks"),
	TCPI(bytes_sent, ST, "bytes", "data bytes sent, retransmits included"),
	TCPI(bytes_retrans, ST, "bytes", "data bytes retransmitted"),
	TCPI(dsack_dups, ST, "segments", "duplicate segments reported by DSACK"),
	TCPI(reord_seen, ST, "count", "reordering events seen"),
	TCPI(rcv_ooopack, ST, "segments", "out-of-order segments received"),
	TCPI(snd_wnd, WIN, "bytes", "peer's advertised window, scaled"),
	TCPI(rcv_wnd, WIN, "bytes", "our advertised window, scaled"),
	TCPI(rehash, ST, "count", "PLB or timeout rehash attempts"),
	TCPI(total_rto, TMR, "count", "RTO timeouts, SYN and SYN-ACK included"),
	TCPI(total_rto_recoveries, TMR, "count", "RTO recoveries"),
	TCPI(total_rto_time, TMR, "ms", "time spent in RTO recoveries"),
	TCPI(received_ce, ST, "segments", "CE marks received"),
	TCPI(delivered_e1_bytes, ST, "bytes", "accurate ECN: ECT(1) bytes delivered"),
	TCPI(delivered_e0_bytes, ST, "bytes", "accurate ECN: ECT(0) bytes delivered"),
	TCPI(delivered_ce_bytes, ST, "bytes", "accurate ECN: CE bytes delivered"),
	TCPI(received_e1_bytes, ST, "bytes", "accurate ECN: ECT(1) bytes received"),
	TCPI(received_e0_bytes, ST, "bytes", "accurate ECN: ECT(0) bytes received"),
	TCPI(received_ce_bytes, ST, "bytes", "accurate ECN: CE bytes received"),
	TCPI(accecn_fail_mode, ST, NULL, "accurate ECN failure mode"),
	TCPI(accecn_opt_seen, ST, NULL, "accurate ECN option seen"),

	CC("bbr", "bw", BBR, 0, "bytes/s", "bbr: bandwidth estimate"),
	CC("bbr", "min_rtt", BBR, 1, "us", "bbr: minimum RTT it filtered"),
	CC("bbr", "pacing_gain", BBR, 2, "1/256",
	   "bbr: pacing gain, times 256 (256 is 1.0)"),
	CC("bbr", "cwnd_gain", BBR, 3, "1/256",
	   "bbr: congestion window gain, times 256"),
	CC("dctcp", "enabled", DCTCP, 0, NULL, "dctcp: 1 when ECN is in use"),
	CC("dctcp", "ce_state", DCTCP, 1, NULL, "dctcp: CE state of the last "
	   "segment received"),
	CC("dctcp", "alpha", DCTCP, 2, "1/1024",
	   "dctcp: fraction of marked bytes, times 1024"),
	CC("dctcp", "ab_ecn", DCTCP, 3, "bytes", "dctcp: bytes acked with ECE "
	   "in this window"),
	CC("dctcp", "ab_tot", DCTCP, 4, "bytes", "dctcp: bytes acked in this "
	   "window"),
	CC("vegas", "enabled", VEGAS, 0, NULL, "vegas: 1 when in use"),
	CC("vegas", "rttcnt", VEGAS, 1, "count", "vegas: RTTs measured in "
	   "this round"),
	CC("vegas", "rtt", VEGAS, 2, "us", "vegas: base RTT of this round"),
	CC("vegas", "min_rtt", VEGAS, 3, "us", "vegas: minimum RTT seen"),

	MPI(subflows, ST, "count", "mptcp: subflows besides the first"),
	MPI(subflows_max, ST, "count", "mptcp: subflows allowed"),
	MPI(subflows_total, ST, "count", "mptcp: subflows, the first included"),
	MPI(add_addr_signal, ST, "count", "mptcp: addresses announced"),
	MPI(add_addr_accepted, ST, "count", "mptcp: announced addresses "
	    "accepted"),
	MPI(add_addr_signal_max, ST, "count", "mptcp: addresses it may "
	    "announce"),
	MPI(add_addr_accepted_max, ST, "count", "mptcp: announced addresses "
	    "it may accept"),
	MPI(local_addr_used, ST, "count", "mptcp: local addresses in use"),
	MPI(local_addr_max, ST, "count", "mptcp: local addresses allowed"),
	MPI(flags, ST, NULL, "mptcp: MPTCP_INFO_FLAG_* (1 fallback to TCP, 2 "
	    "remote key received)"),
	MPI(token, ID, NULL, "mptcp: the connection's token"),
	MPI(csum_enabled, ST, NULL, "mptcp: DSS checksums in use (0/1)"),
	MPI(write_seq, SEQ, NULL, "mptcp: data sequence number written up to "
	    "(64 bits, absolute)"),
	MPI(snd_una, SEQ, NULL, "mptcp: oldest data sequence number unacked"),
	MPI(rcv_nxt, SEQ, NULL, "mptcp: next data sequence number expected"),
	MPI(retransmits, TMR, "count", "mptcp: retransmissions at the MPTCP "
	    "level"),
	MPI(bytes_retrans, ST, "bytes", "mptcp: bytes retransmitted"),
	MPI(bytes_sent, ST, "bytes", "mptcp: bytes sent"),
	MPI(bytes_received, ST, "bytes", "mptcp: bytes received"),
	MPI(bytes_acked, ST, "bytes", "mptcp: bytes acknowledged"),
	MPI(last_data_sent, TMR, "ms", "mptcp: since data was last sent"),
	MPI(last_data_recv, TMR, "ms", "mptcp: since data was last received"),
	MPI(last_ack_recv, TMR, "ms", "mptcp: since an ACK was last received"),

	SEQF("snd_una", SV_SEQ_SND_UNA,
	     "oldest unacknowledged: 1 + bytes sent once (+ FIN) - in "
	     "flight, checked against bytes_acked (see SEQUENCE SPACE)"),
	SEQF("snd_nxt", SV_SEQ_SND_NXT, "next to send: write_seq - notsent_bytes"),
	SEQF("write_seq", SV_SEQ_WRITE_SEQ,
	     "end of data written by the application: snd_una + Send-Q"),
	SEQF("copied_seq", SV_SEQ_COPIED_SEQ,
	     "next byte the application reads: rcv_nxt - Recv-Q"),
	SEQF("rcv_nxt", SV_SEQ_RCV_NXT, "next expected: bytes_received + 1"),
};

const size_t sv_nfields = sizeof(sv_fields) / sizeof(sv_fields[0]);
_Static_assert(sizeof(sv_fields) / sizeof(sv_fields[0]) <= UINT16_MAX,
	       "sv_fields_order numbers the fields in 16 bits");

const char *sv_field_header(const struct sv_field *f, const struct sv_sock *s)
{
	if (s->state != SV_TCP_LISTEN || f->get != get_tcpi)
		return f->header;
	if (f->arg == offsetof(struct sv_tcp_info, unacked))
		return "accept_queue";
	if (f->arg == offsetof(struct sv_tcp_info, sacked))
		return "backlog";
	return f->header;
}

const char *sv_addr_text(unsigned family, const uint8_t *addr, char *buf)
{
	/* glibc formats IPv4 with sprintf: on 100,000 sockets a tenth of a
	 * table's time; four small numbers need no format string */
	if (family == AF_INET) {
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned o = addr[i];

			if (o >= 100)
				*p++ = (char)('0' + o / 100);
			if (o >= 10)
				*p++ = (char)('0' + o / 10 % 10);
			*p++ = (char)('0' + o % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop((int)family, addr, buf, INET6_ADDRSTRLEN))
		memcpy(buf, "?", 2);
	return buf;
}

/* "route:1234" and "group:1" or "1234" or "*"; "ip:eth0" or "all:*". */
static void link_text(struct sv_strbuf *b, const struct sv_val *v)
{
	const char *name;
	char num[24];

	if (v->family == AF_NETLINK && v->unix_peer) {
		if (v->n) {
			sv_strbuf_adds(b, "group:");
			sv_u64_to_text(v->n, num);
		} else if (v->u) {
			sv_u64_to_text(v->u, num);
		} else {
			memcpy(num, "*", 2);
		}
		sv_strbuf_adds(b, num);
		return;
	}
	name = v->family == AF_NETLINK ? sv_netlink_proto_name((unsigned)v->n)
				       : sv_ethertype_name((unsigned)v->u);
	if (name) {
		sv_strbuf_adds(b, name);
	} else if (v->family == AF_NETLINK) {
		sv_u64_to_text(v->n, num);
		sv_strbuf_adds(b, num);
	} else {
		snprintf(num, sizeof(num), "0x%04x", (unsigned)v->u);
		sv_strbuf_adds(b, num);
	}
	sv_strbuf_addc(b, ':');
	if (v->family == AF_NETLINK) {
		sv_u64_to_text(v->u, num);
		sv_strbuf_adds(b, num);
	} else if (v->s) {
		/* a device name is the host's text, escaped as any */
		sv_term_escape(b, v->s, strlen(v->s));
	} else if (v->n) {
		sv_u64_to_text(v->n, num);
		sv_strbuf_adds(b, num);
	} else {
		sv_strbuf_addc(b, '*');
	}
}

void sv_endpoint_text(struct sv_strbuf *b, const struct sv_val *v)
{
	char addr[INET6_ADDRSTRLEN];
	char port[24];

	if (v->family == AF_NETLINK || v->family == AF_PACKET) {
		link_text(b, v);
		return;
	}
	if (v->family == AF_UNIX) {
		if (v->unix_peer) {
			sv_u64_to_text(v->u, port);
			sv_strbuf_adds(b, port);
		} else if (!v->n) {
			sv_strbuf_addc(b, '*');
		} else if (v->s[0] == '\0') {
			sv_strbuf_addc(b, '@');
			sv_term_escape(b, v->s + 1, v->n - 1);
		} else {
			/* "@x" is abstract: a relative path "@x" is "./@x" */
			if (v->s[0] == '@')
				sv_strbuf_adds(b, "./");
			sv_term_escape(b, v->s, v->n);
		}
		return;
	}
	if (v->host) {
		/* a DNS answer is untrusted text */
		sv_term_escape(b, v->host, strlen(v->host));
	} else {
		sv_addr_text(v->family, v->ep->addr, addr);
		if (v->family == AF_INET6)
			sv_strbuf_addc(b, '[');
		sv_strbuf_adds(b, addr);
		if (v->family == AF_INET6)
			sv_strbuf_addc(b, ']');
	}
	sv_strbuf_addc(b, ':');
	if (v->service) {
		/* from NSS, as the host: escaped the same way */
		sv_term_escape(b, v->service, strlen(v->service));
	} else if (v->ep->port) {
		sv_u64_to_text(v->ep->port, port);
		sv_strbuf_adds(b, port);
	} else {
		sv_strbuf_addc(b, '*');
	}
}
