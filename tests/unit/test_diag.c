// SPDX-License-Identifier: MIT
/* Parser tests against sock_diag replies recorded from real sockets:
 * tests/fixtures/{tcp4,tcp6,unix,netlink,packet,mptcp4}.bin (see
 * tests/fixtures/README). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "sys/diag.h"

#define MAX_SOCKS 16

static size_t parse_all(const char *name, unsigned proto, struct sv_sock *out)
{
	size_t len, n = 0;
	char *buf = fixture_read(name, &len);
	const struct nlmsghdr *nlh;
	int rest;

	assert_non_null(buf);
	rest = (int)len;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, rest);
	     nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		assert_true(n < MAX_SOCKS);
		if (proto == SV_PROTO_UNIX)
			assert_int_equal(sv_diag_parse_unix(nlh, &out[n]), 0);
		else if (proto == SV_PROTO_NETLINK)
			assert_int_equal(sv_diag_parse_netlink(nlh, &out[n]), 0);
		else if (proto == SV_PROTO_PACKET)
			assert_int_equal(sv_diag_parse_packet(nlh, &out[n]), 0);
		else
			assert_int_equal(sv_diag_parse_inet(nlh, proto, &out[n]),
					 0);
		out[n].icons = NULL; /* points into buf too */
		/* the path points into buf: copy what the tests look at */
		if (out[n].path) {
			char *p = malloc(out[n].path_len);

			memcpy(p, out[n].path, out[n].path_len);
			out[n].path = p;
		}
		n++;
	}
	free(buf);
	return n;
}

static const struct sv_sock *find(struct sv_sock *v, size_t n, unsigned state,
				  unsigned lport)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].state == state && v[i].local.port == lport)
			return &v[i];
	return NULL;
}

static const struct sv_sock *find_peer(struct sv_sock *v, size_t n,
				       unsigned pport)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].state == SV_TCP_ESTABLISHED && v[i].peer.port == pport)
			return &v[i];
	return NULL;
}

/* The recording: listener 127.0.0.1:5000 (backlog 8); the client sent
 * 100000 bytes, the server read 30000 and sent 5000, the client read 1000. */
static void test_tcp4_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("tcp4.bin", SV_PROTO_TCP, v);
	const struct sv_sock *l, *srv, *cli;
	const uint8_t lo[4] = { 127, 0, 0, 1 };

	(void)state;
	assert_int_equal(n, 3);
	l = find(v, n, SV_TCP_LISTEN, 5000);
	assert_non_null(l);
	assert_int_equal(l->send_q, 8); /* backlog */
	assert_int_equal(l->recv_q, 0);
	assert_memory_equal(l->local.addr, lo, 4);
	assert_int_equal(l->family, AF_INET);

	srv = find(v, n, SV_TCP_ESTABLISHED, 5000);
	cli = find_peer(v, n, 5000);
	assert_non_null(srv);
	assert_non_null(cli);
	assert_int_equal(srv->recv_q, 70000);
	assert_int_equal(cli->recv_q, 4000);
	assert_int_equal(srv->tcpi_len, 280);
	assert_true(sv_tcpi_has(srv->tcpi_len, total_rto));
	assert_int_equal(srv->tcpi.bytes_received, 100000);
	assert_int_equal(cli->tcpi.bytes_acked, 100001); /* counts the SYN */
	assert_int_equal(srv->tcpi.bytes_acked, 5000);	 /* SYN-ACK not */
	assert_int_equal(cli->tcpi.bytes_received, 5000);
	assert_string_equal(cli->cong, "bbr");
	assert_true(cli->has & SV_HAS_CONG);
	assert_int_equal(cli->skmem_n, 9);
	assert_true(cli->has & SV_HAS_INODE);
	assert_true(cli->inode != 0);
	assert_true(cli->has & SV_HAS_CGROUP);
	assert_true(cli->has & SV_HAS_SHUTDOWN);
	assert_int_equal(cli->shutdown, 0);
}

