/* SPDX-License-Identifier: MIT */
#ifndef SV_OUTBUF_H
#define SV_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"

/*
 * Buffered output with a checked write(2): printf-family formatting and
 * small writes dominate the cost of printing 100,000 sockets.
 */
struct sv_strbuf;

struct sv_out {
	int fd;
	struct sv_strbuf *mem; /* when set, flushes append here, not to fd */
	size_t len;
	char buf[1 << 16];
};

void sv_out_init(struct sv_out *o, int fd);
/* Output into memory: the text is in mem after sv_out_flush(). */
void sv_out_init_mem(struct sv_out *o, struct sv_strbuf *mem);
/*
 * What a reader that went away (EPIPE) means: by default a quiet exit 0;
 * fn, when set, runs first and may exit otherwise.  NULL restores it.
 */
void sv_out_on_epipe(void (*fn)(void *), void *arg);
/* Writes everything buffered; dies on a write error, exits 0 on EPIPE. */
void sv_out_flush(struct sv_out *o);
void sv_out_write_all(struct sv_out *o, const void *p, size_t n);

static inline void sv_out_mem(struct sv_out *o, const void *p, size_t n)
{
	if (n > sizeof(o->buf) - o->len) {
		sv_out_flush(o);
		if (n > sizeof(o->buf)) {
			sv_out_write_all(o, p, n);
			return;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void sv_out_str(struct sv_out *o, const char *s)
{
	sv_out_mem(o, s, strlen(s));
}

static inline void sv_out_char(struct sv_out *o, char c)
{
	if (o->len == sizeof(o->buf))
		sv_out_flush(o);
	o->buf[o->len++] = c;
}

void sv_out_spaces(struct sv_out *o, size_t n);

/* Room for n bytes at the end of the buffer (n well below its size);
 * the caller writes there and adds what it wrote to o->len. */
static inline char *sv_out_reserve(struct sv_out *o, size_t n)
{
	if (n > sizeof(o->buf) - o->len)
		sv_out_flush(o);
	return o->buf + o->len;
}

/* Written in place: no copy from a scratch buffer. */
static inline void sv_out_u64(struct sv_out *o, uint64_t v)
{
	char *p = sv_out_reserve(o, 24);

	if (v < 10) {
		*p = (char)('0' + v);
		o->len++;
		return;
	}
	o->len += sv_u64_to_text(v, p);
}

#endif
