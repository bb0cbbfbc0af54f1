// SPDX-License-Identifier: MIT
/* Escaping and rendering: what reaches a terminal or a JSON parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "core/escape.h"
#include "core/fields.h"
#include "fixture.h"
#include "out/jsonstr.h"
#include "out/render.h"
#include "sys/diag.h"
#include "sys/procnet.h"

static char *term(const char *s, size_t n)
{
	struct sv_strbuf b = { 0 };

	sv_term_escape(&b, s, n);
	sv_strbuf_addc(&b, '\0');
	return b.p;
}

static void test_term_escape(void **state)
{
	char *p;

	(void)state;
	p = term("a\x1b[31mb", 7);
	assert_string_equal(p, "a\\x1b[31mb");
	free(p);
	p = term("tab\there\n\x7f", 10);
	assert_string_equal(p, "tab\\x09here\\x0a\\x7f");
	free(p);
	/* C1 CSI as UTF-8, then a lone continuation byte, then a backslash */
	p = term("\xc2\x9b" "x\x80y\\", 6);
	assert_string_equal(p, "\\xc2\\x9bx\\x80y\\\\");
	free(p);
	/* valid UTF-8 stays as it is */
	p = term("caf\xc3\xa9", 5);
	assert_string_equal(p, "caf\xc3\xa9");
	free(p);
	/* embedded NUL */
	p = term("a\0b", 3);
	assert_string_equal(p, "a\\x00b");
	free(p);
	/* a bidi override and a zero-width space are shown, not obeyed */
	p = term("evil\xe2\x80\xaetxt.exe", 14);
	assert_string_equal(p, "evil\\u202etxt.exe");
	free(p);
	p = term("ad\xe2\x80\x8bmin", 8);
	assert_string_equal(p, "ad\\u200bmin");
	free(p);
	/* a tag character, past the BMP */
	p = term("\xf3\xa0\x80\x81", 4);
	assert_string_equal(p, "\\U000e0001");
	free(p);
}

static void test_display_width(void **state)
{
	struct sv_strbuf b = { 0 };

	(void)state;
	/* CJK takes two columns a character */
	assert_int_equal(sv_term_escape(&b, "\xe4\xb8\xad\xe6\x96\x87", 6), 4);
	assert_int_equal(sv_text_width(b.p, b.len), 4);
	b.len = 0;
	/* a combining accent takes none */
	assert_int_equal(sv_term_escape(&b, "e\xcc\x81", 3), 1);
	assert_int_equal(sv_text_width(b.p, b.len), 1);
	b.len = 0;
	/* an escape takes as many columns as it has characters */
	assert_int_equal(sv_term_escape(&b, "\xe2\x80\xae", 3), 6);
	assert_int_equal(sv_text_width(b.p, b.len), 6);
	assert_int_equal(sv_text_width("caf\xc3\xa9", 5), 4);
	free(b.p);
}

static void test_json_string(void **state)
{
	struct sv_out *o = malloc(sizeof(*o));
	char *s;

	(void)state;
	capture_start(o);
	sv_json_string(o, "q\"b\\c\x1b\n\xff\xc3\xa9", 10);
	s = capture_end(o);
	assert_string_equal(s, "\"q\\\"b\\\\c\\u001b\\u000a\\ufffd\xc3\xa9\"");
	free(s);
	/* C1 CSI, a bidi override and a tag: escaped, still the same text */
	capture_start(o);
	sv_json_string(o, "\xc2\x9b" "a\xe2\x80\xae" "b\xf3\xa0\x80\x81", 11);
	s = capture_end(o);
	assert_string_equal(s, "\"\\u009ba\\u202eb\\udb40\\udc01\"");
	free(s);
	free(o);
}

/* A socket with nothing joined to it. */
static const struct sv_joins no_joins;
#define ROW(sp) (&(struct sv_row){ (sp), &no_joins })

