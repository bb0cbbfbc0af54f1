// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outbuf.h"
#include "strbuf.h"
#include "util.h"

void sv_out_init(struct sv_out *o, int fd)
{
	o->fd = fd;
	o->mem = NULL;
	o->len = 0;
}

void sv_out_init_mem(struct sv_out *o, struct sv_strbuf *mem)
{
	o->fd = -1;
	o->mem = mem;
	o->len = 0;
}

void sv_out_write_all(struct sv_out *o, const void *p, size_t n)
{
	const char *c = p;

	if (o->mem) {
		sv_strbuf_add(o->mem, p, n);
		return;
	}
	while (n) {
		ssize_t w = write(o->fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* The reader went away (| head): nothing to report. */
			if (errno == EPIPE)
				_exit(0);
			sv_die("write error: %s", strerror(errno));
		}
		c += w;
		n -= (size_t)w;
	}
}

void sv_out_flush(struct sv_out *o)
{
	sv_out_write_all(o, o->buf, o->len);
	o->len = 0;
}

void sv_out_spaces(struct sv_out *o, size_t n)
{
	static const char sp[32] = "                                ";

	while (n) {
		size_t k = n < sizeof(sp) ? n : sizeof(sp);

		sv_out_mem(o, sp, k);
		n -= k;
	}
}

/* Two digits per division: numbers are most of what JSON output is. */
static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

size_t sv_u64_to_text(uint64_t v, char *buf)
{
	size_t n = 1;
	uint64_t t;
	char *p;

	for (t = v; t >= 10; t /= 10)
		n++;
	p = buf + n;
	*p = '\0';
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--p = digits2[d + 1];
		*--p = digits2[d];
	}
	if (v >= 10) {
		*--p = digits2[v * 2 + 1];
		*--p = digits2[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return n;
}
