// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/escape.h"
#include "core/fields.h"
#include "core/util.h"
#include "out/jsonstr.h"
#include "out/render.h"
#include "sys/proc.h"

struct json_render {
	struct sv_render r;
	struct sv_out *o;
	enum sv_json_style style;
	bool first;
};

/*
 * Every field's "key": rendered once, not measured per socket.  A buffer
 * holds the longest: a quote, the key, '":{' for an object's name, NUL.
 */
#define JSON_KEY_BUF 40
_Static_assert(JSON_KEY_BUF >= 1 + (SV_FIELD_KEY_SIZE - 1) + 3 + 1,
	       "a quoted key fits its buffer");
_Static_assert(JSON_KEY_BUF <= UINT8_MAX, "a key's length fits its uint8_t");

struct json_key {
	uint8_t n, objn;
	bool tcpi; /* a plain tcp_info number: read directly */
	char s[JSON_KEY_BUF], obj[JSON_KEY_BUF];
};

/* A field table made ready for JSON: its keys, and the order that keeps
 * each object's members together. */
struct sv_json_fields {
	const struct sv_field *t;
	size_t n;
	uint16_t *order;
	struct json_key *keys;
	struct json_op *ops; /* n, in output order */
};

/*
 * One field in output order, with what the loop needs next to each
 * other: a socket has over a hundred fields, and following order[] into
 * two tables cost more than writing most of them.
 */
struct json_op {
	const struct sv_field *f;
	const struct json_key *k;
	bool tcpi;
};

static struct sv_json_fields *table_keys;

/* '"' name and the tail into buf; its length, 0 if it does not fit. */
static uint8_t quoted(char buf[JSON_KEY_BUF], const char *name,
		      const char *tail)
{
	size_t n = strnlen(name, SV_FIELD_KEY_SIZE), m = strlen(tail);

	if (n == SV_FIELD_KEY_SIZE || 1 + n + m + 1 > JSON_KEY_BUF)
		return 0;
	buf[0] = '"';
	memcpy(buf + 1, name, n);
	memcpy(buf + 1 + n, tail, m + 1);
	return (uint8_t)(1 + n + m);
}

struct sv_json_fields *sv_json_fields_new(const struct sv_field *t, size_t n)
{
	struct sv_json_fields *jf = sv_xcalloc(1, sizeof(*jf));
	size_t i;

	jf->t = t;
	jf->n = n;
	jf->order = sv_xcalloc(n, sizeof(*jf->order));
	jf->keys = sv_xcalloc(n, sizeof(*jf->keys));
	sv_fields_order(t, n, jf->order);
	for (i = 0; i < n; i++) {
		struct json_key *k = &jf->keys[i];

		k->n = quoted(k->s, t[i].key, "\":");
		k->tcpi = sv_field_is_tcpi(&t[i]);
		if (t[i].obj)
			k->objn = quoted(k->obj, t[i].obj, "\":{");
	}
	jf->ops = sv_xcalloc(n, sizeof(*jf->ops));
	for (i = 0; i < n; i++) {
		struct json_op *op = &jf->ops[i];
		const struct sv_field *f = &t[jf->order[i]];

		op->f = f;
		op->k = &jf->keys[jf->order[i]];
		op->tcpi = op->k->tcpi;
	}
	return jf;
}

void sv_json_fields_free(struct sv_json_fields *jf)
{
	if (!jf)
		return;
	free(jf->order);
	free(jf->keys);
	free(jf->ops);
	free(jf);
}

/* The key buffers are all JSON_KEY_BUF bytes: copying a whole one is one
 * fixed-size copy the compiler inlines, and only n of them count. */
static inline void put_key(struct sv_out *o, const char k[JSON_KEY_BUF],
			   size_t n, bool *first)
{
	char *p = sv_out_reserve(o, JSON_KEY_BUF + 1);

	if (!*first)
		*p++ = ',';
	memcpy(p, k, JSON_KEY_BUF);
	o->len += n + !*first;
	*first = false;
}

/* "key":number, most of a socket's members, in one reservation. */
static inline void key_number(struct sv_out *o, const struct json_key *k,
			      uint64_t num, bool *first)
{
	char *p = sv_out_reserve(o, 1 + JSON_KEY_BUF + 24);

	if (!*first)
		*p++ = ',';
	*first = false;
	memcpy(p, k->s, JSON_KEY_BUF);
	p += k->n;
	if (num < 10)
		*p++ = (char)('0' + num);
	else
		p += sv_u64_to_text(num, p);
	o->len = (size_t)(p - o->buf);
}

