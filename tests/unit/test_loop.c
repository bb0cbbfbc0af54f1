// SPDX-License-Identifier: MIT
/* The target's loop and threadpool: /proc text as the kernel wrote it
 * (recorded from Node 24 on x86_64), and what a tick makes of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/strbuf.h"
#include "sys/tasks.h"
#include "core/util.h"
#include "watch/loop.h"
#include "fixture.h"

/* The main thread in its poll phase, an idle worker, a worker hashing. */
static const char main_poll[] =
	"281 0x10 0x7ffe36069ad0 0x400 0x8bc 0x0 0x8 0x7ffe36068d70 "
	"0x7fcfbc126cae\n";
static const char worker_idle[] =
	"202 0x6b94a68 0x189 0x0 0x0 0x0 0xffffffff 0x7fcfb9707bf0 "
	"0x7fcfbc0a3f16\n";
static const char worker_running[] = "running\n";
static const char stopped_in_user[] = "-1 0x7fcfb9707bf0 0x7fcfbc0a3f16\n";

static void test_call_parse(void **state)
{
	struct sv_task_call c;

	(void)state;
	assert_int_equal(
		sv_task_call_parse(main_poll, sizeof(main_poll) - 1, &c), 0);
	assert_int_equal(c.where, SV_CALL_SYSCALL);
	assert_int_equal(c.nr, 281);
	assert_int_equal(c.arg0, 0x10);
	assert_int_equal(
		sv_task_call_parse(worker_idle, sizeof(worker_idle) - 1, &c),
		0);
	assert_int_equal(c.nr, 202);
	assert_int_equal(c.arg0, 0x6b94a68);
	assert_int_equal(sv_task_call_parse(worker_running, 8, &c), 0);
	assert_int_equal(c.where, SV_CALL_RUNNING);
	assert_int_equal(sv_task_call_parse(stopped_in_user,
					    sizeof(stopped_in_user) - 1, &c),
			 0);
	assert_int_equal(c.where, SV_CALL_USER);
	assert_int_equal(sv_task_call_parse("", 0, &c), -EINVAL);
	assert_int_equal(sv_task_call_parse("abc", 3, &c), -EINVAL);
	assert_int_equal(sv_task_call_parse("7", 1, &c), -EINVAL);
	assert_int_equal(sv_task_call_parse("-12 0x1", 7, &c), -EINVAL);
}

static void test_syscall_names(void **state)
{
	(void)state;
#ifdef __x86_64__
	/* the numbers the recorded text holds */
	assert_true(sv_syscall_is_epoll_wait(232));
	assert_true(sv_syscall_is_epoll_wait(281));
	assert_true(sv_syscall_is_epoll_wait(441));
	assert_true(sv_syscall_is_futex(202));
	assert_string_equal(sv_syscall_name(7), "poll");
#endif
	assert_true(sv_syscall_is_epoll_wait(SYS_epoll_pwait));
	assert_false(sv_syscall_is_epoll_wait(SYS_futex));
	assert_false(sv_syscall_is_futex(SYS_epoll_pwait));
	assert_string_equal(sv_syscall_name(SYS_connect), "connect");
	assert_string_equal(sv_syscall_name(SYS_recvfrom), "recvfrom");
	assert_string_equal(sv_syscall_name(SYS_openat), "openat");
	assert_string_equal(sv_syscall_name(SYS_read), "read");
	assert_null(sv_syscall_name(100000));
	assert_null(sv_syscall_name(-1));
}

/* wchan as kernels write it: the epoll wait's function, or "0" for a
 * thread on a CPU; other sleeps are not epoll. */
static void test_wchan(void **state)
{
	(void)state;
	assert_true(sv_wchan_is_epoll_wait("do_epoll_wait", 13));
	assert_true(sv_wchan_is_epoll_wait("ep_poll", 7));
	assert_false(sv_wchan_is_epoll_wait("0", 1));
	assert_false(sv_wchan_is_epoll_wait("futex_wait_queue", 16));
	assert_false(sv_wchan_is_epoll_wait("ptrace_stop", 11));
	assert_false(sv_wchan_is_epoll_wait("do_epoll", 8));
}

