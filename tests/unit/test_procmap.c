// SPDX-License-Identifier: MIT
/* The owners map of -p: every (inode, pid, fd) added comes back from
 * find(), each inode's owners in pid then fd order, none for an inode
 * never added, checked against a brute-force count; find_all() gives
 * what find() gives, whatever the order it is asked in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sys/proc.h"
#include "fixture.h"

struct own {
	uint64_t inode;
	int pid, fd;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_own(const void *a, const void *b)
{
	const struct own *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Every inode added and the one after each, asked in a shuffled order
 * (the dump's), as -p's table does at its end. */
static void check_all(const struct sv_proc_map *m, const struct own *all,
		      size_t n)
{
	uint64_t *ask = calloc(2 * n, sizeof(*ask)), *keys;
	struct sv_proc_hit *hits;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	size_t i, k;

	assert_non_null(ask);
	for (i = 0; i < n; i++) {
		ask[2 * i] = all[i].inode;
		ask[2 * i + 1] = all[i].inode + 1;
	}
	for (i = 2 * n - 1; i > 0; i--) {
		size_t j = rnd(&s) % (i + 1);
		uint64_t x = ask[i];

		ask[i] = ask[j];
		ask[j] = x;
	}
	keys = calloc(2 * n, sizeof(*keys));
	hits = calloc(2 * n, sizeof(*hits));
	assert_non_null(keys);
	assert_non_null(hits);
	for (i = 0; i < 2 * n; i++)
		keys[i] = ask[i] << 32 | i;
	assert_int_equal(sv_proc_map_find_all(m, keys, 2 * n, hits), 0);
	for (i = 0; i < 2 * n; i++) {
		const struct sv_proc_ref *want = sv_proc_map_find(m, ask[i], &k);

		assert_int_equal(hits[i].n, k);
		assert_ptr_equal(sv_proc_map_hit(m, hits[i]), want);
	}
	free(ask);
	free(keys);
	free(hits);
}

static void check(struct own *all, size_t n)
{
	struct sv_proc_map *m = sv_proc_map_new();
	size_t i, j, k;

	assert_non_null(m);
	for (i = 0; i < n; i++)
		assert_int_equal(sv_proc_map_add(m, all[i].inode, all[i].pid,
						 all[i].fd, "p"),
				 0);
	assert_int_equal(sv_proc_map_finish(m), 0);
	assert_int_equal(sv_proc_map_count(m), n);
	qsort(all, n, sizeof(*all), cmp_own);
	for (i = 0; i < n; i = j) {
		const struct sv_proc_ref *r;

		for (j = i + 1; j < n && all[j].inode == all[i].inode; j++)
			;
		r = sv_proc_map_find(m, all[i].inode, &k);
		assert_non_null(r);
		assert_int_equal(k, j - i);
		for (k = 0; k < j - i; k++) {
			assert_int_equal(r[k].pid, all[i + k].pid);
			assert_int_equal(r[k].fd, all[i + k].fd);
		}
		/* the inode just past it, when nobody holds that one */
		if (j == n || all[j].inode != all[i].inode + 1) {
			assert_null(sv_proc_map_find(m, all[i].inode + 1, &k));
			assert_int_equal(k, 0);
		}
	}
	if (!(all[n - 1].inode >> 32))
		check_all(m, all, n);
	sv_proc_map_free(m);
}

/* 20,000 sockets with 32-bit inodes, some held by several processes or
 * descriptors, added in no order */
static void test_owners_by_inode(void **state)
{
	size_t n = 0, cap = 30000, i;
	struct own *all = calloc(cap, sizeof(*all));
	uint64_t s = 88172645463325252ull;

	(void)state;
	assert_non_null(all);
	for (i = 0; i < 20000; i++) {
		uint64_t ino = 1000 + (rnd(&s) & 0xffffffu);
		unsigned share = rnd(&s) % 16 == 0 ? 1 + rnd(&s) % 5 : 0;

		all[n++] = (struct own){ ino, (int)(rnd(&s) % 4000) + 1,
					 (int)(rnd(&s) % 100000) };
		while (share-- && n < cap)
			all[n++] = (struct own){ ino,
						 (int)(rnd(&s) % 4000) + 1,
						 (int)(rnd(&s) % 100000) };
	}
	check(all, n);
	free(all);
}

/* inodes past 32 bits take more radix passes (two that differ only
 * there, added in turn, must still come out as two runs); one inode
 * held 300 times */
static void test_wide_inodes_and_long_runs(void **state)
{
	struct own all[1400];
	uint64_t s = 2463534242ull;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		all[i] = (struct own){ (rnd(&s) >> 4) | 1ull << 59,
				       (int)(rnd(&s) % 50) + 1,
				       (int)(rnd(&s) % 9) };
	for (; i < 1100; i++)
		all[i] = (struct own){ 5 | 1ull << (40 + i % 2),
				       (int)(rnd(&s) % 50) + 1, (int)i };
	for (; i < 1400; i++)
		all[i] = (struct own){ 77, (int)(rnd(&s) % 50) + 1,
				       (int)(1400 - i) };
	check(all, 1400);
}

static void test_empty(void **state)
{
	struct sv_proc_map *m = sv_proc_map_new();
	size_t k = 5;

	(void)state;
	assert_int_equal(sv_proc_map_finish(m), 0);
	assert_null(sv_proc_map_find(m, 42, &k));
	assert_int_equal(k, 0);
	sv_proc_map_free(m);
}

/* A descriptor the kernel's iterator reports twice (a thread with a
 * copy of its process's table) is one owner. */
static void test_descriptor_twice_is_one_owner(void **state)
{
	struct sv_proc_map *m = sv_proc_map_new();
	const struct sv_proc_ref *r;
	size_t k;

	(void)state;
	assert_int_equal(sv_proc_map_add(m, 9, 10, 3, "a"), 0);
	assert_int_equal(sv_proc_map_add(m, 9, 10, 4, "a"), 0);
	assert_int_equal(sv_proc_map_add(m, 9, 11, 3, "b"), 0);
	assert_int_equal(sv_proc_map_add(m, 9, 10, 3, "a"), 0);
	assert_int_equal(sv_proc_map_finish(m), 0);
	assert_int_equal(sv_proc_map_count(m), 3);
	r = sv_proc_map_find(m, 9, &k);
	assert_int_equal(k, 3);
	assert_int_equal(r[0].pid * 100 + r[0].fd, 1003);
	assert_int_equal(r[1].pid * 100 + r[1].fd, 1004);
	assert_int_equal(r[2].pid * 100 + r[2].fd, 1103);
	assert_string_equal(r[2].comm, "b");
	sv_proc_map_free(m);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owners_by_inode),
		cmocka_unit_test(test_wide_inodes_and_long_runs),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_descriptor_twice_is_one_owner),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
