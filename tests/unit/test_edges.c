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

#define NOW 1000000000ull

struct run {
	struct sv_edge e[SV_EDGE_MAX];
	size_t n;
};

static struct run wake(struct sv_edge_state *st, uint32_t ev, uint8_t kind,
		       bool filling, uint32_t interest)
{
	struct sv_edge_in in = {
		.ev = ev,
		.kind = kind,
		.send_filling = filling,
		.interest_known = interest != 0,
		.interest = interest,
		.now_ns = NOW,
	};
	struct run r;

	memset(&r, 0, sizeof(r));
	r.n = sv_edges(st, &in, r.e);
	return r;
}

static void expect(const struct run *r, size_t i, uint32_t bit,
		   uint8_t source)
{
	assert_true(i < r->n);
	assert_int_equal(r->e[i].bit, bit);
	assert_int_equal(r->e[i].source, source);
	assert_int_equal(r->e[i].time_ns, NOW);
}

/* The registration's report: data or a hangup already there, never
 * writable. */
static void test_registration(void **state)
{
	struct sv_edge_state st = { 0 };
	struct run r;

	(void)state;
	sv_edges_registered(&st, EPOLLOUT);
	r = wake(&st, EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 0);

	sv_edges_registered(&st, EPOLLIN | EPOLLOUT);
	r = wake(&st, EPOLLIN | EPOLLOUT | EPOLLRDHUP, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 2);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL);
	expect(&r, 1, EPOLLRDHUP, SV_EDGE_EPOLL);
}

static void test_readable(void **state)
{
	struct sv_edge_state st = { .last_ev = EPOLLOUT };
	struct run r;

	(void)state;
	r = wake(&st, EPOLLIN | EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL);
	/* data again: still readable, though the bit was set before */
	r = wake(&st, EPOLLIN | EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL);
}

/* Woken, and no data by the time we look: the target read it first. */
static void test_consumed(void **state)
{
	struct sv_edge_state st = { .last_ev = EPOLLOUT };
	struct run r;

	(void)state;
	r = wake(&st, EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLIN, SV_EDGE_INFERRED);
}

static void test_writable(void **state)
{
	struct sv_edge_state st = { .last_ev = 0 };
	struct run r;

	(void)state;
	/* newly writable */
	r = wake(&st, EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLOUT, SV_EDGE_EPOLL);
	/* writable again while the send buffer was filling */
	r = wake(&st, EPOLLOUT, SV_EDGE_TCP, true, 0);
	assert_int_equal(r.n, 1);
	expect(&r, 0, EPOLLOUT, SV_EDGE_EPOLL);
}

static void test_hangup_once(void **state)
{
	struct sv_edge_state st = { .last_ev = EPOLLOUT };
	struct run r;

	(void)state;
	r = wake(&st, EPOLLOUT | EPOLLRDHUP | EPOLLIN, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.n, 2);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL);
	expect(&r, 1, EPOLLRDHUP, SV_EDGE_EPOLL);
	r = wake(&st, EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLIN, SV_EDGE_TCP,
		 false, 0);
	assert_int_equal(r.n, 2);
	expect(&r, 0, EPOLLIN, SV_EDGE_EPOLL);
	expect(&r, 1, EPOLLHUP, SV_EDGE_EPOLL);
}

/* Each event says whether the target waits for it. */
static void test_interest(void **state)
{
	struct sv_edge_state st = { .last_ev = EPOLLOUT };
	struct run r;

	(void)state;
	r = wake(&st, EPOLLIN | EPOLLOUT | EPOLLHUP, SV_EDGE_TCP, false,
		 EPOLLOUT);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.e[0].interest, 0); /* readable: not asked */
	assert_int_equal(r.e[1].interest, 1); /* hup: always delivered */
	r = wake(&st, EPOLLIN | EPOLLOUT, SV_EDGE_TCP, false, 0);
	assert_int_equal(r.e[0].interest, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registration),
		cmocka_unit_test(test_readable),
		cmocka_unit_test(test_consumed),
		cmocka_unit_test(test_writable),
		cmocka_unit_test(test_hangup_once),
		cmocka_unit_test(test_interest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
