/* SPDX-License-Identifier: MIT */
#ifndef SV_ESCAPE_H
#define SV_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/strbuf.h"

/*
 * Untrusted text (UNIX paths, process and host names) never reaches a
 * terminal raw: control bytes, C1 controls, invalid UTF-8 and backslash
 * become \xHH (\\ for backslash); invisible format characters (bidi
 * controls, zero-width spaces) become \uXXXX.  Returns the display width
 * added, in terminal columns.
 */
size_t sv_term_escape(struct sv_strbuf *b, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (0 if invalid); sets *cp. */
size_t sv_utf8_seq(const unsigned char *s, size_t n, unsigned *cp);

/* True for characters shown escaped because they are invisible. */
bool sv_cp_invisible(unsigned cp);
/* Terminal columns of a code point: 0 (combining), 1 or 2 (wide). */
size_t sv_cp_width(unsigned cp);
/* Terminal columns of UTF-8 text (as sv_term_escape writes it). */
size_t sv_text_width(const char *s, size_t n);

#endif
