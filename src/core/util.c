// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"

const char *sv_progname = "sockview";
const char *sv_version = "unknown";

__attribute__((format(printf, 2, 0))) static void
vreport(const char *prefix, const char *fmt, va_list ap)
{
	/* stderr is unbuffered; a failure to report has nowhere to go. */
	fprintf(stderr, "%s: %s", sv_progname, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sv_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	exit(SV_EXIT_FAIL);
}

void sv_usage_die(const char *fmt, ...)
{
	va_list ap;

	/* one line: what is wrong, and where help is */
	fprintf(stderr, "%s: ", sv_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", sv_progname);
	exit(SV_EXIT_USAGE);
}

void sv_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("note: ", fmt, ap);
	va_end(ap);
}

void sv_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void *sv_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		sv_die("out of memory");
	return p;
}

int sv_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

int sv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Two digits per division: numbers are most of what JSON output is. */
static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

/* Digits of v, by comparisons: a division per digit cost more than
 * the digits' own writing. */
static size_t u64_len(uint64_t v)
{
	size_t n = 1;

	/* UINT64_MAX / 10^10 / 10^5 is below 10^5 */
	if (v >= 10000000000ull) {
		v /= 10000000000ull;
		n += 10;
	}
	if (v >= 100000) {
		v /= 100000;
		n += 5;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000) + (v >= 10000);
}

size_t sv_u64_to_text(uint64_t v, char *buf)
{
	size_t n;
	char *p;
	uint32_t w;

	if (v < 10) {
		buf[0] = (char)('0' + v);
		buf[1] = '\0';
		return 1;
	}
	n = u64_len(v);
	p = buf + n;
	*p = '\0';
	while (v > UINT32_MAX) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--p = digits2[d + 1];
		*--p = digits2[d];
	}
	/* 32-bit divisions from here: much cheaper than 64-bit ones */
	w = (uint32_t)v;
	while (w >= 100) {
		unsigned d = (w % 100) * 2;

		w /= 100;
		*--p = digits2[d + 1];
		*--p = digits2[d];
	}
	if (w >= 10) {
		*--p = digits2[(size_t)w * 2 + 1];
		*--p = digits2[(size_t)w * 2];
	} else {
		*--p = (char)('0' + w);
	}
	return n;
}

unsigned sv_uv_threadpool_size(const char *value)
{
	long v;

	if (!value)
		return SV_UV_THREADPOOL_DEFAULT;
	v = strtol(value, NULL, 10);
	if (v == 0)
		return 1;
	/* libuv keeps atoi()'s value in an unsigned: negative is huge */
	return v < 0 || v > 1024 ? 1024 : (unsigned)v;
}
