// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "core/escape.h"

static const char hexdig[] = "0123456789abcdef";

size_t sv_utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/*
 * Characters that change how the rest of a line is shown without showing
 * themselves: bidi controls (U+202E turns a line around), zero-width
 * spaces and joiners, fillers, tags.  A name holding them could pass for
 * another, so they are shown escaped.
 */
bool sv_cp_invisible(unsigned cp)
{
	return cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x115f ||
	       cp == 0x1160 || cp == 0x17b4 || cp == 0x17b5 ||
	       (cp >= 0x180b && cp <= 0x180f) ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0x3164 ||
	       cp == 0xfeff || cp == 0xffa0 ||
	       (cp >= 0xfff0 && cp <= 0xfffb) ||
	       (cp >= 0x1d173 && cp <= 0x1d17a) ||
	       (cp >= 0xe0000 && cp <= 0xe0fff);
}

struct cp_range {
	unsigned first, last;
};

/* Marks drawn on the character before them: no column of their own. */
static const struct cp_range combining[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05c7 }, { 0x0610, 0x061a }, { 0x064b, 0x065f },
	{ 0x0670, 0x0670 }, { 0x06d6, 0x06ed }, { 0x0900, 0x0903 },
	{ 0x093a, 0x094f }, { 0x0951, 0x0957 }, { 0x0e31, 0x0e31 },
	{ 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e }, { 0x1ab0, 0x1aff },
	{ 0x1dc0, 0x1dff }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
};

/* East Asian wide and fullwidth characters, emoji: two columns. */
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f },   { 0x231a, 0x231b },   { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec },   { 0x23f0, 0x23f0 },   { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe },   { 0x2614, 0x2615 },   { 0x2648, 0x2653 },
	{ 0x267f, 0x267f },   { 0x2693, 0x2693 },   { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab },   { 0x26bd, 0x26be },   { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce },   { 0x26d4, 0x26d4 },   { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f5 },   { 0x26fa, 0x26fd },   { 0x2705, 0x2705 },
	{ 0x270a, 0x270b },   { 0x2728, 0x2728 },   { 0x274c, 0x274c },
	{ 0x2753, 0x2757 },   { 0x2795, 0x2797 },   { 0x27b0, 0x27b0 },
	{ 0x27bf, 0x27bf },   { 0x2b1b, 0x2b1c },   { 0x2b50, 0x2b50 },
	{ 0x2b55, 0x2b55 },   { 0x2e80, 0x303e },   { 0x3041, 0x33ff },
	{ 0x3400, 0x4dbf },   { 0x4e00, 0x9fff },   { 0xa000, 0xa4cf },
	{ 0xa960, 0xa97f },   { 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },
	{ 0xfe10, 0xfe19 },   { 0xfe30, 0xfe6f },   { 0xff00, 0xff60 },
	{ 0xffe0, 0xffe6 },   { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff },
	{ 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf },
	{ 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f251 },
	{ 0x1f300, 0x1f64f }, { 0x1f680, 0x1f6ff }, { 0x1f7e0, 0x1f7eb },
	{ 0x1f900, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd },
	{ 0x30000, 0x3fffd },
};

static bool in_ranges(unsigned cp, const struct cp_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].first)
			hi = mid;
		else if (cp > r[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

size_t sv_cp_width(unsigned cp)
{
	/* below the first combining mark every code point is one column:
	 * the tables' binary searches were a quarter of a table's time */
	if (cp < 0x300)
		return 1;
	if (in_ranges(cp, combining, sizeof(combining) / sizeof(combining[0])))
		return 0;
	if (in_ranges(cp, wide, sizeof(wide) / sizeof(wide[0])))
		return 2;
	return 1;
}

size_t sv_text_width(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, width = 0;

	while (i < n) {
		unsigned cp;
		size_t len;

		/* ASCII, nearly every cell: one column a byte */
		if (u[i] < 0x80) {
			width++;
			i++;
			continue;
		}
		len = sv_utf8_seq(u + i, n - i, &cp);
		if (len == 0) {
			/* not from sv_term_escape: count the byte */
			width++;
			i++;
			continue;
		}
		width += sv_cp_width(cp);
		i += len;
	}
	return width;
}

static void add_hex_byte(struct sv_strbuf *b, unsigned char c)
{
	char e[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 15] };

	sv_strbuf_add(b, e, sizeof(e));
}

size_t sv_term_escape(struct sv_strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, width = 0;

	while (i < n) {
		unsigned cp;
		size_t len, run = i;

		/* printable ASCII but the backslash, nearly every name: one
		 * column a byte, copied as a run */
		while (run < n && u[run] >= 0x20 && u[run] < 0x7f &&
		       u[run] != '\\')
			run++;
		if (run > i) {
			sv_strbuf_add(b, u + i, run - i);
			width += run - i;
			i = run;
			continue;
		}
		len = sv_utf8_seq(u + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)) {
			/* C1 controls are escaped byte by byte too. */
			size_t k, bytes = len ? len : 1;

			for (k = 0; k < bytes; k++)
				add_hex_byte(b, u[i + k]);
			width += 4 * bytes;
			i += bytes;
		} else if (sv_cp_invisible(cp)) {
			char e[12];
			int k;

			if (cp > 0xffff)
				k = snprintf(e, sizeof(e), "\\U%08x", cp);
			else
				k = snprintf(e, sizeof(e), "\\u%04x", cp);

			sv_strbuf_add(b, e, (size_t)k);
			width += (size_t)k;
			i += len;
		} else if (cp == '\\') {
			sv_strbuf_add(b, "\\\\", 2);
			width += 2;
			i++;
		} else {
			sv_strbuf_add(b, u + i, len);
			width += sv_cp_width(cp);
			i += len;
		}
	}
	return width;
}
