// SPDX-License-Identifier: MIT
#include "core/escape.h"
#include "out/jsonstr.h"

static const char hexdig[] = "0123456789abcdef";

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
		} else if (cp < 0x20 || cp == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hexdig[cp >> 4],
				      hexdig[cp & 15] };

			sv_out_mem(o, e, sizeof(e));
		} else {
			sv_out_mem(o, s + i, len);
		}
		i += len;
		run = i;
	}
	sv_out_mem(o, s + run, i - run);
	sv_out_char(o, '"');
}
