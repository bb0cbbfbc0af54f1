/* SPDX-License-Identifier: MIT */
#ifndef SV_SOCK_H
#define SV_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tcpinfo.h"

/* The one record every part of sockview passes around: what the kernel
 * reported of one socket.  What is joined to it is beside it (row.h). */

enum sv_proto {
	SV_PROTO_TCP,
	SV_PROTO_UDP,
	SV_PROTO_RAW,
	SV_PROTO_UNIX,
	SV_PROTO_NETLINK, /* netlink_diag */
	SV_PROTO_PACKET,  /* packet_diag */
	SV_PROTO_MPTCP,	  /* mptcp_diag, an inet_diag protocol (numbered
			   * last: captures keep these numbers) */
	SV_PROTO_MAX
};

/* TCP, UDP, RAW and MPTCP: addresses, ports and inet_diag's bytecode. */
static inline bool sv_proto_inet(unsigned proto)
{
	return proto < SV_PROTO_UNIX || proto == SV_PROTO_MPTCP;
}

/* Presence bits: a field the kernel did not report stays absent. */
enum sv_has {
	SV_HAS_QUEUES = 1u << 0,
	SV_HAS_INODE = 1u << 1,
	SV_HAS_UID = 1u << 2,
	SV_HAS_COOKIE = 1u << 3,
	SV_HAS_CGROUP = 1u << 4,
	SV_HAS_SHUTDOWN = 1u << 5,
	SV_HAS_TIMER = 1u << 6, /* the kernel reported the timer slot */
	SV_HAS_CONG = 1u << 7,
	SV_HAS_PEER_INODE = 1u << 8,
	SV_HAS_PORTS = 1u << 9, /* inet: addresses and ports */
	SV_HAS_PATH = 1u << 10, /* unix: bound name */
	SV_HAS_MARK = 1u << 12,
	SV_HAS_RAW_PROTO = 1u << 13,
	SV_HAS_DROPS = 1u << 14, /* /proc/net/raw drops column */
	SV_HAS_PROCNET = 1u << 18, /* read from /proc/net, not sock_diag */
	SV_HAS_V6ONLY = 1u << 19,  /* INET_DIAG_SKV6ONLY */
	SV_HAS_TOS = 1u << 20,	   /* INET_DIAG_TOS */
	SV_HAS_TCLASS = 1u << 21,  /* INET_DIAG_TCLASS */
	SV_HAS_CLASS_ID = 1u << 22, /* INET_DIAG_CLASS_ID */
	SV_HAS_SOCKOPT = 1u << 23, /* INET_DIAG_SOCKOPT */
	SV_HAS_VFS = 1u << 24,	   /* UNIX_DIAG_VFS: the bound file */
	SV_HAS_ICONS = 1u << 25,   /* UNIX_DIAG_ICONS: a listener's queue */
	SV_HAS_NL_FLAGS = 1u << 26, /* NETLINK_DIAG_FLAGS */
	SV_HAS_PK_INFO = 1u << 27,  /* PACKET_DIAG_INFO */
	SV_HAS_PK_FANOUT = 1u << 28, /* PACKET_DIAG_FANOUT */
	SV_HAS_PK_FILTER = 1u << 29, /* PACKET_DIAG_FILTER */
};

/* The congestion control's own record (INET_DIAG_*INFO), raw. */
enum sv_cc_kind {
	SV_CC_NONE,
	SV_CC_VEGAS, /* vegas[0..3]: enabled, rttcnt, rtt, minrtt */
	SV_CC_DCTCP, /* dctcp: enabled, ce_state, alpha, ab_ecn, ab_tot */
	SV_CC_BBR,   /* bbr: bw (bytes/s), min_rtt (us), gains (<< 8) */
};

struct sv_endpoint {
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t port;	  /* host order */
};

/* idiag_timer values */
enum sv_timer {
	SV_TIMER_OFF = 0,
	SV_TIMER_ON = 1,
	SV_TIMER_KEEPALIVE = 2,
	SV_TIMER_TIMEWAIT = 3,
	SV_TIMER_PERSIST = 4,
};

#define SV_SKMEM_MAX 9 /* SK_MEMINFO_VARS as of 6.18 */
#define SV_CONG_MAX 16 /* TCP_CA_NAME_MAX */

