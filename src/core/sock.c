// SPDX-License-Identifier: MIT
#include <string.h>
#include <sys/socket.h>

#include "core/sock.h"

static const char *const proto_names[SV_PROTO_MAX] = {
	[SV_PROTO_TCP] = "tcp",
	[SV_PROTO_UDP] = "udp",
	[SV_PROTO_RAW] = "raw",
	[SV_PROTO_UNIX] = "unix",
	[SV_PROTO_NETLINK] = "netlink",
	[SV_PROTO_PACKET] = "packet",
	[SV_PROTO_MPTCP] = "mptcp",
};

/* Words as ss's filter language spells them. */
static const char *const state_names[SV_TCP_MAX_STATES] = {
	[SV_TCP_ESTABLISHED] = "established",
	[SV_TCP_SYN_SENT] = "syn-sent",
	[SV_TCP_SYN_RECV] = "syn-recv",
	[SV_TCP_FIN_WAIT1] = "fin-wait-1",
	[SV_TCP_FIN_WAIT2] = "fin-wait-2",
	[SV_TCP_TIME_WAIT] = "time-wait",
	[SV_TCP_CLOSE] = "closed",
	[SV_TCP_CLOSE_WAIT] = "close-wait",
	[SV_TCP_LAST_ACK] = "last-ack",
	[SV_TCP_LISTEN] = "listening",
	[SV_TCP_CLOSING] = "closing",
	[SV_TCP_NEW_SYN_RECV] = "syn-recv",
	[SV_TCP_BOUND_INACTIVE] = "bound-inactive",
};

/* Column text as ss prints it, so eyes trained on ss read it at once. */
static const char *const state_short[SV_TCP_MAX_STATES] = {
	[SV_TCP_ESTABLISHED] = "ESTAB",
	[SV_TCP_SYN_SENT] = "SYN-SENT",
	[SV_TCP_SYN_RECV] = "SYN-RECV",
	[SV_TCP_FIN_WAIT1] = "FIN-WAIT-1",
	[SV_TCP_FIN_WAIT2] = "FIN-WAIT-2",
	[SV_TCP_TIME_WAIT] = "TIME-WAIT",
	[SV_TCP_CLOSE] = "UNCONN",
	[SV_TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[SV_TCP_LAST_ACK] = "LAST-ACK",
	[SV_TCP_LISTEN] = "LISTEN",
	[SV_TCP_CLOSING] = "CLOSING",
	[SV_TCP_NEW_SYN_RECV] = "SYN-RECV",
	[SV_TCP_BOUND_INACTIVE] = "BOUND-INACTIVE",
};

static const char *const timer_names[] = {
	[SV_TIMER_OFF] = "off",
	[SV_TIMER_ON] = "on",
	[SV_TIMER_KEEPALIVE] = "keepalive",
	[SV_TIMER_TIMEWAIT] = "timewait",
	[SV_TIMER_PERSIST] = "persist",
};

static const char *const ca_state_names[] = {
	"open", "disorder", "cwr", "recovery", "loss",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sv_proto_name(unsigned proto)
{
	return proto < COUNT(proto_names) ? proto_names[proto] : "unknown";
}

const char *sv_family_name(unsigned family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	}
	return "unknown";
}

const char *sv_type_name(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_RAW:
		return "raw";
	}
	return "unknown";
}

const char *sv_state_name(unsigned state)
{
	if (state < COUNT(state_names) && state_names[state])
		return state_names[state];
	return "unknown";
}

const char *sv_state_short(unsigned state)
{
	if (state < COUNT(state_short) && state_short[state])
		return state_short[state];
	return "UNKNOWN";
}

/* include/uapi/linux/netlink.h's numbers, in the kernel's words */
static const char *const netlink_names[] = {
	[0] = "route",	   [1] = "unused",	  [2] = "usersock",
	[3] = "firewall",  [4] = "sock_diag",	  [5] = "nflog",
	[6] = "xfrm",	   [7] = "selinux",	  [8] = "iscsi",
	[9] = "audit",	   [10] = "fib_lookup",	  [11] = "connector",
	[12] = "netfilter", [13] = "ip6_fw",	  [14] = "dnrtmsg",
	[15] = "kobject_uevent", [16] = "generic", [18] = "scsitransport",
	[19] = "ecryptfs", [20] = "rdma",	  [21] = "crypto",
	[22] = "smc",
};

const char *sv_netlink_proto_name(unsigned proto)
{
	return proto < COUNT(netlink_names) ? netlink_names[proto] : NULL;
}

const char *sv_ethertype_name(unsigned ethertype)
{
	static const struct {
		uint16_t type;
		const char *name;
	} t[] = {
		{ 0x0003, "all" },    { 0x0800, "ip" },	    { 0x0806, "arp" },
		{ 0x86dd, "ipv6" },   { 0x8100, "802.1q" }, { 0x88a8, "802.1ad" },
		{ 0x88cc, "lldp" },   { 0x888e, "eapol" },  { 0x8847, "mpls_uc" },
		{ 0x8863, "pppoe_disc" }, { 0x8864, "pppoe_sess" },
	};
	size_t i;

	for (i = 0; i < COUNT(t); i++)
		if (t[i].type == ethertype)
			return t[i].name;
	return NULL;
}

