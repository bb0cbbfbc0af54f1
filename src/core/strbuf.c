// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/util.h"

void sv_strbuf_grow(struct sv_strbuf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	char *p;

	if (want <= b->cap)
		return;
	if (want < 2 * b->cap)
		want = 2 * b->cap;
	if (want < 256)
		want = 256;
	p = realloc(b->p, want);
	if (!p)
		sv_die("out of memory");
	b->p = p;
	b->cap = want;
}

void sv_strbuf_free(struct sv_strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
