// SPDX-License-Identifier: MIT
/* What a readiness wakeup means: the pure rules of watch/edges.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/epoll.h>

#include "watch/edges.h"
#include "fixture.h"

#define NOW 1000000000000ull
#define MS 1000000ull

struct run {
	struct sv_edge e[SV_EDGE_MAX];
	size_t n;
};

/* One wakeup: the main entry (out = false) or the output entry. */
static struct run wake(struct sv_edge_state *st, bool out, uint32_t ev,
		       uint8_t kind, uint64_t drain)
{
	struct sv_edge_in in = {
		.ev = ev,
		.out_entry = out,
		.kind = kind,
		.drain = drain,
		.now_ns = NOW,
	};
	struct run r;

	memset(&r, 0, sizeof(r));
	r.n = sv_edges(st, &in, r.e);
	return r;
}

/* A TCP wakeup of the main entry with the receive counters read. */
static struct run wake_rx(struct sv_edge_state *st, uint32_t ev,
			  uint64_t rx, uint32_t ago_ms, uint64_t drain)
{
	struct sv_edge_in in = {
		.ev = ev,
		.kind = SV_EDGE_TCP,
		.has_rx = true,
		.rx_bytes = rx,
		.last_recv_ms = ago_ms,
		.drain = drain,
		.now_ns = NOW,
	};
	struct run r;

	memset(&r, 0, sizeof(r));
	r.n = sv_edges(st, &in, r.e);
	return r;
}

static void expect(const struct run *r, size_t i, uint32_t bit,
		   uint8_t source, uint64_t time_ns)
{
	assert_true(i < r->n);
	assert_int_equal(r->e[i].bit, bit);
	assert_int_equal(r->e[i].source, source);
	assert_int_equal(r->e[i].time_ns, time_ns);
}

static struct run reg(struct sv_edge_state *st, uint32_t mask, uint8_t kind,
		      bool has_rx, uint64_t rx, uint32_t ago_ms)
{
	struct sv_edge_reg g = {
		.mask = mask,
		.kind = kind,
		.has_rx = has_rx,
		.rx_bytes = rx,
		.last_recv_ms = ago_ms,
		.now_ns = NOW,
	};
	struct run r;

	memset(&r, 0, sizeof(r));
	r.n = sv_edges_registered(st, &g, r.e);
	return r;
}

/* Registration: each entry's first report is swallowed; bytes a TCP
 * socket received before are reported at the kernel's time. */
static void test_registration(void **state)
{
	struct sv_edge_state st;
	struct run r;

	(void)state;
	r = reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 0, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(wake(&st, true, EPOLLOUT, SV_EDGE_TCP, 1).n, 0);
	assert_int_equal(wake_rx(&st, EPOLLOUT, 0, 0, 1).n, 0);

	/* the target read the first request before we found the socket */
	r = reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 120, 7);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED,
	       NOW - 7 * MS);
	assert_true(r.e[0].kernel_time && r.e[0].before_registration);

	/* a fresh TCP or UNIX stream socket polls as hung up (TCP_CLOSE):
	 * no hangup happened; the first real one is reported */
	{
		struct sv_edge_reg g = {
			.mask = EPOLLOUT | EPOLLHUP,
			.kind = SV_EDGE_TCP,
			.has_rx = true,
			.now_ns = NOW,
			.unconnected = true,
		};

		assert_int_equal(sv_edges_registered(&st, &g, r.e), 0);
		assert_int_equal(wake(&st, false, EPOLLOUT | EPOLLHUP,
				      SV_EDGE_TCP, 1).n, 0);
		r = wake(&st, false, EPOLLOUT | EPOLLHUP | EPOLLERR,
			 SV_EDGE_TCP, 2);
		assert_int_equal(r.n, 2);
		g.unconnected = false;
		r.n = sv_edges_registered(&st, &g, r.e);
		assert_int_equal(r.n, 1);
		expect(&r, 0, EPOLLHUP, SV_EDGE_EPOLL, NOW);
	}

	/* still queued: seen by poll(2) at registration */
	r = reg(&st, EPOLLIN | EPOLLOUT, SV_EDGE_UDP, false, 0, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
	assert_true(r.e[0].before_registration);
}