static void test_tcp4_seq(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("tcp4.bin", SV_PROTO_TCP, v);
	struct sv_sock srv = *find(v, n, SV_TCP_ESTABLISHED, 5000);
	struct sv_sock cli = *find_peer(v, n, 5000);
	uint64_t seq[SV_SEQ_MAX];
	unsigned got;

	(void)state;
	/* Everything acknowledged: bytes_acked counts the client's SYN only,
	 * and the forward count (1 + bytes sent once) agrees. */
	got = sv_sock_seq(&srv, seq);
	assert_int_equal(got, (1u << SV_SEQ_MAX) - 1);
	assert_int_equal(seq[SV_SEQ_RCV_NXT], 100001);
	assert_int_equal(seq[SV_SEQ_COPIED_SEQ], 30001);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 5001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 5001);
	assert_int_equal(seq[SV_SEQ_WRITE_SEQ], 5001);

	got = sv_sock_seq(&cli, seq);
	assert_int_equal(got, (1u << SV_SEQ_MAX) - 1);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 100001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 100001);
	assert_int_equal(seq[SV_SEQ_WRITE_SEQ], 100001);
	assert_int_equal(seq[SV_SEQ_RCV_NXT], 5001);
	assert_int_equal(seq[SV_SEQ_COPIED_SEQ], 1001);

	/* 1000 bytes in flight and 500 not sent: snd_una is the forward
	 * count less what the queues hold, whichever side opened. */
	srv.tcpi.bytes_sent = 6000;
	srv.send_q = 1500;
	srv.tcpi.notsent_bytes = 500;
	got = sv_sock_seq(&srv, seq);
	assert_int_equal(got, (1u << SV_SEQ_MAX) - 1);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 5001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 6001);
	assert_int_equal(seq[SV_SEQ_WRITE_SEQ], 6501);

	/* retransmitted bytes are not new sequence space */
	srv.tcpi.bytes_sent = 7000;
	srv.tcpi.bytes_retrans = 1000;
	got = sv_sock_seq(&srv, seq);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 5001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 6001);

	/* counts that disagree (a segment counted sent that never left):
	 * the send side stays absent rather than maybe off by one */
	srv.tcpi.bytes_sent = 7002;
	got = sv_sock_seq(&srv, seq);
	assert_int_equal(got, 1u << SV_SEQ_RCV_NXT | 1u << SV_SEQ_COPIED_SEQ);

	/* LAST-ACK: our FIN sent (nothing unsent), not yet acknowledged */
	cli.state = SV_TCP_LAST_ACK;
	cli.send_q = 1;
	got = sv_sock_seq(&cli, seq);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 100001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 100002);
	assert_int_equal(seq[SV_SEQ_WRITE_SEQ], 100002);

	/* FIN-WAIT-1 with data unsent: the FIN waits behind it */
	cli.state = SV_TCP_FIN_WAIT1;
	cli.send_q = 301;
	cli.tcpi.notsent_bytes = 201;
	cli.tcpi.bytes_sent = 100100;
	got = sv_sock_seq(&cli, seq);
	assert_int_equal(seq[SV_SEQ_SND_UNA], 100001);
	assert_int_equal(seq[SV_SEQ_SND_NXT], 100101);
	assert_int_equal(seq[SV_SEQ_WRITE_SEQ], 100302);
}

static void test_tcp6_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("tcp6.bin", SV_PROTO_TCP, v);
	const struct sv_sock *l, *srv;
	const uint8_t loop6[16] = { [15] = 1 };

	(void)state;
	assert_int_equal(n, 3);
	l = find(v, n, SV_TCP_LISTEN, 5001);
	assert_non_null(l);
	assert_int_equal(l->family, AF_INET6);
	assert_memory_equal(l->local.addr, loop6, 16);
	assert_int_equal(l->send_q, 4);
	srv = find(v, n, SV_TCP_ESTABLISHED, 5001);
	assert_non_null(srv);
	assert_int_equal(srv->recv_q, 777);
	assert_int_equal(srv->tcpi.bytes_received, 777);
}

