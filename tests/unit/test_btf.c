// SPDX-License-Identifier: MIT
/* The BTF reader on a blob made here: types found by kind and name,
 * members through typedefs and anonymous unions, sizes of pointers and
 * arrays, bit fields refused, and blobs that are not BTF refused. */
#include <errno.h>
#include <linux/btf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "sys/btf.h"
#include "fixture.h"

struct blob {
	uint32_t types[128];
	size_t nt;
	char strs[256];
	size_t ns;
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = (uint32_t)b->ns;

	if (!*s)
		return 0;
	memcpy(b->strs + b->ns, s, strlen(s) + 1);
	b->ns += strlen(s) + 1;
	return off;
}

static void word(struct blob *b, uint32_t w)
{
	b->types[b->nt++] = w;
}

static void type(struct blob *b, const char *name, unsigned kind,
		 unsigned vlen, unsigned kflag, uint32_t size_or_type)
{
	word(b, str(b, name));
	word(b, (kflag ? 1u << 31 : 0) | (kind & 0x1f) << 24 | vlen);
	word(b, size_or_type);
}

static void member(struct blob *b, const char *name, uint32_t t,
		   uint32_t bits)
{
	word(b, str(b, name));
	word(b, t);
	word(b, bits);
}

/* 1 int, 2 pid_t, 3 int *, 4 inner, 5 outer, 6 an anonymous union,
 * 7 char[16], 8 char, 9 a function, 10 a struct of bit fields */
static void kernel(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->ns = 1;
	type(b, "int", BTF_KIND_INT, 0, 0, 4);
	word(b, 32);
	type(b, "pid_t", BTF_KIND_TYPEDEF, 0, 0, 1);
	type(b, "", BTF_KIND_PTR, 0, 0, 1);
	type(b, "inner", BTF_KIND_STRUCT, 2, 0, 16);
	member(b, "x", 1, 0);
	member(b, "y", 2, 64);
	type(b, "outer", BTF_KIND_STRUCT, 4, 0, 48);
	member(b, "a", 1, 0);
	member(b, "", 6, 64);
	member(b, "p", 3, 256);
	member(b, "in", 4, 320);
	type(b, "", BTF_KIND_UNION, 2, 0, 16);
	member(b, "u", 1, 0);
	member(b, "comm", 7, 0);
	type(b, "", BTF_KIND_ARRAY, 0, 0, 0);
	word(b, 8);
	word(b, 1);
	word(b, 16);
	type(b, "char", BTF_KIND_INT, 0, 0, 1);
	word(b, 8);
	type(b, "bpf_iter_task_file", BTF_KIND_FUNC, 0, 0, 0);
	type(b, "bits", BTF_KIND_STRUCT, 1, 1, 4);
	member(b, "b", 1, 3u << 24 | 0);
}

