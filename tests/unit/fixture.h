/* SPDX-License-Identifier: MIT */
/* Shared by the unit tests: recorded replies and captured output. */
#ifndef SV_TEST_FIXTURE_H
#define SV_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "out/outbuf.h"

/* Reads tests/fixtures/NAME whole; the tests run from the top dir. */
static inline char *fixture_read(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "tests/fixtures/%s", name);
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
