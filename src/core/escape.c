// SPDX-License-Identifier: MIT
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
		size_t len = sv_utf8_seq(u + i, n - i, &cp);

		if (len == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)) {
			/* C1 controls are escaped byte by byte too. */
			size_t k, bytes = len ? len : 1;

			for (k = 0; k < bytes; k++)
				add_hex_byte(b, u[i + k]);
			width += 4 * bytes;
			i += bytes;
		} else if (cp == '\\') {
			sv_strbuf_add(b, "\\\\", 2);
			width += 2;
			i++;
		} else {
			sv_strbuf_add(b, u + i, len);
			width++;
			i += len;
		}
	}
	return width;
}