/* The blob in a file; hdr_magic 0 keeps BTF's. */
static char *save(const struct blob *b, uint16_t magic)
{
	static char path[] = "/tmp/sv-btf-XXXXXX";
	struct btf_header h = {
		.magic = magic ? magic : BTF_MAGIC,
		.version = 1,
		.hdr_len = sizeof(h),
		.type_off = 0,
		.type_len = (uint32_t)(b->nt * 4),
		.str_off = (uint32_t)(b->nt * 4),
		.str_len = (uint32_t)b->ns,
	};
	int fd;

	strcpy(path, "/tmp/sv-btf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(fd, b->types, b->nt * 4), (ssize_t)(b->nt * 4));
	assert_int_equal(write(fd, b->strs, b->ns), (ssize_t)b->ns);
	close(fd);
	return path;
}

static struct sv_btf *load(const struct blob *b)
{
	struct sv_btf *btf = NULL;
	char *path = save(b, 0);

	assert_int_equal(sv_btf_load(&btf, path), 0);
	unlink(path);
	return btf;
}

static void test_types_by_kind_and_name(void **state)
{
	struct blob b;
	struct sv_btf *btf;
	uint32_t id = 0;

	(void)state;
	kernel(&b);
	btf = load(&b);
	assert_int_equal(sv_btf_find(btf, BTF_KIND_STRUCT, "outer", &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(
		sv_btf_find(btf, BTF_KIND_FUNC, "bpf_iter_task_file", &id), 0);
	assert_int_equal(id, 9);
	/* a name of another kind is not it */
	assert_int_equal(sv_btf_find(btf, BTF_KIND_FUNC, "outer", &id),
			 -ENOENT);
	assert_int_equal(sv_btf_find(btf, BTF_KIND_STRUCT, "nope", &id),
			 -ENOENT);
	sv_btf_free(btf);
}

static void test_members(void **state)
{
	struct blob b;
	struct sv_btf *btf;
	uint32_t off = 99, size = 99;

	(void)state;
	kernel(&b);
	btf = load(&b);
	assert_int_equal(sv_btf_member(btf, 5, "a", &off, &size), 0);
	assert_int_equal(off * 100 + size, 0 * 100 + 4);
	/* inside the anonymous union at byte 8 */
	assert_int_equal(sv_btf_member(btf, 5, "u", &off, &size), 0);
	assert_int_equal(off * 100 + size, 8 * 100 + 4);
	assert_int_equal(sv_btf_member(btf, 5, "comm", &off, &size), 0);
	assert_int_equal(off * 100 + size, 8 * 100 + 16);
	assert_int_equal(sv_btf_member(btf, 5, "p", &off, &size), 0);
	assert_int_equal(off * 100 + size, 32 * 100 + 8);
	assert_int_equal(sv_btf_member(btf, 5, "in", &off, &size), 0);
	assert_int_equal(off * 100 + size, 40 * 100 + 16);
	/* through a typedef */
	assert_int_equal(sv_btf_member(btf, 4, "y", &off, &size), 0);
	assert_int_equal(off * 100 + size, 8 * 100 + 4);
	/* a named struct member is not searched: its members are not ours */
	assert_int_equal(sv_btf_member(btf, 5, "x", &off, &size), -ENOENT);
	assert_int_equal(sv_btf_member(btf, 10, "b", &off, &size), -ENOENT);
	assert_int_equal(sv_btf_member(btf, 1, "a", &off, &size), -ENOENT);
	assert_int_equal(sv_btf_member(btf, 999, "a", &off, &size), -ENOENT);
	sv_btf_free(btf);
}

static void test_not_btf(void **state)
{
	struct blob b;
	struct sv_btf *btf = NULL;
	char *path;

	(void)state;
	kernel(&b);
	path = save(&b, 0x1234);
	assert_int_equal(sv_btf_load(&btf, path), -EPROTO);
	unlink(path);
	/* a kind this reader does not know: it cannot step over it */
	kernel(&b);
	type(&b, "future", 31, 0, 0, 0);
	path = save(&b, 0);
	assert_int_equal(sv_btf_load(&btf, path), -EPROTO);
	unlink(path);
	/* a type cut short by the end of the section */
	kernel(&b);
	b.nt -= 2;
	path = save(&b, 0);
	assert_int_equal(sv_btf_load(&btf, path), -EPROTO);
	unlink(path);
	assert_null(btf);
	assert_int_equal(sv_btf_load(&btf, "/nonexistent/btf"), -ENOENT);
}

/* A file that cannot be mapped (a kernel before 6.16 has no mmap for
 * its BTF; here a pipe, of size 0) is read instead. */
static void test_read_when_not_mapped(void **state)
{
	struct sv_btf *btf = NULL;
	struct btf_header h = { .magic = BTF_MAGIC, .version = 1,
				.hdr_len = sizeof(h) };
	char path[64];
	struct blob b;
	uint32_t id = 0;
	int fds[2];

	(void)state;
	kernel(&b);
	h.type_len = (uint32_t)(b.nt * 4);
	h.str_off = h.type_len;
	h.str_len = (uint32_t)b.ns;
	/* the blob is far below a pipe's 64 KiB: written whole before the
	 * read, and the end closed, so nothing waits */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(fds[1], b.types, b.nt * 4),
			 (ssize_t)(b.nt * 4));
	assert_int_equal(write(fds[1], b.strs, b.ns), (ssize_t)b.ns);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(sv_btf_load(&btf, path), 0);
	close(fds[0]);
	assert_int_equal(sv_btf_find(btf, BTF_KIND_STRUCT, "outer", &id), 0);
	assert_int_equal(id, 5);
	sv_btf_free(btf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_by_kind_and_name),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_not_btf),
		cmocka_unit_test(test_read_when_not_mapped),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