/* Old kernels send a shorter tcp_info: later fields must be absent. */
static void test_short_tcp_info(void **state)
{
	size_t len;
	char *buf = fixture_read("tcp4.bin", &len);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *a;
	struct sv_sock s;
	unsigned cut[] = { 0, 8, 104, 120, 136, 232, 248 };
	size_t i;

	(void)state;
	assert_non_null(buf);
	/* the first message is the listener; shrink its INFO attribute */
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		char *copy = malloc(nlh->nlmsg_len);
		struct nlmsghdr *h = (struct nlmsghdr *)copy;

		memcpy(copy, buf, nlh->nlmsg_len);
		mnl_attr_for_each(a, h, sizeof(struct inet_diag_msg))
		{
			if (mnl_attr_get_type(a) == INET_DIAG_INFO) {
				a->nla_type = INET_DIAG_INFO;
				/* shrink in place: pad the rest as an
				 * attribute the parser ignores */
				unsigned old = a->nla_len;
				unsigned neu = MNL_ALIGN(MNL_ATTR_HDRLEN + cut[i]);
				struct nlattr *pad;

				a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + cut[i]);
				pad = (struct nlattr *)((char *)a + neu);
				pad->nla_len = (uint16_t)(MNL_ALIGN(old) - neu);
				pad->nla_type = 0x7ff;
				break;
			}
		}
		assert_int_equal(sv_diag_parse_inet(h, SV_PROTO_TCP, &s), 0);
		assert_int_equal(s.tcpi_len, cut[i]);
		assert_int_equal(sv_tcpi_has(s.tcpi_len, rto), cut[i] >= 12);
		assert_int_equal(sv_tcpi_has(s.tcpi_len, bytes_acked),
				 cut[i] >= 128);
		assert_int_equal(sv_tcpi_has(s.tcpi_len, snd_wnd), cut[i] >= 232);
		assert_int_equal(sv_tcpi_has(s.tcpi_len, total_rto),
				 cut[i] >= 242);
		free(copy);
	}
	free(buf);
}

static void test_truncated_message(void **state)
{
	size_t len;
	char *buf = fixture_read("tcp4.bin", &len);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct sv_sock s;
	uint32_t keep = nlh->nlmsg_len;

	(void)state;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg) - 1);
	assert_int_equal(sv_diag_parse_inet(nlh, SV_PROTO_TCP, &s), -EINVAL);
	assert_int_equal(sv_diag_parse_unix(nlh, &s), -EINVAL);
	nlh->nlmsg_len = keep;
	/* An attribute running past its message ends the attribute walk:
	 * the socket keeps its header fields, nothing past is read. */
	{
		struct nlattr *a = (struct nlattr *)((char *)nlh +
			NLMSG_LENGTH(sizeof(struct inet_diag_msg)));

		a->nla_len = 0xfff0;
		assert_int_equal(sv_diag_parse_inet(nlh, SV_PROTO_TCP, &s), 0);
		assert_int_equal(s.tcpi_len, 0);
		assert_int_equal(s.skmem_n, 0);
		assert_false(s.has & SV_HAS_CONG);
		assert_int_equal(s.local.port, 5000);
	}
	free(buf);
}

/* Recording: /tmp/sv-fixture.sock listening (backlog 3), a dgram socket
 * bound to @sv-fixture, and a socketpair with 123 bytes unread. */
static void test_unix_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("unix.bin", SV_PROTO_UNIX, v), i;
	int saw_listen = 0, saw_abstract = 0, saw_pair = 0;

	(void)state;
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		const struct sv_sock *s = &v[i];

		assert_int_equal(s->family, AF_UNIX);
		if (s->state == SV_TCP_LISTEN) {
			saw_listen++;
			assert_int_equal(s->path_len, strlen("/tmp/sv-fixture.sock"));
			assert_memory_equal(s->path, "/tmp/sv-fixture.sock",
					    s->path_len);
			assert_int_equal(s->send_q, 3);
			assert_int_equal(s->type, SOCK_STREAM);
		} else if (s->type == SOCK_DGRAM) {
			saw_abstract++;
			assert_int_equal(s->path_len, 11);
			assert_memory_equal(s->path, "\0sv-fixture", 11);
			assert_false(s->has & SV_HAS_PEER_INODE);
		} else {
			saw_pair++;
			assert_true(s->has & SV_HAS_PEER_INODE);
			assert_false(s->has & SV_HAS_PATH);
			if (s->recv_q)
				assert_int_equal(s->recv_q, 123);
		}
		assert_true(s->has & SV_HAS_UID);
	}
	for (i = 0; i < n; i++)
		free((void *)v[i].path);
	assert_int_equal(saw_listen, 1);
	assert_int_equal(saw_abstract, 1);
	assert_int_equal(saw_pair, 2);
}

