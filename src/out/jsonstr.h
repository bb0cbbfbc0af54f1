/* SPDX-License-Identifier: MIT */
#ifndef SV_JSONSTR_H
#define SV_JSONSTR_H

#include <stddef.h>

#include "out/outbuf.h"

/*
 * A JSON string literal, quotes included.  Valid UTF-8 is kept exactly;
 * a byte that is not valid UTF-8 becomes U+FFFD so the output stays JSON.
 */
void sv_json_string(struct sv_out *o, const char *s, size_t n);
/* The same, with our own (trusted) prefix inside the quotes. */
void sv_json_string_prefixed(struct sv_out *o, const char *prefix,
			     const char *s, size_t n);

#endif
