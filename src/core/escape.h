/* SPDX-License-Identifier: MIT */
#ifndef SV_ESCAPE_H
#define SV_ESCAPE_H

#include <stddef.h>

#include "core/strbuf.h"

/*
 * Untrusted text (UNIX paths, process and host names) never reaches a
 * terminal raw: control bytes, C1 controls, invalid UTF-8 and backslash
 * become \xHH (\\ for backslash).  Returns the display width added.
 */
size_t sv_term_escape(struct sv_strbuf *b, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (0 if invalid); sets *cp. */
size_t sv_utf8_seq(const unsigned char *s, size_t n, unsigned *cp);

#endif