static void key(struct sv_out *o, const char *k, bool *first)
{
	if (!*first)
		sv_out_char(o, ',');
	*first = false;
	sv_out_char(o, '"');
	sv_out_str(o, k); /* keys are our own words */
	sv_out_str(o, "\":");
}

/* netlink: {"protocol", "portid"}, its peer {"portid", "group"};
 * packet: {"protocol", "ethertype"}.  A number without a name is the
 * protocol as a number. */
static void link_endpoint(struct sv_out *o, const struct sv_val *v)
{
	bool first = true;
	const char *name;

	if (v->family == AF_NETLINK && v->unix_peer) {
		key(o, "portid", &first);
		sv_out_u64(o, v->u);
		key(o, "group", &first);
		sv_out_u64(o, v->n);
		return;
	}
	name = v->family == AF_NETLINK ? sv_netlink_proto_name((unsigned)v->n)
				       : sv_ethertype_name((unsigned)v->u);
	key(o, "protocol", &first);
	if (name) {
		sv_out_char(o, '"');
		sv_out_str(o, name);
		sv_out_char(o, '"');
	} else {
		sv_out_u64(o, v->family == AF_NETLINK ? v->n : v->u);
	}
	key(o, v->family == AF_NETLINK ? "portid" : "ethertype", &first);
	sv_out_u64(o, v->u);
}

static void endpoint(struct sv_out *o, const struct sv_val *v)
{
	char addr[46];
	bool first = true;

	sv_out_char(o, '{');
	if (v->family == AF_NETLINK || v->family == AF_PACKET) {
		link_endpoint(o, v);
	} else if (v->family != AF_UNIX) {
		key(o, "addr", &first);
		sv_out_char(o, '"');
		sv_out_str(o, sv_addr_text(v->family, v->ep->addr, addr));
		sv_out_char(o, '"');
		key(o, "port", &first);
		sv_out_u64(o, v->ep->port);
		if (v->host) {
			key(o, "host", &first);
			sv_json_string(o, v->host, strlen(v->host));
		}
		if (v->service) {
			key(o, "service", &first);
			sv_json_string(o, v->service, strlen(v->service));
		}
	} else if (v->unix_peer) {
		key(o, "inode", &first);
		sv_out_u64(o, v->u);
	} else if (v->n) {
		key(o, "path", &first);
		if (v->s[0] == '\0') /* abstract: "@name" */
			sv_json_string_prefixed(o, "@", v->s + 1, v->n - 1);
		else if (v->s[0] == '@') /* a relative path, not abstract */
			sv_json_string_prefixed(o, "./", v->s, v->n);
		else
			sv_json_string(o, v->s, v->n);
	}
	sv_out_char(o, '}');
}

static void value(struct sv_out *o, const struct sv_val *v)
{
	size_t i;

	switch (v->type) {
	case SV_V_U64:
		sv_out_u64(o, v->u);
		break;
	case SV_V_STR:
		sv_json_string(o, v->s, v->n);
		break;
	case SV_V_ENDPOINT:
		endpoint(o, v);
		break;
	case SV_V_LIST:
		sv_out_char(o, '[');
		for (i = 0; v->list[i]; i++) {
			if (i)
				sv_out_char(o, ',');
			sv_json_string(o, v->list[i], strlen(v->list[i]));
		}
		sv_out_char(o, ']');
		break;
	case SV_V_U32S:
		sv_out_char(o, '[');
		for (i = 0; i < v->u; i++) {
			uint32_t x;

			memcpy(&x, v->s + 4 * i, 4);
			if (i)
				sv_out_char(o, ',');
			sv_out_u64(o, x);
		}
		sv_out_char(o, ']');
		break;
	case SV_V_PROCS:
		sv_out_char(o, '[');
		for (i = 0; i < v->u; i++) {
			const struct sv_proc_ref *p = &v->procs[i];

			sv_out_str(o, i ? ",{\"pid\":" : "{\"pid\":");
			sv_out_u64(o, (uint64_t)p->pid);
			sv_out_str(o, ",\"comm\":");
			sv_json_string(o, p->comm, strlen(p->comm));
			sv_out_str(o, ",\"fd\":");
			sv_out_u64(o, (uint64_t)p->fd);
			sv_out_char(o, '}');
		}
		sv_out_char(o, ']');
		break;
	}
}