static int count_sock(struct sv_sock *s, void *arg)
{
	struct sv_sock *got = arg;

	got->inode++; /* the count of replies */
	got->local = s->local;
	return 0;
}

/* Steps a non-blocking request to its end; returns what the last step
 * returned (0: complete). */
static int finish(struct sv_diag *d)
{
	struct pollfd p = { .fd = sv_diag_fd(d), .events = POLLIN };
	int ret;

	while ((ret = sv_diag_step(d)) == 1)
		if (poll(&p, 1, 5000) != 1)
			return -ETIMEDOUT;
	return ret;
}

/* Every fourth exact request names a socket that does not exist. */
#define ABSENT(i) ((i) % 4 == 0)
#define PRESENT_AT_MAX (SV_DIAG_EXACT_MAX - SV_DIAG_EXACT_MAX / 4)

/*
 * SV_DIAG_EXACT_MAX exact requests at once: three in four name a real
 * listener of ours, the last one included, the others a cookie no socket
 * of theirs has.  Every present one is answered, none is lost to a full
 * receive buffer; one request more than the limit is refused.
 */
/* netlink.bin: a route socket in group 1 (the kernel dumps it twice)
 * and a generic dgram socket, beside the kernel's own. */
static void test_netlink_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("netlink.bin", SV_PROTO_NETLINK, v), i;
	unsigned route_user = 0, generic = 0, kernel = 0;

	(void)state;
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].family, AF_NETLINK);
		assert_int_equal(v[i].state, SV_TCP_CLOSE);
		assert_true(v[i].has & SV_HAS_QUEUES);
		assert_true(v[i].has & SV_HAS_NL_FLAGS);
		if (v[i].nl_proto == 0 && v[i].portid && v[i].type == SOCK_RAW)
			route_user++;
		if (v[i].nl_proto == 16 && v[i].portid &&
		    v[i].type == SOCK_DGRAM)
			generic++;
		if (v[i].portid == 0)
			kernel++;
	}
	/* the recorder's sock_diag socket is raw too, but not route */
	assert_int_equal(route_user, 2);
	assert_int_equal(generic, 1);
	assert_true(kernel > 0);
}

/* packet.bin: raw ETH_P_ALL bound to lo, dgram ETH_P_IP unbound. */
static void test_packet_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("packet.bin", SV_PROTO_PACKET, v), i;

	(void)state;
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].family, AF_PACKET);
		assert_true(v[i].has & SV_HAS_PK_INFO);
		assert_true(v[i].has & SV_HAS_UID);
		assert_true(v[i].has & SV_HAS_INODE);
		if (v[i].type == SOCK_RAW) {
			assert_int_equal(v[i].ethertype, 0x0003);
			assert_int_equal(v[i].ifindex, 1);
		} else {
			assert_int_equal(v[i].type, SOCK_DGRAM);
			assert_int_equal(v[i].ethertype, 0x0800);
			assert_int_equal(v[i].ifindex, 0);
		}
	}
}

/* mptcp4.bin: listener 127.0.0.1:5002, a connection carrying 4000
 * bytes from the client. */