static void test_cputime_parse(void **state)
{
	/* a comm with a space and parentheses, as a program may set it */
	static const char stat[] =
		"16629 (a) (b c) S 16620 16620 9127 0 -1 4194560 9811 0 0 0 "
		"57 12 0 0 20 0 11 0 45873 1186050048 12345 "
		"18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 "
		"17 1 0 0 0 0 0\n";
	static const char schedstat[] = "697315284 4502301 1093\n";
	struct sv_task_time t;
	uint64_t v;

	(void)state;
	assert_int_equal(sv_task_stat_parse(stat, sizeof(stat) - 1, &v), 0);
	assert_int_equal(v, 57 + 12);
	assert_int_equal(sv_task_stat_parse("1 (x) S 2", 9, &v), -EINVAL);
	assert_int_equal(sv_task_stat_parse("no parens", 9, &v), -EINVAL);
	assert_int_equal(
		sv_task_schedstat_parse(schedstat, sizeof(schedstat) - 1, &t),
		0);
	assert_int_equal(t.run_ns, 697315284ull);
	assert_int_equal(t.wait_ns, 4502301ull);
	assert_true(t.have_wait);
	assert_int_equal(sv_task_schedstat_parse("x", 1, &t), -EINVAL);
	assert_int_equal(sv_task_schedstat_parse("12", 2, &t), -EINVAL);
}

static void test_environ(void **state)
{
	static const char env[] = "PATH=/usr/bin\0UV_THREADPOOL_SIZEX=9\0"
				  "UV_THREADPOOL_SIZE=16\0HOME=/root";
	const char *v;
	size_t n;

	(void)state;
	assert_int_equal(sv_environ_find(env, sizeof(env) - 1,
					 "UV_THREADPOOL_SIZE", &v, &n),
			 1);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "16", 2);
	assert_int_equal(sv_environ_find(env, sizeof(env) - 1, "HOME", &v, &n),
			 1);
	assert_int_equal(n, 5);
	assert_int_equal(sv_environ_find(env, sizeof(env) - 1, "PAT", &v, &n),
			 0);
	assert_int_equal(sv_environ_find(env, 0, "PATH", &v, &n), 0);
}

/* What libuv's threadpool.c makes of UV_THREADPOOL_SIZE. */
static void test_pool_size(void **state)
{
	(void)state;
	assert_int_equal(sv_uv_threadpool_size(NULL), 4);
	assert_int_equal(sv_uv_threadpool_size("16"), 16);
	assert_int_equal(sv_uv_threadpool_size(" 8x"), 8);
	assert_int_equal(sv_uv_threadpool_size("0"), 1);
	assert_int_equal(sv_uv_threadpool_size(""), 1);
	assert_int_equal(sv_uv_threadpool_size("abc"), 1);
	assert_int_equal(sv_uv_threadpool_size("5000"), 1024);
	assert_int_equal(sv_uv_threadpool_size("99999999999999999999"), 1024);
	assert_int_equal(sv_uv_threadpool_size("-2"), 1024);
}

static struct sv_task_call call(const char *text)
{
	struct sv_task_call c;

	assert_int_equal(sv_task_call_parse(text, strlen(text), &c), 0);
	return c;
}

