/* SPDX-License-Identifier: MIT */
#ifndef SV_STRBUF_H
#define SV_STRBUF_H

#include <stddef.h>

/* A growable byte string, reused across rows so it stops growing. */
struct sv_strbuf {
	char *p;
	size_t len, cap;
};

void sv_strbuf_grow(struct sv_strbuf *b, size_t extra);
void sv_strbuf_add(struct sv_strbuf *b, const void *p, size_t n);
void sv_strbuf_addc(struct sv_strbuf *b, char c);
void sv_strbuf_adds(struct sv_strbuf *b, const char *s);
void sv_strbuf_free(struct sv_strbuf *b);

#endif
