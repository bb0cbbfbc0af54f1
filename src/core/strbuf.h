/* SPDX-License-Identifier: MIT */
#ifndef SV_STRBUF_H
#define SV_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h" /* sv_u64_to_text */

/* A growable byte string, reused across rows so it stops growing. */
struct sv_strbuf {
	char *p;
	size_t len, cap;
};

/* Room for extra more bytes and a NUL. */
void sv_strbuf_grow(struct sv_strbuf *b, size_t extra);
void sv_strbuf_free(struct sv_strbuf *b);

/* Inline: a table row is built of hundreds of small pieces. */
static inline void sv_strbuf_add(struct sv_strbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		sv_strbuf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void sv_strbuf_addc(struct sv_strbuf *b, char c)
{
	if (b->len + 2 > b->cap)
		sv_strbuf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static inline void sv_strbuf_adds(struct sv_strbuf *b, const char *s)
{
	sv_strbuf_add(b, s, strlen(s));
}

/* v in decimal, written in place (sv_u64_to_text ends it with a NUL). */
static inline void sv_strbuf_addu(struct sv_strbuf *b, uint64_t v)
{
	if (b->len + 21 > b->cap)
		sv_strbuf_grow(b, 20);
	if (v < 10) {
		b->p[b->len++] = (char)('0' + v);
		b->p[b->len] = '\0';
		return;
	}
	b->len += sv_u64_to_text(v, b->p + b->len);
}

#endif