static void base_sock(struct sv_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = SV_PROTO_TCP;
	s->family = AF_INET;
	s->type = SOCK_STREAM;
	s->state = SV_TCP_ESTABLISHED;
	inet_pton(AF_INET, "127.0.0.1", s->local.addr);
	inet_pton(AF_INET, "127.0.0.2", s->peer.addr);
	s->local.port = 8080;
	s->peer.port = 40000;
	s->recv_q = 5;
	s->send_q = 7;
	s->has = SV_HAS_PORTS | SV_HAS_QUEUES | SV_HAS_TIMER;
}

static void test_json_absent(void **state)
{
	struct sv_out *o = malloc(sizeof(*o));
	struct sv_sock s;
	char *out;

	(void)state;
	base_sock(&s);
	capture_start(o);
	sv_json_sock_object(o, ROW(&s));
	out = capture_end(o);
	assert_string_equal(
		out, "{\"protocol\":\"tcp\",\"family\":\"inet\",\"type\":\"stream\","
		     "\"state\":\"established\",\"recv_q\":5,\"send_q\":7,"
		     "\"local\":{\"addr\":\"127.0.0.1\",\"port\":8080},"
		     "\"peer\":{\"addr\":\"127.0.0.2\",\"port\":40000}}");
	free(out);

	/* a timer, a short tcp_info: only what is there appears */
	s.timer = SV_TIMER_ON;
	s.expires_ms = 180;
	s.retrans = 2;
	s.tcpi_len = 12; /* up to and including rto */
	s.tcpi.rto = 204000;
	s.tcpi.ato = 40000; /* past tcpi_len: must not appear */
	capture_start(o);
	sv_json_sock_object(o, ROW(&s));
	out = capture_end(o);
	assert_non_null(strstr(out, "\"timer\":{\"name\":\"on\",\"expires_ms\":180,"
				    "\"retrans\":2}"));
	assert_non_null(strstr(out, "\"rto\":204000"));
	assert_null(strstr(out, "\"ato\""));
	assert_null(strstr(out, "\"seq\""));
	assert_null(strstr(out, "\"skmem\""));
	free(out);
	free(o);
}

static void test_json_unix(void **state)
{
	struct sv_out *o = malloc(sizeof(*o));
	struct sv_sock s;
	char *out;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.proto = SV_PROTO_UNIX;
	s.family = AF_UNIX;
	s.type = SOCK_DGRAM;
	s.state = SV_TCP_CLOSE;
	s.path = "\0ab\0c";
	s.path_len = 5;
	s.has = SV_HAS_PATH;
	capture_start(o);
	sv_json_sock_object(o, ROW(&s));
	out = capture_end(o);
	assert_non_null(strstr(out, "\"local\":{\"path\":\"@ab\\u0000c\"}"));
	assert_null(strstr(out, "\"peer\""));
	free(out);

	s.has = SV_HAS_PEER_INODE; /* unnamed, connected */
	s.peer_inode = 4242;
	capture_start(o);
	sv_json_sock_object(o, ROW(&s));
	out = capture_end(o);
	assert_non_null(strstr(out, "\"local\":{},\"peer\":{\"inode\":4242}"));
	free(out);
	free(o);
}

static void test_table(void **state)
{
	struct sv_out *o = malloc(sizeof(*o));
	struct sv_render *r;
	struct sv_sock s;
	char *out, *line2, *line3;

	(void)state;
	base_sock(&s);
	capture_start(o);
	r = sv_table_new(o, SV_SHOW_EXT);
	r->sock(r, ROW(&s));
	s.family = AF_INET6;
	inet_pton(AF_INET6, "::1", s.local.addr);
	inet_pton(AF_INET6, "fe80::1", s.peer.addr);
	s.inode = 99;
	s.has |= SV_HAS_INODE;
	r->sock(r, ROW(&s));
	r->end(r);
	r->free(r);
	out = capture_end(o);
	line2 = strchr(out, '\n') + 1;
	line3 = strchr(line2, '\n') + 1;
	/* every column starts at the same offset on every line */
	assert_int_equal(strstr(out, "Local") - out,
			 strstr(line2, "127.0.0.1:8080") - line2);
	assert_int_equal(strstr(out, "Local") - out,
			 strstr(line3, "[::1]:8080") - line3);
	assert_int_equal(strstr(out, "Inode") - out, strstr(line3, "99") - line3);
	/* absent inode on the first row is a dash under the heading */
	assert_int_equal(line2[strstr(out, "Inode") - out], '-');
	assert_non_null(strstr(line3, "[fe80::1]:40000"));
	free(out);
	free(o);
}