const char *sv_timer_name(unsigned timer)
{
	return timer < COUNT(timer_names) ? timer_names[timer] : "unknown";
}

const char *sv_ca_state_name(unsigned ca_state)
{
	return ca_state < COUNT(ca_state_names) ? ca_state_names[ca_state]
						 : "unknown";
}

int sv_state_parse(const char *word)
{
	for (unsigned i = 1; i < COUNT(state_names); i++)
		if (state_names[i] && strcmp(state_names[i], word) == 0)
			return (int)i;
	return -1;
}

/* States in which our FIN is in the write queue (write_seq counts it). */
static bool fin_queued(unsigned state)
{
	return state == SV_TCP_FIN_WAIT1 || state == SV_TCP_FIN_WAIT2 ||
	       state == SV_TCP_CLOSING || state == SV_TCP_LAST_ACK ||
	       state == SV_TCP_TIME_WAIT;
}

/*
 * The relative snd_una (the SYN is 0), from two counts that must agree.
 *
 * Forward: the data sent once is U = bytes_sent - bytes_retrans (neither
 * counts a SYN or FIN), so snd_nxt = 1 + U, plus 1 once our FIN is sent
 * (it is queued and nothing is left unsent); the kernel's Send-Q is
 * write_seq - snd_una and notsent_bytes write_seq - snd_nxt, so
 * snd_una = snd_nxt - (Send-Q - notsent_bytes).
 *
 * Backward: bytes_acked counts what snd_una moved over: the SYN on a
 * socket that connect()ed, not the SYN-ACK on an accepted one, so
 * snd_una is bytes_acked or bytes_acked + 1.
 *
 * The forward value is taken when it is one of the two; otherwise
 * (a segment the local qdisc refused counts in bytes_sent but never left)
 * the send side stays absent.  Returns 0 or -1.
 */
static int snd_una_rel(const struct sv_sock *s, uint64_t *una)
{
	const struct sv_tcp_info *ti = &s->tcpi;
	uint64_t unique, nxt, flight;

	/* bytes_retrans comes after bytes_sent, bytes_acked, notsent_bytes */
	if (!sv_tcpi_has(s->tcpi_len, bytes_retrans) ||
	    ti->bytes_sent < ti->bytes_retrans || s->send_q < ti->notsent_bytes)
		return -1;
	unique = ti->bytes_sent - ti->bytes_retrans;
	nxt = 1 + unique + (fin_queued(s->state) && ti->notsent_bytes == 0);
	flight = s->send_q - ti->notsent_bytes;
	if (nxt < flight)
		return -1;
	*una = nxt - flight;
	return *una == ti->bytes_acked || *una == ti->bytes_acked + 1 ? 0 : -1;
}

/*
 * The kernel keeps no absolute sequence numbers in tcp_info, so derive
 * numbers relative to the initial sequence numbers (SYN = 0):
 *
 *   snd_una    see snd_una_rel()
 *   write_seq  = snd_una + Send-Q          (Send-Q = write_seq - snd_una)
 *   snd_nxt    = write_seq - notsent_bytes
 *   rcv_nxt    = bytes_received + 1        (the peer's SYN is not counted)
 *   copied_seq = rcv_nxt - Recv-Q          (Recv-Q = rcv_nxt - copied_seq)
 */
unsigned sv_sock_seq(const struct sv_sock *s, uint64_t seq[SV_SEQ_MAX])
{
	const struct sv_tcp_info *ti = &s->tcpi;
	unsigned len = s->tcpi_len;
	unsigned got = 0;

	if (s->proto != SV_PROTO_TCP || !len || s->state == SV_TCP_LISTEN ||
	    !(s->has & SV_HAS_QUEUES))
		return 0;

	if (snd_una_rel(s, &seq[SV_SEQ_SND_UNA]) == 0) {
		seq[SV_SEQ_WRITE_SEQ] = seq[SV_SEQ_SND_UNA] + s->send_q;
		seq[SV_SEQ_SND_NXT] = seq[SV_SEQ_WRITE_SEQ] - ti->notsent_bytes;
		got |= 1u << SV_SEQ_SND_UNA | 1u << SV_SEQ_WRITE_SEQ |
		       1u << SV_SEQ_SND_NXT;
	}
	/* Before the SYN-ACK there is no receive sequence space yet. */
	if (sv_tcpi_has(len, bytes_received) && s->state != SV_TCP_SYN_SENT) {
		seq[SV_SEQ_RCV_NXT] = ti->bytes_received + 1;
		got |= 1u << SV_SEQ_RCV_NXT;
		if (seq[SV_SEQ_RCV_NXT] >= s->recv_q) {
			seq[SV_SEQ_COPIED_SEQ] = seq[SV_SEQ_RCV_NXT] - s->recv_q;
			got |= 1u << SV_SEQ_COPIED_SEQ;
		}
	}
	return got;
}