struct sv_sock {
	uint32_t has;	   /* enum sv_has */
	uint8_t proto;	   /* enum sv_proto */
	uint8_t family;	   /* AF_INET, AF_INET6, AF_UNIX */
	uint8_t type;	   /* SOCK_STREAM, SOCK_DGRAM, ... */
	uint8_t state;	   /* kernel TCP_* state numbering */
	uint8_t shutdown;  /* bit 0: no more receives, bit 1: no more sends */
	uint8_t timer;	   /* enum sv_timer */
	uint8_t retrans;   /* retransmits or probes of the armed timer */
	uint8_t raw_proto; /* IPPROTO_* of a raw socket */
	uint8_t skmem_n;   /* how many skmem counters the kernel sent */
	uint8_t v6only;	   /* IPV6_V6ONLY (listening or closed inet6) */
	uint8_t tos;	   /* IP_TOS */
	uint8_t tclass;	   /* IPV6_TCLASS */
	uint8_t cc_kind;   /* enum sv_cc_kind */
	uint16_t sockopt;  /* struct inet_diag_sockopt's bits, in order */
	uint32_t class_id; /* net_cls class id, or else SO_PRIORITY */
	/* UNIX_DIAG_VFS: the bound file's inode and device (kernel
	 * dev_t: major << 20 | minor) */
	uint32_t vfs_ino, vfs_dev;
	/* netlink: its protocol (NETLINK_ROUTE...), port id, the port and
	 * group it sends to, NDIAG_FLAG_* */
	uint8_t nl_proto;
	uint32_t portid, dst_portid, dst_group, nl_flags;
	/* packet: the ethertype it receives (host order; ifindex is the
	 * device it is bound to), PDI_* flags, TPACKET version, the fanout
	 * group (id | type << 16) and its BPF filter's instructions */
	uint16_t ethertype;
	uint32_t pk_version, pk_flags, pk_fanout, pk_filter_len;
	/* MPTCP: bytes of mptcpi the kernel filled, 0 = none */
	uint16_t mptcpi_len;
	struct sv_mptcp_info mptcpi;
	uint16_t tcpi_len; /* bytes of tcpi the kernel filled, 0 = none */

	struct sv_endpoint local, peer;
	uint32_t ifindex; /* bound device, 0 = none */
	uint32_t recv_q, send_q;
	uint32_t expires_ms;
	uint32_t uid;
	uint32_t mark;
	uint32_t peer_inode;
	uint64_t inode;
	uint64_t cookie;
	uint64_t cgroup_id;
	uint64_t drops;
	uint32_t skmem[SV_SKMEM_MAX];
	char cong[SV_CONG_MAX];
	union {
		uint32_t vegas[4];
		struct {
			uint16_t enabled, ce_state;
			uint32_t alpha, ab_ecn, ab_tot;
		} dctcp;
		struct {
			uint64_t bw;
			uint32_t min_rtt, pacing_gain, cwnd_gain;
		} bbr;
	} cc;

	/* UNIX name: points into the reply buffer, valid during the callback.
	 * Abstract names start with a NUL byte. */
	const char *path;
	size_t path_len;
	/* UNIX_DIAG_ICONS: inodes of the connections waiting in a
	 * listener's queue, n_icons unaligned u32s in the reply buffer,
	 * valid during the callback */
	const void *icons;
	uint32_t n_icons;

	struct sv_tcp_info tcpi;
};

/* Relative sequence numbers (the SYN is 0, as in Wireshark). */
enum sv_seq_idx {
	SV_SEQ_SND_UNA,
	SV_SEQ_SND_NXT,
	SV_SEQ_WRITE_SEQ,
	SV_SEQ_COPIED_SEQ,
	SV_SEQ_RCV_NXT,
	SV_SEQ_MAX
};

/* Sets bit i of the result when value i could be derived. */
unsigned sv_sock_seq(const struct sv_sock *s, uint64_t seq[SV_SEQ_MAX]);

const char *sv_proto_name(unsigned proto);
const char *sv_family_name(unsigned family);
const char *sv_type_name(unsigned type);
const char *sv_state_name(unsigned state);	 /* JSON/filter word */
const char *sv_state_short(unsigned state);	 /* table: ESTAB, LISTEN ... */
const char *sv_timer_name(unsigned timer);
/* NETLINK_* protocol and ETH_P_* names, or NULL for a number without */
const char *sv_netlink_proto_name(unsigned proto);
const char *sv_ethertype_name(unsigned ethertype);
const char *sv_ca_state_name(unsigned ca_state);
int sv_state_parse(const char *word);

/* TCP_* state numbers, include/net/tcp_states.h */
enum {
	SV_TCP_ESTABLISHED = 1,
	SV_TCP_SYN_SENT,
	SV_TCP_SYN_RECV,
	SV_TCP_FIN_WAIT1,
	SV_TCP_FIN_WAIT2,
	SV_TCP_TIME_WAIT,
	SV_TCP_CLOSE,
	SV_TCP_CLOSE_WAIT,
	SV_TCP_LAST_ACK,
	SV_TCP_LISTEN,
	SV_TCP_CLOSING,
	SV_TCP_NEW_SYN_RECV,
	SV_TCP_BOUND_INACTIVE,
	SV_TCP_MAX_STATES
};

/* A state from a reply or a capture may be anything: past 31 it is in no
 * mask (a shift by 32 or more is undefined). */
#define SV_SF(st) ((unsigned)(st) < 32 ? 1u << (st) : 0u)
#define SV_STATES_ALL ((1u << SV_TCP_MAX_STATES) - 1)
/* ss's default: everything but listening, closed, time-wait, syn-recv;
 * and not bound-inactive (bound, never listened or connected), which
 * makes the kernel walk its whole bind table */
#define SV_STATES_CONNECTED                                                    \
	(SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE) |        \
			   SV_SF(SV_TCP_TIME_WAIT) | SV_SF(SV_TCP_SYN_RECV) |  \
			   SV_SF(SV_TCP_NEW_SYN_RECV) |                        \
			   SV_SF(SV_TCP_BOUND_INACTIVE)))
#define SV_STATES_LISTENING (SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE))

#endif