/* TCP: the receive counters decide, not the wakeup. */
static void test_tcp_counters(void **state)
{
	struct sv_edge_state st;
	struct run r;

	(void)state;
	reg(&st, 0, SV_EDGE_TCP, true, 0, 0);
	r = wake_rx(&st, EPOLLIN | EPOLLOUT, 100, 0, 1);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
	/* data the target read before we looked: inferred, kernel time */
	r = wake_rx(&st, EPOLLOUT, 200, 3, 2);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED,
	       NOW - 3 * MS);
	assert_true(r.e[0].kernel_time);
	/* a wakeup without new bytes (an ACK freeing space): nothing */
	r = wake_rx(&st, EPOLLOUT, 200, 0, 3);
	assert_int_equal(r.n, 0);
}

/* A wakeup taken from the queue later than it came: the counters' "ms
 * ago" counts from when they were read, not from the wakeup. */
static void test_counters_read_later(void **state)
{
	struct sv_edge_state st;
	struct sv_edge_in in = {
		.ev = EPOLLOUT,
		.kind = SV_EDGE_TCP,
		.has_rx = true,
		.rx_bytes = 300,
		.last_recv_ms = 12,
		.rx_ns = NOW + 10 * MS,
		.drain = 2,
		.now_ns = NOW,
	};
	struct run r;

	(void)state;
	reg(&st, 0, SV_EDGE_TCP, true, 0, 0);
	wake_rx(&st, EPOLLIN | EPOLLOUT, 100, 0, 1);
	memset(&r, 0, sizeof(r));
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED, NOW - 2 * MS);
}

/* Two data wakeups queued before the loop took the first: its read of the
 * counters found both requests' bytes, and the second wakeup, which came
 * before that read, is a readable of its own.  Not when it was freed
 * space (the output entry woke beside it), nor after the peer's FIN, nor
 * when the read came before it. */
static void test_counters_counted_earlier(void **state)
{
	struct sv_edge_state st;
	struct sv_edge_in in = {
		.ev = EPOLLIN | EPOLLOUT,
		.kind = SV_EDGE_TCP,
		.has_rx = true,
		.rx_bytes = 200,
		.rx_ns = NOW + 5 * MS,
		.drain = 1,
		.now_ns = NOW,
	};
	struct run r;

	(void)state;
	reg(&st, 0, SV_EDGE_TCP, true, 0, 0);
	memset(&r, 0, sizeof(r));
	r.n = sv_edges(&st, &in, r.e); /* the first: both requests */
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
	in.now_ns = NOW + 1 * MS; /* came before that read */
	in.rx_ns = NOW + 6 * MS;
	in.drain = 2;
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW + 1 * MS);
	/* freed space while the data waits unread: the output entry woke
	 * too; nothing new */
	in.space = true;
	in.drain = 3;
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 0);
	/* a wakeup after the read that found the bytes: the counters say */
	in.space = false;
	in.now_ns = NOW + 7 * MS;
	in.rx_ns = NOW + 8 * MS;
	in.drain = 4;
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 0);
	/* the peer's FIN, then a wakeup that came before the last read
	 * found bytes: EPOLLIN is the end of file, not data */
	in.ev = EPOLLIN | EPOLLRDHUP;
	in.rx_bytes = 300;
	in.now_ns = NOW + 9 * MS;
	in.rx_ns = NOW + 12 * MS;
	in.drain = 5;
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 2); /* the bytes and the FIN */
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW + 9 * MS);
	assert_int_equal(r.e[1].bit, EPOLLRDHUP);
	in.now_ns = NOW + 10 * MS;
	in.rx_ns = NOW + 13 * MS;
	in.drain = 6;
	r.n = sv_edges(&st, &in, r.e);
	assert_int_equal(r.n, 0);
}

/* A write-only UDP or UNIX socket: its sends free space and wake both
 * entries; that is never readable. */
static void test_write_only(void **state)
{
	static const uint8_t kinds[] = { SV_EDGE_UDP, SV_EDGE_UNIX_STREAM,
					  SV_EDGE_UNIX_DGRAM };
	struct sv_edge_state st;
	size_t k;
	uint64_t d;

	(void)state;
	for (k = 0; k < 3; k++) {
		reg(&st, EPOLLOUT, kinds[k], false, 0, 0);
		wake(&st, false, EPOLLOUT, kinds[k], 1);
		wake(&st, true, EPOLLOUT, kinds[k], 1);
		for (d = 2; d < 10; d++) {
			assert_int_equal(
				wake(&st, false, EPOLLOUT, kinds[k], d).n, 0);
			/* not asked for EPOLLOUT: no writable either */
			assert_int_equal(
				wake(&st, true, EPOLLOUT, kinds[k], d).n, 0);
		}
	}
}

