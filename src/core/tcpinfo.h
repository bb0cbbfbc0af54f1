/* SPDX-License-Identifier: MIT */
#ifndef SV_TCPINFO_H
#define SV_TCPINFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * struct tcp_info as current kernels fill it (through the accurate-ECN
 * counters of 6.18: 280 bytes).  Distribution headers lag behind the
 * running kernel, so we keep our own copy; a field is present only when
 * the INET_DIAG_INFO payload reaches its end (see sv_tcpi_has()).
 */
struct sv_tcp_info {
	uint8_t state;
	uint8_t ca_state;
	uint8_t retransmits;
	uint8_t probes;
	uint8_t backoff;
	uint8_t options;
	uint8_t wscale;		/* snd_wscale : 4, rcv_wscale : 4 */
	uint8_t app_limited;	/* delivery_rate_app_limited : 1,
				   fastopen_client_fail : 2 */

	uint32_t rto;
	uint32_t ato;
	uint32_t snd_mss;
	uint32_t rcv_mss;

	uint32_t unacked;
	uint32_t sacked;
	uint32_t lost;
	uint32_t retrans;
	uint32_t fackets;

	uint32_t last_data_sent;
	uint32_t last_ack_sent;
	uint32_t last_data_recv;
	uint32_t last_ack_recv;

	uint32_t pmtu;
	uint32_t rcv_ssthresh;
	uint32_t rtt;
	uint32_t rttvar;
	uint32_t snd_ssthresh;
	uint32_t snd_cwnd;
	uint32_t advmss;
	uint32_t reordering;

	uint32_t rcv_rtt;
	uint32_t rcv_space;

	uint32_t total_retrans;

	uint64_t pacing_rate;
	uint64_t max_pacing_rate;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint32_t segs_out;
	uint32_t segs_in;

	uint32_t notsent_bytes;
	uint32_t min_rtt;
	uint32_t data_segs_in;
	uint32_t data_segs_out;

	uint64_t delivery_rate;

	uint64_t busy_time;
	uint64_t rwnd_limited;
	uint64_t sndbuf_limited;

	uint32_t delivered;
	uint32_t delivered_ce;

	uint64_t bytes_sent;
	uint64_t bytes_retrans;
	uint32_t dsack_dups;
	uint32_t reord_seen;

	uint32_t rcv_ooopack;

	uint32_t snd_wnd;
	uint32_t rcv_wnd;

	uint32_t rehash;

	uint16_t total_rto;
	uint16_t total_rto_recoveries;
	uint32_t total_rto_time;

	uint32_t received_ce;
	uint32_t delivered_e1_bytes;
	uint32_t delivered_e0_bytes;
	uint32_t delivered_ce_bytes;
	uint32_t received_e1_bytes;
	uint32_t received_e0_bytes;
	uint32_t received_ce_bytes;
	uint16_t accecn_fail_mode;
	uint16_t accecn_opt_seen;
};

_Static_assert(sizeof(struct sv_tcp_info) == 280, "tcp_info layout drifted");
_Static_assert(offsetof(struct sv_tcp_info, bytes_acked) == 120, "layout");
_Static_assert(offsetof(struct sv_tcp_info, snd_wnd) == 228, "layout");
_Static_assert(offsetof(struct sv_tcp_info, total_rto) == 240, "layout");

/* True when a payload of len bytes carried the whole of field f. */
/*
 * struct mptcp_info of an MPTCP socket's INET_DIAG_INFO, as 6.7 and
 * later fill it (96 bytes); present by payload length as tcp_info.
 */
struct sv_mptcp_info {
	uint8_t subflows;
	uint8_t add_addr_signal;
	uint8_t add_addr_accepted;
	uint8_t subflows_max;
	uint8_t add_addr_signal_max;
	uint8_t add_addr_accepted_max;
	uint32_t flags;
	uint32_t token;
	uint64_t write_seq;
	uint64_t snd_una;
	uint64_t rcv_nxt;
	uint8_t local_addr_used;
	uint8_t local_addr_max;
	uint8_t csum_enabled;
	uint32_t retransmits;
	uint64_t bytes_retrans;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t bytes_acked;
	uint8_t subflows_total;
	uint8_t reserved[3];
	uint32_t last_data_sent;
	uint32_t last_data_recv;
	uint32_t last_ack_recv;
};

_Static_assert(sizeof(struct sv_mptcp_info) == 96, "mptcp_info is 96 bytes");

#define sv_tcpi_has(len, f)                                                    \
	((len) >= offsetof(struct sv_tcp_info, f) +                            \
			  sizeof(((struct sv_tcp_info *)0)->f))

/* tcpi_options bits, include/uapi/linux/tcp.h */
#define SV_TCPI_OPT_TIMESTAMPS 1
#define SV_TCPI_OPT_SACK 2
#define SV_TCPI_OPT_WSCALE 4
#define SV_TCPI_OPT_ECN 8
#define SV_TCPI_OPT_ECN_SEEN 16
#define SV_TCPI_OPT_SYN_DATA 32
#define SV_TCPI_OPT_USEC_TS 64
#define SV_TCPI_OPT_TFO_CHILD 128

#endif