static void test_worker_busy(void **state)
{
	struct sv_task_call c;
	char buf[32];

	(void)state;
	assert_true(sv_loop_is_worker("libuv-worker"));
	assert_false(sv_loop_is_worker("node"));
	assert_false(sv_loop_is_worker("libuv-worker2"));
	c = call(worker_idle);
	assert_false(sv_loop_worker_busy(&c));
	c = call(worker_running);
	assert_true(sv_loop_worker_busy(&c));
	assert_string_equal(sv_loop_call_text(&c, buf, sizeof(buf)), "cpu");
	c = call(main_poll);
	assert_true(sv_loop_worker_busy(&c));
	assert_string_equal(sv_loop_call_text(&c, buf, sizeof(buf)),
			    "epoll_pwait");
	c = call("99999 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0");
	assert_string_equal(sv_loop_call_text(&c, buf, sizeof(buf)),
			    "nr 99999");
	assert_int_equal(sv_loop_permille(39, 40), 975);
	assert_int_equal(sv_loop_permille(1, 3), 333);
	assert_int_equal(sv_loop_permille(5, 0), 0);
	assert_int_equal(sv_loop_permille(7, 5), 1000);
}

static char *header(const struct sv_loopwatch *lw)
{
	struct sv_strbuf b = {0};

	sv_loop_header_text(lw, &b);
	sv_strbuf_addc(&b, '\0');
	return b.p;
}

static void test_header(void **state)
{
	struct sv_loop_worker w[4] = {0};
	struct sv_loopwatch lw = {0};
	char dns[80], *p;
	int i;

	(void)state;
	snprintf(dns, sizeof(dns), "%d 0x1a 0x1 0x1388 0x0 0x0 0x0 0x0 0x0",
		 SYS_connect);
	lw.pid = 100;
	lw.last.pool_size = 4;
	p = header(&lw);
	assert_string_equal(p, "target loop: thread 100, measuring");
	free(p);

	/* Node 20: no named worker */
	lw.last.valid = true;
	lw.last.span_ns = 1000000000;
	lw.last.have_cpu = true;
	lw.last.cpu_ns = 12000000;
	lw.last.have_runq = true;
	lw.last.runq_ns = 3000000;
	lw.last.samples = 200;
	lw.last.in_epoll = 195;
	p = header(&lw);
	assert_string_equal(p,
			    "target loop: thread 100 cpu 1.2%, waiting for a "
			    "cpu 0.3%, in epoll "
			    "97.5% | threadpool: workers unknown, size 4 "
			    "by default");
	free(p);

	/* two hashing, one in DNS, one idle */
	for (i = 0; i < 4; i++) {
		w[i].tid = 101 + i;
		w[i].have_call = true;
	}
	w[0].call = call(worker_running);
	w[1].call = call(dns);
	w[2].call = call(worker_running);
	w[3].call = call(worker_idle);
	lw.workers = w;
	lw.nworkers = 4;
	lw.last.workers_known = true;
	lw.last.workers = 4;
	lw.last.busy = 3;
	lw.last.busy_sum = 7;
	lw.last.worker_samples = 2;
	lw.last.pool_size = 16;
	lw.last.pool_from_env = true;
	p = header(&lw);
	assert_string_equal(p,
			    "target loop: thread 100 cpu 1.2%, waiting for a "
			    "cpu 0.3%, in epoll "
			    "97.5% | threadpool: 3 of 4 workers busy (mean "
			    "3.5), size 16 from UV_THREADPOOL_SIZE: cpu 2, "
			    "connect 1");
	free(p);

	/* the loop thread's syscall file was not readable */
	lw.call_err = -EACCES;
	lw.last.samples = 0;
	lw.last.have_cpu = false;
	lw.last.have_runq = false;
	w[1].have_call = false;
	lw.last.busy = 2;
	p = header(&lw);
	assert_string_equal(p, "target loop: thread 100 not readable "
			       "(Permission denied) | threadpool: 2 of 4 "
			       "workers busy (mean 3.5), size 16 from "
			       "UV_THREADPOOL_SIZE: cpu 2");
	free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_parse),
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_wchan),
		cmocka_unit_test(test_cputime_parse),
		cmocka_unit_test(test_environ),
		cmocka_unit_test(test_pool_size),
		cmocka_unit_test(test_worker_busy),
		cmocka_unit_test(test_header),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