/*
 * More rows than the table holds in memory (1 MiB): they go through a
 * temporary file, and the widest cell, on the last row, still sets the
 * column on the first.  Every row carries its -i line.
 */
static void test_table_spilled(void **state)
{
	enum { N = 3000 };
	struct sv_out *o = malloc(sizeof(*o));
	struct sv_render *r;
	struct sv_sock s;
	char *out, *line, *next;
	size_t rows = 0, details = 0, col = 0;
	int i;

	(void)state;
	base_sock(&s);
	s.tcpi_len = sizeof(s.tcpi);
	s.tcpi.rto = 204000;
	capture_start(o);
	r = sv_table_new(o, SV_SHOW_INFO);
	for (i = 0; i < N; i++) {
		s.recv_q = i + 1 == N ? 1234567890 : (uint32_t)i;
		r->sock(r, ROW(&s));
	}
	r->end(r);
	r->free(r);
	out = capture_end(o);
	assert_true(strlen(out) > 2 * (1u << 20));
	col = (size_t)(strstr(out, "Local") - out);
	for (line = out; *line; line = next + 1) {
		next = strchr(line, '\n');
		assert_non_null(next);
		if (line == out)
			continue;
		if (*line == '\t') {
			/* the detail line: free text after a tab */
			assert_memory_equal(line, "\ttcp: ", 6);
			assert_non_null(memmem(line, (size_t)(next - line),
					       " rto:204000 ", 12));
			details++;
			continue;
		}
		assert_memory_equal(line + col, "127.0.0.1:8080", 14);
		/* Recv-Q as wide as the last row's ten digits */
		if (rows == 0)
			assert_memory_equal(line, "tcp   ESTAB 0          7      ",
					    30);
		rows++;
	}
	assert_int_equal(rows, N);
	assert_int_equal(details, N);
	assert_non_null(strstr(out, " 1234567890 7 "));
	free(out);
	free(o);
}

static void test_addr_text(void **state)
{
	static const struct {
		uint8_t a[4];
		const char *text;
	} v4[] = {
		{ { 0, 0, 0, 0 }, "0.0.0.0" },
		{ { 255, 255, 255, 255 }, "255.255.255.255" },
		{ { 10, 0, 100, 9 }, "10.0.100.9" },
		{ { 127, 0, 0, 1 }, "127.0.0.1" },
		{ { 1, 20, 199, 200 }, "1.20.199.200" },
	};
	uint8_t a6[16] = { 0xfe, 0x80, [15] = 1 };
	char buf[46];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		assert_string_equal(sv_addr_text(AF_INET, v4[i].a, buf),
				    v4[i].text);
	assert_string_equal(sv_addr_text(AF_INET6, a6, buf), "fe80::1");
}

static void test_procnet_raw(void **state)
{
	struct sv_sock s;
	const char *v4 = "  1: 0100007F:0001 00000000:0000 07 00000010:00000020 "
			 "00:00000000 00000000     0        0 4321 2 "
			 "0000000000000000 3\n";
	const char *v6 = "  1: 00000000000000000000000001000000:003A "
			 "00000000000000000000000000000000:0000 07 "
			 "00000000:00000000 00:00000000 00000000  1000        0 "
			 "77 2 0000000000000000 0\n";
	uint8_t lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };

	(void)state;
	assert_int_equal(sv_procnet_raw_parse(v4, AF_INET, &s), 0);
	assert_memory_equal(s.local.addr, lo4, 4);
	assert_int_equal(s.raw_proto, 1);
	assert_int_equal(s.send_q, 16);
	assert_int_equal(s.recv_q, 32);
	assert_int_equal(s.inode, 4321);
	assert_int_equal(s.drops, 3);
	assert_int_equal(s.state, SV_TCP_CLOSE);
	assert_false(s.has & SV_HAS_COOKIE);
	assert_int_equal(sv_procnet_raw_parse(v6, AF_INET6, &s), 0);
	assert_memory_equal(s.local.addr, lo6, 16);
	assert_int_equal(s.raw_proto, 58);
	assert_int_equal(s.uid, 1000);
	assert_int_equal(sv_procnet_raw_parse("garbage\n", AF_INET, &s),
			 -EINVAL);
	assert_int_equal(sv_procnet_raw_parse(v6, AF_INET, &s), -EINVAL);
}

