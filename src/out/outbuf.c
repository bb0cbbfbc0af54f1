// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/util.h"
#include "out/outbuf.h"

static void (*epipe_hook)(void *);
static void *epipe_arg;

void sv_out_on_epipe(void (*fn)(void *), void *arg)
{
	epipe_hook = fn;
	epipe_arg = arg;
}

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
			/* The reader went away (| head): nothing to report,
			 * unless work under way needs the rest (a capture). */
			if (errno == EPIPE) {
				if (epipe_hook)
					epipe_hook(epipe_arg);
				_exit(0);
			}
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
