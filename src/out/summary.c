// SPDX-License-Identifier: MIT
/*
 * -s: the sockets counted instead of listed, per table, family and
 * state.  The counts come from the same records the list would show,
 * so a filter or -l narrows them as it narrows the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/sock.h"
#include "core/util.h"
#include "out/render.h"

/* A state number no kernel sends today is counted apart. */
#define STATE_OTHER SV_TCP_MAX_STATES

struct proto_count {
	uint64_t total;
	uint64_t family[2]; /* inet, inet6 */
	uint64_t state[SV_TCP_MAX_STATES + 1];
};

struct summary_render {
	struct sv_render r;
	struct sv_out *o;
	bool json;
	unsigned protos; /* the tables asked for: shown even when empty */
	uint64_t total;
	struct proto_count p[SV_PROTO_MAX];
};

static void summary_sock(struct sv_render *r, const struct sv_row *row)
{
	struct summary_render *m = (struct summary_render *)r;
	const struct sv_sock *s = row->s;
	struct proto_count *c;

	if (s->proto >= SV_PROTO_MAX)
		return;
	c = &m->p[s->proto];
	m->total++;
	c->total++;
	if (s->family == AF_INET)
		c->family[0]++;
	else if (s->family == AF_INET6)
		c->family[1]++;
	/* one "unknown" key: state 0 has no name either */
	if (s->state < SV_TCP_MAX_STATES &&
	    strcmp(sv_state_name(s->state), "unknown"))
		c->state[s->state]++;
	else
		c->state[STATE_OTHER]++;
}

static bool shown(const struct summary_render *m, unsigned p)
{
	return (m->protos & (1u << p)) || m->p[p].total;
}

static const char *state_word(unsigned st)
{
	return st == STATE_OTHER ? "unknown" : sv_state_name(st);
}

static bool is_inet(unsigned p)
{
	return sv_proto_inet(p);
}

static void text_states(struct sv_out *o, const struct proto_count *c)
{
	const char *sep = " (";
	unsigned st;

	for (st = 0; st <= STATE_OTHER; st++) {
		if (!c->state[st])
			continue;
		sv_out_str(o, sep);
		sv_out_str(o, state_word(st));
		sv_out_char(o, ' ');
		sv_out_u64(o, c->state[st]);
		sep = ", ";
	}
	if (sep[0] == ',')
		sv_out_char(o, ')');
	sv_out_char(o, '\n');
}

/* One cell of the family table, left aligned in 10 columns as ss's. */
static void cell(struct sv_out *o, const char *text)
{
	size_t n = strlen(text);

	sv_out_str(o, text);
	sv_out_spaces(o, n < 10 ? 10 - n : 1);
}

static void cell_u64(struct sv_out *o, uint64_t v)
{
	char num[24];

	num[sv_u64_to_text(v, num)] = '\0';
	cell(o, num);
}

static void upper(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32
							     : in[i]);
	out[i] = '\0';
}

static void summary_text(struct summary_render *m)
{
	struct sv_out *o = m->o;
	char name[16];
	unsigned p;

	sv_out_str(o, "Total: ");
	sv_out_u64(o, m->total);
	sv_out_char(o, '\n');
	for (p = 0; p < SV_PROTO_MAX; p++) {
		if (!shown(m, p))
			continue;
		upper(sv_proto_name(p), name, sizeof(name));
		sv_out_str(o, name);
		sv_out_str(o, ":");
		sv_out_spaces(o, strlen(name) < 6 ? 6 - strlen(name) : 1);
		sv_out_u64(o, m->p[p].total);
		text_states(o, &m->p[p]);
	}
	sv_out_char(o, '\n');
	cell(o, "Table");
	cell(o, "Total");
	cell(o, "IPv4");
	sv_out_str(o, "IPv6\n");
	for (p = 0; p < SV_PROTO_MAX; p++) {
		if (!shown(m, p))
			continue;
		upper(sv_proto_name(p), name, sizeof(name));
		cell(o, name);
		cell_u64(o, m->p[p].total);
		if (is_inet(p)) {
			cell_u64(o, m->p[p].family[0]);
			sv_out_u64(o, m->p[p].family[1]);
		} else {
			cell(o, "-");
			sv_out_char(o, '-');
		}
		sv_out_char(o, '\n');
	}
}

static void json_u64(struct sv_out *o, const char *k, uint64_t v, bool *first)
{
	sv_json_key(o, k, first);
	sv_out_u64(o, v);
}

static void summary_json(struct summary_render *m)
{
	struct sv_out *o = m->o;
	bool first = true, pfirst = true;
	unsigned p, st;

	sv_out_char(o, '{');
	json_u64(o, "total", m->total, &first);
	sv_json_key(o, "protocols", &first);
	sv_out_char(o, '{');
	for (p = 0; p < SV_PROTO_MAX; p++) {
		const struct proto_count *c = &m->p[p];
		bool f = true, sfirst = true;

		if (!shown(m, p))
			continue;
		sv_json_key(o, sv_proto_name(p), &pfirst);
		sv_out_char(o, '{');
		json_u64(o, "total", c->total, &f);
		if (is_inet(p)) {
			json_u64(o, "inet", c->family[0], &f);
			json_u64(o, "inet6", c->family[1], &f);
		}
		sv_json_key(o, "states", &f);
		sv_out_char(o, '{');
		for (st = 0; st <= STATE_OTHER; st++)
			if (c->state[st])
				json_u64(o, state_word(st), c->state[st],
					 &sfirst);
		sv_out_str(o, "}}");
	}
	sv_out_str(o, "}}\n");
}

static void summary_end(struct sv_render *r)
{
	struct summary_render *m = (struct summary_render *)r;

	if (m->json)
		summary_json(m);
	else
		summary_text(m);
}

static void summary_free(struct sv_render *r)
{
	free(r);
}

struct sv_render *sv_summary_new(struct sv_out *o, bool json, unsigned protos)
{
	struct summary_render *m = sv_xcalloc(1, sizeof(*m));

	m->r.sock = summary_sock;
	m->r.end = summary_end;
	m->r.free = summary_free;
	m->o = o;
	m->json = json;
	m->protos = protos;
	return &m->r;
}