static void test_mptcp_fixture(void **state)
{
	struct sv_sock v[MAX_SOCKS];
	size_t n = parse_all("mptcp4.bin", SV_PROTO_MPTCP, v);
	const struct sv_sock *l, *srv, *cli;

	(void)state;
	assert_int_equal(n, 3);
	l = find(v, n, SV_TCP_LISTEN, 5002);
	srv = find(v, n, SV_TCP_ESTABLISHED, 5002);
	cli = find_peer(v, n, 5002);
	assert_non_null(l);
	assert_non_null(srv);
	assert_non_null(cli);
	assert_int_equal(cli->type, SOCK_STREAM);
	assert_int_equal(cli->tcpi_len, 0);
	assert_int_equal(cli->mptcpi_len, sizeof(struct sv_mptcp_info));
	assert_int_equal(cli->mptcpi.bytes_sent, 4000);
	assert_int_equal(cli->mptcpi.bytes_acked, 4000);
	assert_int_equal(srv->mptcpi.bytes_received, 4000);
	assert_int_equal(cli->mptcpi.write_seq, srv->mptcpi.rcv_nxt);
	assert_int_equal(cli->mptcpi.subflows_total, 1);
}

static void test_inet_exact_limit(void **state)
{
	static struct sv_sock socks[SV_DIAG_EXACT_MAX + 1];
	static const struct sv_sock *ptrs[SV_DIAG_EXACT_MAX + 1];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct sv_sock got = { 0 };
	struct sv_diag *d;
	size_t i;
	int l;

	(void)state;
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	for (i = 0; i <= SV_DIAG_EXACT_MAX; i++) {
		socks[i].family = AF_INET;
		memcpy(socks[i].local.addr, &a.sin_addr, 4);
		socks[i].local.port = ntohs(a.sin_port);
		socks[i].cookie = ~(uint64_t)0; /* any */
		if (ABSENT(i)) {
			socks[i].local.port = (uint16_t)(1 + i % 1000);
			socks[i].cookie = 1;
		}
		ptrs[i] = &socks[i];
	}

	assert_int_equal(sv_diag_open(&d), 0);
	assert_int_equal(sv_diag_set_nonblock(d), 0);
	assert_int_equal(sv_diag_begin_inet_exact(d, SV_PROTO_TCP, ptrs,
						  SV_DIAG_EXACT_MAX + 1,
						  count_sock, &got),
			 -EINVAL);
	assert_int_equal(sv_diag_begin_inet_exact(d, SV_PROTO_TCP, ptrs,
						  SV_DIAG_EXACT_MAX,
						  count_sock, &got),
			 0);
	assert_int_equal(finish(d), 0);
	assert_int_equal(got.inode, PRESENT_AT_MAX);
	assert_int_equal(got.local.port, ntohs(a.sin_port));
	sv_diag_close(d);
	close(l);
}

/* The same for UNIX sockets by inode: a socketpair of ours, and inodes
 * far above any the kernel has handed out. */
static void test_unix_exact_limit(void **state)
{
	static uint64_t inodes[SV_DIAG_EXACT_MAX + 1];
	struct sv_sock got = { 0 };
	struct sv_diag *d;
	struct stat st;
	int sp[2];
	size_t i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(fstat(sp[0], &st), 0);
	for (i = 0; i <= SV_DIAG_EXACT_MAX; i++)
		inodes[i] = ABSENT(i) ? UINT32_MAX - i : st.st_ino;

	assert_int_equal(sv_diag_open(&d), 0);
	assert_int_equal(sv_diag_set_nonblock(d), 0);
	assert_int_equal(sv_diag_begin_unix_inodes(d, inodes,
						   SV_DIAG_EXACT_MAX + 1,
						   count_sock, &got),
			 -EINVAL);
	assert_int_equal(sv_diag_begin_unix_inodes(d, inodes,
						   SV_DIAG_EXACT_MAX,
						   count_sock, &got),
			 0);
	assert_int_equal(finish(d), 0);
	assert_int_equal(got.inode, PRESENT_AT_MAX);
	sv_diag_close(d);
	close(sp[0]);
	close(sp[1]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_fixture),
		cmocka_unit_test(test_tcp4_seq),
		cmocka_unit_test(test_tcp6_fixture),
		cmocka_unit_test(test_short_tcp_info),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_unix_fixture),
		cmocka_unit_test(test_netlink_fixture),
		cmocka_unit_test(test_packet_fixture),
		cmocka_unit_test(test_mptcp_fixture),
		cmocka_unit_test(test_inet_exact_limit),
		cmocka_unit_test(test_unix_exact_limit),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
