// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as a sock_diag reply (netlink
 * messages back to back, as the files in tests/fixtures hold them).  Every
 * SOCK_DIAG_BY_FAMILY message goes to the inet parser for each protocol
 * (MPTCP's too) and to the UNIX, netlink and packet parsers; whatever parses is rendered as JSON (array and
 * lines) and as a table with every column group and the -i detail line,
 * into memory, so formatting is fuzzed along with parsing.  The text must
 * be safe for a terminal: valid UTF-8 and no control character but
 * newline and tab (the table not even a C1 one).
 */
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/fields.h"
#include "core/strbuf.h"
#include "out/outbuf.h"
#include "out/render.h"
#include "sys/diag.h"
#include "sys/nlmsg.h"
#include "sys/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Untrusted names as joins would attach them: escaping gets its turn. */
static const struct sv_proc_ref procs[] = {
	{1, 3, "sshd"},
	{4242, 17, "we\x1b[2Jird\n\"\\\xff\xc3\xa9"},
};

static const char *const names[] = {
	"lo",
	"h\x07st\"\\\x7f",
	"\xe2\x80\xae\x65vil",
	"",
};

/* Joined fields, chosen by bits of the cookie the input carries. */
static void add_joins(const struct sv_sock *s, struct sv_joins *j)
{
	unsigned k = (unsigned)(s->cookie & 0xff);

	if (k & 1)
		j->ifname = names[(k >> 1) & 3];
	if (k & 8) {
		j->procs = procs;
		j->nprocs = (k >> 4) & 1 ? 2 : 0;
		j->has |= SV_JOIN_PROCS;
	}
	if (k & 4) {
		/* watch's additions: rates and the target's epoll interest */
		j->rates.bytes_in = s->cookie;
		j->rates.bytes_out = s->inode;
		j->rates.segs_in = s->recv_q;
		j->rates.segs_out = s->send_q;
		j->rates.retrans = s->expires_ms;
		j->interest = (uint32_t)(s->cookie >> 32);
		j->has |= SV_JOIN_RATES | SV_JOIN_INTEREST;
	}
	if (k & 32) {
		j->host[0] = names[(k >> 6) & 3];
		j->service[1] = names[((k >> 6) + 1) & 3];
	}
}

/* Aborts unless text is valid UTF-8 free of controls but '\n', '\t'. */
static void check_text(const struct sv_strbuf *b, bool c1_ok)
{
	const unsigned char *u = (const unsigned char *)b->p;
	size_t i = 0, len;
	unsigned cp;

	while (i < b->len) {
		len = sv_utf8_seq(u + i, b->len - i, &cp);
		if (!len || (cp < 0x20 && cp != '\n' && cp != '\t') ||
		    cp == 0x7f || (!c1_ok && cp >= 0x80 && cp < 0xa0)) {
			fprintf(stderr, "unsafe output byte 0x%02x at %zu: %.*s\n", u[i], i,
				(int)(b->len - i < 40 ? b->len - i : 40),
				b->p + i);
			abort();
		}
		i += len;
	}
}

static void render(struct sv_render **r, size_t nr, struct sv_sock *s,
		   struct sv_out *o)
{
	struct sv_joins j = { 0 };
	struct sv_row row = { s, &j };
	size_t i;

	for (i = 0; i < nr; i++)
		r[i]->sock(r[i], &row);
	sv_json_sock_object(o, &row);
	add_joins(s, &j);
	for (i = 0; i < nr; i++)
		r[i]->sock(r[i], &row);
	sv_json_sock_object(o, &row);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sv_out o, ot; /* 64 KiB each: not on the stack */
	struct sv_strbuf mem = {0}, memt = {0};
	struct sv_render *r[3];
	const struct nlmsghdr *nlh;
	struct sv_sock *s;
	unsigned proto;
	size_t i;
	int rest;

	if (size > 1 << 20)
		return 0;
	/* mnl_cb_run() in sv_diag_replay() (list --load) walks the buffer
	 * with libmnl's check; report a buffer that would take it out of
	 * bounds */
	if (!sv_nlmsg_buf_ok(data, size) && getenv("SV_FUZZ_STRICT_NLMSG"))
		abort();
	s = malloc(sizeof(*s));
	if (!s)
		return 0;
	sv_out_init_mem(&o, &mem);
	sv_out_init_mem(&ot, &memt);
	r[0] = sv_json_new(&o, SV_JSON_ARRAY);
	r[1] = sv_json_new(&o, SV_JSON_LINES);
	r[2] = sv_table_new(&ot, SV_SHOW_BASE | SV_SHOW_EXT | SV_SHOW_MEM |
					 SV_SHOW_TIMER | SV_SHOW_INFO |
					 SV_SHOW_PROC | SV_SHOW_WATCH);

	/* sv_nlmsg_ok(), not mnl_nlmsg_ok(): see nlmsg.h and the
	 * regressions/diag/nlmsg-len-negative input */
	rest = (int)size;
	for (nlh = (const struct nlmsghdr *)data; sv_nlmsg_ok(nlh, rest);
	     nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		for (proto = SV_PROTO_TCP; proto <= SV_PROTO_RAW; proto++) {
			/* garbage in: the parser must set what it reports */
			memset(s, 0xa5, sizeof(*s));
			if (sv_diag_parse_inet(nlh, proto, s) == 0)
				render(r, 3, s, &o);
		}
		memset(s, 0xa5, sizeof(*s));
		if (sv_diag_parse_inet(nlh, SV_PROTO_MPTCP, s) == 0)
			render(r, 3, s, &o);
		memset(s, 0xa5, sizeof(*s));
		if (sv_diag_parse_unix(nlh, s) == 0)
			render(r, 3, s, &o);
		memset(s, 0xa5, sizeof(*s));
		if (sv_diag_parse_netlink(nlh, s) == 0)
			render(r, 3, s, &o);
		memset(s, 0xa5, sizeof(*s));
		if (sv_diag_parse_packet(nlh, s) == 0)
			render(r, 3, s, &o);
	}

	for (i = 0; i < 3; i++) {
		r[i]->end(r[i]);
		r[i]->free(r[i]);
	}
	sv_out_flush(&o);
	sv_out_flush(&ot);
	/* JSON strings may carry C1 controls as UTF-8; a table may not */
	if (mem.p)
		check_text(&mem, true);
	if (memt.p)
		check_text(&memt, false);
	sv_strbuf_free(&mem);
	sv_strbuf_free(&memt);
	free(s);
	return 0;
}