/* Label values: whatever the bytes, one quoted, escaped value. */
static void test_metrics_label(void **state)
{
	struct sv_strbuf b = { 0 };

	(void)state;
	sv_strbuf_addc(&b, '{');
	sv_metrics_label(&b, "comm", "a\"b\\c\nd\xff", 8);
	sv_metrics_label(&b, "local", "/x", 2);
	sv_strbuf_addc(&b, '\0');
	/* quote escaped; backslash doubled for the display, then each
	 * backslash escaped; newline and 0xff shown as \xHH */
	assert_string_equal(b.p, "{comm=\"a\\\"b\\\\\\\\c\\\\x0ad\\\\xff\","
				 "local=\"/x\"");
	sv_strbuf_free(&b);
}

/*
 * A small JSON reader for our own output (no whitespace): every object's
 * keys must be unique, and each leaf is collected as "path=value" so two
 * renderings can be compared whatever their order.
 */
struct leaves {
	char **v;
	size_t n, cap;
};

static const char *json_value(const char *p, const char *path,
			      struct leaves *l);

static const char *json_string_end(const char *p)
{
	assert_true(*p == '"');
	for (p++; *p != '"'; p++) {
		assert_true(*p != '\0');
		if (*p == '\\')
			p++;
	}
	return p + 1;
}

static const char *json_object(const char *p, const char *path,
			       struct leaves *l)
{
	char keys[128][SV_FIELD_KEY_SIZE];
	size_t nkeys = 0, i;

	assert_true(*p++ == '{');
	while (*p != '}') {
		const char *e = json_string_end(p);
		size_t n = (size_t)(e - p) - 2;
		char sub[256];

		assert_true(n < SV_FIELD_KEY_SIZE);
		assert_true(nkeys < 128);
		memcpy(keys[nkeys], p + 1, n);
		keys[nkeys][n] = '\0';
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i], keys[nkeys]))
				fail_msg("key \"%s\" twice in object %s",
					 keys[i], path);
		snprintf(sub, sizeof(sub), "%s.%s", path, keys[nkeys++]);
		assert_true(*e == ':');
		p = json_value(e + 1, sub, l);
		if (*p == ',')
			p++;
	}
	return p + 1;
}

static const char *json_value(const char *p, const char *path,
			      struct leaves *l)
{
	const char *e;
	char *leaf;

	if (*p == '{')
		return json_object(p, path, l);
	if (*p == '[') {
		/* arrays hold strings or objects in our output: as leaves */
		int depth = 0;

		for (e = p; ; e++) {
			if (*e == '"') {
				e = json_string_end(e) - 1;
				continue;
			}
			depth += (*e == '[' || *e == '{') - (*e == ']' || *e == '}');
			if (!depth)
				break;
		}
		e++;
	} else if (*p == '"') {
		e = json_string_end(p);
	} else {
		for (e = p; (*e >= '0' && *e <= '9') || *e == '-'; e++)
			;
		assert_true(e > p);
	}
	assert_int_equal(sv_grow((void **)&l->v, &l->cap, l->n + 1,
				 sizeof(*l->v)), 0);
	leaf = malloc(strlen(path) + 2 + (size_t)(e - p));
	sprintf(leaf, "%s=%.*s", path, (int)(e - p), p);
	l->v[l->n++] = leaf;
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void json_leaves(const char *json, struct leaves *l)
{
	const char *end = json_object(json, "", l);

	assert_true(*end == '\0');
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

static void leaves_free(struct leaves *l)
{
	while (l->n)
		free(l->v[--l->n]);
	free(l->v);
}

/* The established server socket of the recording, with every object the
 * table nests: tcp, skmem, timer, seq; and watch's rates beside it. */
static const struct sv_joins rates = {
	.has = SV_JOIN_RATES,
	.rates = { .bytes_in = 11, .retrans = 1 },
};

static void full_sock(struct sv_sock *out)
{
	size_t len;
	char *buf = fixture_read("tcp4.bin", &len);
	const struct nlmsghdr *nlh;
	int rest = (int)len, found = 0;

	assert_non_null(buf);
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, rest);
	     nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    !sv_diag_parse_inet(nlh, SV_PROTO_TCP, out) &&
		    out->state == SV_TCP_ESTABLISHED && out->local.port == 5000) {
			found = 1;
			break;
		}
	}
	free(buf);
	assert_true(found);
}