/* UDP: the main entry alone woke.  Data the target took first and
 * write space announced in another drain look the same without receive
 * counters, so nothing is inferred. */
static void test_udp_consumed(void **state)
{
	struct sv_edge_state st;
	struct run r;

	(void)state;
	reg(&st, 0, SV_EDGE_UDP, false, 0, 0);
	r = wake(&st, false, EPOLLOUT, SV_EDGE_UDP, 1);
	assert_int_equal(r.n, 0);
}

/* TCP write space: writable each time; after the peer's FIN, a wakeup
 * of the output entry is the state change, not space. */
static void test_tcp_writable(void **state)
{
	struct sv_edge_state st;
	struct run r;

	(void)state;
	reg(&st, 0, SV_EDGE_TCP, true, 0, 0);
	r = wake(&st, true, EPOLLOUT, SV_EDGE_TCP, 1);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLOUT, SV_EDGE_EPOLL, NOW);
	r = wake(&st, true, EPOLLOUT, SV_EDGE_TCP, 2);
	assert_int_equal(r.n, 1);
	/* the FIN: one readable (end of file) and rdhup */
	r = wake_rx(&st, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 0, 0, 3);
	assert_int_equal(r.n, 2);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
	expect(&r, 1, EPOLLRDHUP, SV_EDGE_EPOLL, NOW);
	/* the FIN's state change woke the output entry in that drain */
	assert_int_equal(wake(&st, true, EPOLLOUT, SV_EDGE_TCP, 3).n, 0);
	assert_int_equal(wake(&st, true, EPOLLOUT, SV_EDGE_TCP, 4).n, 0);
	/* end of file stays readable: no second readable, then the hup */
	r = wake_rx(&st, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP, 0, 0, 5);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLHUP, SV_EDGE_EPOLL, NOW);
}

/* Each event says whether the target waits for it. */
static void test_interest(void **state)
{
	struct sv_edge_state st;
	struct sv_edge_in in = {
		.ev = EPOLLIN | EPOLLHUP,
		.kind = SV_EDGE_UDP,
		.interest_known = true,
		.interest = EPOLLOUT,
		.drain = 1,
		.now_ns = NOW,
	};
	struct sv_edge e[SV_EDGE_MAX];
	size_t n;

	(void)state;
	reg(&st, 0, SV_EDGE_UDP, false, 0, 0);
	n = sv_edges(&st, &in, e);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].interest, 0); /* readable: not asked */
	assert_int_equal(e[1].interest, 1); /* hup: always delivered */
	/* UDP writable only while the target asks for it */
	in.out_entry = true;
	in.ev = EPOLLOUT;
	in.drain = 2;
	n = sv_edges(&st, &in, e);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].bit, EPOLLOUT);
	assert_int_equal(e[0].interest, 1);
	in.interest_known = false;
	in.drain = 3;
	assert_int_equal(sv_edges(&st, &in, e), 0);
}

/* TCP freed space: said unless the target's epoll sets hold the socket
 * without asking for it (then its loop cannot get it). */
static void test_tcp_writable_interest(void **state)
{
	struct sv_edge_state st;
	struct sv_edge_in in = {
		.ev = EPOLLOUT,
		.out_entry = true,
		.kind = SV_EDGE_TCP,
		.interest_known = true,
		.interest = EPOLLIN,
		.drain = 1,
		.now_ns = NOW,
	};
	struct sv_edge e[SV_EDGE_MAX];

	(void)state;
	reg(&st, 0, SV_EDGE_TCP, false, 0, 0);
	assert_int_equal(sv_edges(&st, &in, e), 0);
	in.interest = EPOLLIN | EPOLLOUT;
	in.drain = 2;
	assert_int_equal(sv_edges(&st, &in, e), 1);
	assert_int_equal(e[0].bit, EPOLLOUT);
	assert_int_equal(e[0].interest, 1);
	/* in no epoll set: a blocking writer may wait for it */
	in.interest_known = false;
	in.drain = 3;
	assert_int_equal(sv_edges(&st, &in, e), 1);
	assert_int_equal(e[0].interest, -1);
}

/* A hangup on a socket the target's epoll sets no longer hold (it read
 * the end of file and stopped polling): its loop never gets it. */
