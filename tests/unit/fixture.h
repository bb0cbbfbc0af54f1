/* SPDX-License-Identifier: MIT */
/*
 * Shared by the unit tests: recorded replies, captured output and the
 * test-name filter.  Include after <cmocka.h>.
 */
#ifndef SV_TEST_FIXTURE_H
#define SV_TEST_FIXTURE_H

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "out/outbuf.h"

/* The Makefile names the fixtures' folder, so any working directory does. */
#ifndef SV_FIXTURES
#define SV_FIXTURES "tests/fixtures"
#endif

/*
 * `test_NAME [PATTERN]`: only the tests whose names match PATTERN (* and
 * ?, as cmocka matches them) run.  A pattern that matches nothing is an
 * error, not a quiet pass.  Returns nonzero when main should exit 1.
 */
static inline int unit_filter(int argc, char **argv,
			      const struct CMUnitTest *tests, size_t n)
{
	size_t i;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [TEST-NAME-PATTERN]\n", argv[0]);
		return 1;
	}
	if (argc < 2)
		return 0;
	for (i = 0; i < n; i++)
		if (fnmatch(argv[1], tests[i].name, 0) == 0)
			break;
	if (i == n) {
		fprintf(stderr, "%s: no test matches '%s'\n", argv[0], argv[1]);
		return 1;
	}
	cmocka_set_test_filter(argv[1]);
	return 0;
}

#define UNIT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Reads SV_FIXTURES/NAME whole. */
static inline char *fixture_read(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SV_FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* An sv_out writing into a memfd, read back as a C string. */
static inline void capture_start(struct sv_out *o)
{
	int fd = memfd_create("capture", 0);

	sv_out_init(o, fd);
}

static inline char *capture_end(struct sv_out *o)
{
	off_t n;
	char *buf;

	sv_out_flush(o);
	n = lseek(o->fd, 0, SEEK_END);
	buf = calloc(1, (size_t)n + 1);
	if (pread(o->fd, buf, (size_t)n, 0) != n)
		buf[0] = '\0';
	close(o->fd);
	return buf;
}

#endif