static char *render_with(const struct sv_field *t, const struct sv_sock *s)
{
	struct sv_json_fields *jf = sv_json_fields_new(t, sv_nfields);
	struct sv_out o;

	capture_start(&o);
	sv_json_sock_object_with(&o, jf, &(struct sv_row){ s, &rates });
	sv_json_fields_free(jf);
	return capture_end(&o);
}

/* Renders s from table t and compares with the leaves of the real table. */
static void same_json(const struct sv_field *t, const struct sv_sock *s,
		      const struct leaves *want)
{
	struct leaves got = { 0 };
	char *json = render_with(t, s);
	size_t i;

	json_leaves(json, &got);
	assert_int_equal(got.n, want->n);
	for (i = 0; i < got.n; i++)
		assert_string_equal(got.v[i], want->v[i]);
	leaves_free(&got);
	free(json);
}

/*
 * Where a field stands in the table must not change the JSON: each
 * object once, with all its members.  The table reordered: each nested
 * field moved to the end in turn, the whole table reversed, and shuffled.
 */
static void test_json_field_order(void **state)
{
	struct sv_field *t = malloc(sv_nfields * sizeof(*t));
	struct leaves want = { 0 };
	struct sv_sock s;
	uint32_t seed = 12345;
	size_t i, j, objs = 0;
	char *json;

	(void)state;
	full_sock(&s);
	json = render_with(sv_fields, &s);
	json_leaves(json, &want);
	free(json);
	for (i = 0; i < want.n; i++)
		objs += !strncmp(want.v[i], ".tcp.", 5) ||
			!strncmp(want.v[i], ".seq.", 5) ||
			!strncmp(want.v[i], ".skmem.", 7) ||
			!strncmp(want.v[i], ".timer.", 7) ||
			!strncmp(want.v[i], ".rates.", 7);
	assert_true(objs > 40); /* the socket does fill every object */

	for (i = 0; i < sv_nfields; i++) {
		if (!sv_fields[i].obj)
			continue;
		memcpy(t, sv_fields, i * sizeof(*t));
		memcpy(t + i, sv_fields + i + 1,
		       (sv_nfields - i - 1) * sizeof(*t));
		t[sv_nfields - 1] = sv_fields[i];
		same_json(t, &s, &want);
	}
	for (i = 0; i < sv_nfields; i++)
		t[i] = sv_fields[sv_nfields - 1 - i];
	same_json(t, &s, &want);
	memcpy(t, sv_fields, sv_nfields * sizeof(*t));
	for (j = 0; j < 20; j++) {
		for (i = sv_nfields - 1; i > 0; i--) {
			struct sv_field x = t[i];
			size_t k;

			seed = seed * 1103515245u + 12345u;
			k = (seed >> 8) % (i + 1);
			t[i] = t[k];
			t[k] = x;
		}
		same_json(t, &s, &want);
	}
	leaves_free(&want);
	free(t);
}

/* Every key and object name fits the key buffers with its NUL. */
static void test_field_key_sizes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sv_nfields; i++) {
		assert_true(memchr(sv_fields[i].key, '\0', SV_FIELD_KEY_SIZE));
		if (sv_fields[i].obj)
			assert_true(strlen(sv_fields[i].obj) < SV_FIELD_KEY_SIZE);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term_escape),
		cmocka_unit_test(test_display_width),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_absent),
		cmocka_unit_test(test_json_unix),
		cmocka_unit_test(test_json_field_order),
		cmocka_unit_test(test_field_key_sizes),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_spilled),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_procnet_raw),
		cmocka_unit_test(test_metrics_label),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