static void test_hangup_not_polled(void **state)
{
	struct sv_edge_state st;
	struct sv_edge_in in = {
		.ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP,
		.kind = SV_EDGE_UDP,
		.in_no_set = true,
		.drain = 1,
		.now_ns = NOW,
	};
	struct sv_edge e[SV_EDGE_MAX];
	size_t n, i;

	(void)state;
	reg(&st, EPOLLOUT, SV_EDGE_UDP, false, 0, 0);
	st.in_reg = false;
	n = sv_edges(&st, &in, e);
	for (i = 0; i < n; i++)
		assert_int_not_equal(e[i].bit, EPOLLHUP);
	/* still in a set: the hangup is news */
	reg(&st, EPOLLOUT, SV_EDGE_UDP, false, 0, 0);
	st.in_reg = false;
	in.in_no_set = false;
	n = sv_edges(&st, &in, e);
	assert_true(n >= 1);
	assert_int_equal(e[n - 1].bit, EPOLLHUP);
}

/* The first report after the registration is the state at
 * EPOLL_CTL_ADD: bytes or a FIN that came after the registration read
 * the counters are in it, merged with that state, and are events. */
static void test_first_report_merged(void **state)
{
	struct sv_edge_state st;
	struct run r;

	(void)state;
	/* the request came after the read, before our thread took the
	 * report: a readable at the kernel's time, not at our thread's */
	reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 0, 0);
	r = wake_rx(&st, EPOLLIN | EPOLLOUT, 27, 2, 1);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW - 2 * MS);
	assert_true(r.e[0].kernel_time);
	/* and the target read it before: inferred */
	reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 0, 0);
	r = wake_rx(&st, EPOLLOUT, 27, 1, 1);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED, NOW - 1 * MS);
	/* the request came after our thread took the report, before the
	 * loop read the counters for it: one readable, not two */
	{
		struct sv_edge_in in = {
			.ev = EPOLLOUT,
			.kind = SV_EDGE_TCP,
			.has_rx = true,
			.rx_bytes = 27,
			.rx_ns = NOW + 1 * MS,
			.drain = 1,
			.now_ns = NOW,
		};

		reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 0, 4);
		memset(&r, 0, sizeof(r));
		r.n = sv_edges(&st, &in, r.e);
		assert_int_equal(r.n, 1);
		expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED, NOW + 1 * MS);
		in.ev = EPOLLIN | EPOLLOUT;
		in.now_ns = NOW + MS / 2;
		in.rx_ns = NOW + 2 * MS;
		in.drain = 2;
		assert_int_equal(sv_edges(&st, &in, r.e), 0);
	}
	/* nothing new: the state, swallowed */
	reg(&st, EPOLLIN | EPOLLOUT, SV_EDGE_TCP, true, 27, 0);
	assert_int_equal(wake_rx(&st, EPOLLIN | EPOLLOUT, 27, 0, 1).n, 0);
	/* the peer's FIN, counters unread (the target closed it meanwhile):
	 * the end of file and the rdhup, and its byte counted as a read
	 * would have (no unseen byte at its destroy message) */
	reg(&st, EPOLLOUT, SV_EDGE_TCP, true, 27, 0);
	r = wake(&st, false, EPOLLIN | EPOLLOUT | EPOLLRDHUP, SV_EDGE_TCP, 1);
	assert_int_equal(r.n, 2);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
	expect(&r, 1, EPOLLRDHUP, SV_EDGE_EPOLL, NOW);
	assert_true(st.eof);
	assert_int_equal(st.rx_bytes, 28);
	/* UDP: a datagram queued at the registration is no new one */
	reg(&st, EPOLLIN | EPOLLOUT, SV_EDGE_UDP, false, 0, 0);
	assert_int_equal(wake(&st, false, EPOLLIN | EPOLLOUT, SV_EDGE_UDP,
			      1).n, 0);
	reg(&st, EPOLLOUT, SV_EDGE_UDP, false, 0, 0);
	r = wake(&st, false, EPOLLIN | EPOLLOUT, SV_EDGE_UDP, 1);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL, NOW);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registration),
		cmocka_unit_test(test_tcp_counters),
		cmocka_unit_test(test_write_only),
		cmocka_unit_test(test_udp_consumed),
		cmocka_unit_test(test_counters_read_later),
		cmocka_unit_test(test_counters_counted_earlier),
		cmocka_unit_test(test_tcp_writable),
		cmocka_unit_test(test_interest),
		cmocka_unit_test(test_tcp_writable_interest),
		cmocka_unit_test(test_hangup_not_polled),
		cmocka_unit_test(test_first_report_merged),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