static bool same_obj(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool wanted(const struct sv_field *f, const char *const *only)
{
	if (!only)
		return true;
	/* a top-level key, or an object's name for all of it */
	for (; *only; only++)
		if (!strcmp(*only, f->obj ? f->obj : f->key))
			return true;
	return false;
}

static void members(struct sv_out *o, const struct sv_json_fields *jf,
		    const struct sv_row *row, const char *const *only,
		    bool *firstp)
{
	const struct sv_sock *s = row->s;
	const char *obj = NULL;
	bool first = *firstp, inner_first = true;
	size_t i;

	for (i = 0; i < jf->n; i++) {
		const struct json_op *op = &jf->ops[i];
		const struct sv_field *f = op->f;
		const struct json_key *k = op->k;
		struct sv_val v;
		uint64_t num = 0;

		if (only && !wanted(f, only))
			continue;
		/* plain tcp_info numbers, most of a socket's fields, are read
		 * here directly: no call, no value struct */
		if (op->tcpi ? !sv_field_tcpi(s, f, &num) : !f->get(row, f, &v))
			continue;
		if (!same_obj(obj, f->obj)) {
			if (obj)
				sv_out_char(o, '}');
			obj = f->obj;
			if (obj) {
				put_key(o, k->obj, k->objn, &first);
				inner_first = true;
			}
		}
		if (op->tcpi) {
			key_number(o, k, num, obj ? &inner_first : &first);
			continue;
		}
		put_key(o, k->s, k->n, obj ? &inner_first : &first);
		value(o, &v);
	}
	if (obj)
		sv_out_char(o, '}');
	*firstp = first;
}

/*
 * The fields a list of keys names, as a table of their own.  An event of
 * watch names four or five of a socket's hundred and more fields:
 * comparing every field's name with each key cost more than the rest of
 * writing the event (strcmp was 4% of watch at 70,000 requests a
 * second).  The lists are static: each is found again by its address.
 * The table shares the full one's keys; only its ops are its own.
 */
#define ONLY_LISTS 8

static const struct sv_json_fields *only_fields(const struct sv_json_fields *jf,
						const char *const *only)
{
	static struct {
		const char *const *only;
		struct sv_json_fields t;
	} lists[ONLY_LISTS];
	struct sv_json_fields *t;
	size_t i, k;

	for (k = 0; k < ONLY_LISTS && lists[k].only; k++)
		if (lists[k].only == only)
			return &lists[k].t;
	if (k == ONLY_LISTS)
		return NULL; /* the caller compares names, as before */
	t = &lists[k].t;
	*t = *jf;
	t->n = 0;
	t->order = NULL;
	t->ops = sv_xcalloc(jf->n ? jf->n : 1, sizeof(*t->ops));
	for (i = 0; i < jf->n; i++)
		if (wanted(jf->ops[i].f, only))
			t->ops[t->n++] = jf->ops[i];
	lists[k].only = only;
	return t;
}

void sv_json_sock_members(struct sv_out *o, const struct sv_row *row,
			  const char *const *only, bool *firstp)
{
	const struct sv_json_fields *t;

	if (!table_keys)
		table_keys = sv_json_fields_new(sv_fields, sv_nfields);
	t = only ? only_fields(table_keys, only) : NULL;
	if (t)
		members(o, t, row, NULL, firstp);
	else
		members(o, table_keys, row, only, firstp);
}

void sv_json_sock_object_with(struct sv_out *o, const struct sv_json_fields *jf,
			      const struct sv_row *row)
{
	bool first = true;

	sv_out_char(o, '{');
	members(o, jf, row, NULL, &first);
	sv_out_char(o, '}');
}

void sv_json_key(struct sv_out *o, const char *k, bool *first)
{
	key(o, k, first);
}

void sv_json_sock_object(struct sv_out *o, const struct sv_row *row)
{
	bool first = true;

	sv_out_char(o, '{');
	sv_json_sock_members(o, row, NULL, &first);
	sv_out_char(o, '}');
}

static void json_sock(struct sv_render *r, const struct sv_row *row)
{
	struct json_render *j = (struct json_render *)r;

	if (j->style == SV_JSON_ARRAY)
		sv_out_str(j->o, j->first ? "[\n" : ",\n");
	j->first = false;
	sv_json_sock_object(j->o, row);
	if (j->style == SV_JSON_LINES)
		sv_out_char(j->o, '\n');
}

static void json_end(struct sv_render *r)
{
	struct json_render *j = (struct json_render *)r;

	if (j->style == SV_JSON_ARRAY)
		sv_out_str(j->o, j->first ? "[]\n" : "\n]\n");
}

static void json_free(struct sv_render *r)
{
	free(r);
}

struct sv_render *sv_json_new(struct sv_out *o, enum sv_json_style style)
{
	struct json_render *j = sv_xcalloc(1, sizeof(*j));

	j->r.sock = json_sock;
	j->r.end = json_end;
	j->r.free = json_free;
	j->o = o;
	j->style = style;
	j->first = true;
	return &j->r;
}
