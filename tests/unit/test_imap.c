// SPDX-License-Identifier: MIT
/* The one hash table: inode maps, and hashed keys that share a hash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/imap.h"
#include "fixture.h"

static void test_inode_map(void **state)
{
	struct sv_imap m = { 0 };
	uint32_t v = 0;
	uint64_t k;

	(void)state;
	/* sequential inodes, as the kernel hands them out, past a resize */
	for (k = 1; k <= 1000; k++)
		assert_int_equal(sv_imap_put(&m, 5000 + k, (uint32_t)k), 0);
	assert_int_equal(m.n, 1000);
	assert_int_equal(sv_imap_put(&m, 5007, 77), 0); /* replaces */
	assert_int_equal(m.n, 1000);
	assert_int_equal(sv_imap_get(&m, 5007, &v), 1);
	assert_int_equal(v, 77);
	assert_int_equal(sv_imap_get(&m, 5000, &v), 0);
	assert_int_equal(sv_imap_put(&m, 0, 1), -EINVAL);
	for (k = 1; k <= 1000; k += 2)
		assert_int_equal(sv_imap_del(&m, 5000 + k), 1);
	assert_int_equal(sv_imap_del(&m, 5001), 0);
	for (k = 2; k <= 1000; k += 2) {
		assert_int_equal(sv_imap_get(&m, 5000 + k, &v), 1);
		assert_int_equal(v, k == 7 ? 77 : k);
	}
	sv_imap_free(&m);
}

/* Entries that share a key all come back from next(), and deleting
 * another key in their cluster keeps every one of them. */
static void test_shared_keys(void **state)
{
	struct sv_imap m = { 0 };
	size_t cursor = 0;
	uint32_t v, seen = 0;
	int n = 0;

	(void)state;
	/* 97 and 42 hash to the same slot of 64: 97 heads the cluster the
	 * three 42s follow, so deleting it re-places all three */
	assert_int_equal(sv_imap_put(&m, 97, 100), 0);
	assert_int_equal(sv_imap_add(&m, 42, 1), 0);
	assert_int_equal(sv_imap_add(&m, 42, 2), 0);
	assert_int_equal(sv_imap_add(&m, 42, 4), 0);
	assert_int_equal(m.nslots, 64);
	assert_int_equal(sv_imap_del(&m, 97), 1);
	while (sv_imap_next(&m, 42, &cursor, &v)) {
		seen |= v;
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen, 7);
	cursor = 0;
	assert_int_equal(sv_imap_next(&m, 43, &cursor, &v), 0);
	sv_imap_free(&m);
	cursor = 0;
	assert_int_equal(sv_imap_next(&m, 42, &cursor, &v), 0);
}

static void test_hash_bytes(void **state)
{
	(void)state;
	/* FNV-1a's published value for "a" */
	assert_true(sv_hash_bytes(0, "a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(sv_hash_bytes(0, "ab", 2) != sv_hash_bytes(0, "ba", 2));
	assert_true(sv_hash_bytes(2, "a", 1) != sv_hash_bytes(10, "a", 1));
	assert_true(sv_hash_bytes(0, "", 0) != 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inode_map),
		cmocka_unit_test(test_shared_keys),
		cmocka_unit_test(test_hash_bytes),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
