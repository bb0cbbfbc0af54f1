// SPDX-License-Identifier: MIT
#include "core/escape.h"
#include "out/jsonstr.h"

static const char hexdig[] = "0123456789abcdef";

static void json_u4(struct sv_out *o, unsigned u)
{
	char e[6] = { '\\', 'u', hexdig[(u >> 12) & 15], hexdig[(u >> 8) & 15],
		      hexdig[(u >> 4) & 15], hexdig[u & 15] };

	sv_out_mem(o, e, sizeof(e));
}

/* \uXXXX, as a surrogate pair past the BMP. */
static void json_u_escape(struct sv_out *o, unsigned cp)
{
	if (cp > 0xffff) {
		cp -= 0x10000;
		json_u4(o, 0xd800 | (cp >> 10));
		json_u4(o, 0xdc00 | (cp & 0x3ff));
	} else {
		json_u4(o, cp);
	}
}

void sv_json_string(struct sv_out *o, const char *s, size_t n)
{
	sv_json_string_prefixed(o, "", s, n);
}

void sv_json_string_prefixed(struct sv_out *o, const char *prefix,
			     const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	sv_out_char(o, '"');
	sv_out_str(o, prefix);
	while (i < n) {
		unsigned cp;
		size_t len;

		/* DEL is ASCII but no text: it takes the escaping path */
		if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '"' &&
		    u[i] != '\\') {
			i++;
			continue;
		}
		sv_out_mem(o, s + run, i - run);
		len = sv_utf8_seq(u + i, n - i, &cp);
		if (len == 0) {
			sv_out_str(o, "\\ufffd");
			len = 1;
		} else if (cp == '"' || cp == '\\') {
			sv_out_char(o, '\\');
			sv_out_char(o, (char)cp);
		} else if (cp < 0x20 || cp == 0x7f ||
			   (cp >= 0x80 && cp < 0xa0) || sv_cp_invisible(cp)) {
			/*
			 * Valid JSON either way, but a terminal showing the
			 * JSON would act on a raw C1 control or bidi override.
			 */
			json_u_escape(o, cp);
		} else {
			sv_out_mem(o, s + i, len);
		}
		i += len;
		run = i;
	}
	sv_out_mem(o, s + run, i - run);
	sv_out_char(o, '"');
}
