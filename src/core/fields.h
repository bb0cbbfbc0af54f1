/* SPDX-License-Identifier: MIT */
#ifndef SV_FIELDS_H
#define SV_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/row.h"

/*
 * The field table: every field exists once, with its JSON key, column
 * heading, group, unit and reader.  Table, JSON and the documentation of
 * fields all walk this table, so they cannot drift apart.
 */

enum sv_vtype {
	SV_V_U64,
	SV_V_STR,      /* untrusted bytes: escaped by every renderer */
	SV_V_ENDPOINT, /* local or peer: an object in JSON, addr:port in a table */
	SV_V_LIST,     /* NULL-terminated list of words */
	SV_V_PROCS,    /* owning processes: an array of objects in JSON */
	SV_V_U32S,     /* u numbers, unaligned u32s at s: an array in JSON */
};

#define SV_LIST_MAX 12

struct sv_val {
	enum sv_vtype type;
	uint64_t u;
	const char *s;	/* SV_V_STR: the value (n bytes) */
	size_t n;
	const char *t;	/* optional terse table text (e.g. ESTAB) */
	const struct sv_endpoint *ep; /* SV_V_ENDPOINT of an inet socket */
	uint8_t family;		      /* SV_V_ENDPOINT: AF_* */
	bool unix_peer;		      /* SV_V_ENDPOINT: u is a peer inode */
	const char *host, *service;   /* SV_V_ENDPOINT: -r names or NULL */
	const char *list[SV_LIST_MAX];
	const struct sv_proc_ref *procs; /* SV_V_PROCS, u entries */
};

/* What a socket is made of, in the order the man page explains it. */
enum sv_group {
	SV_GRP_IDENTITY,
	SV_GRP_BUFFERS,
	SV_GRP_STATE,
	SV_GRP_SEQ,
	SV_GRP_WINDOW,
	SV_GRP_TIMER,
	SV_GRP_LINKS,
};

/* Where the table shows a field; JSON always carries every field. */
enum sv_show {
	SV_SHOW_BASE = 1 << 0,	/* default columns */
	SV_SHOW_EXT = 1 << 1,	/* -e columns */
	SV_SHOW_MEM = 1 << 2,	/* -m columns */
	SV_SHOW_TIMER = 1 << 3, /* -o columns */
	SV_SHOW_INFO = 1 << 4,	/* -i detail line */
	SV_SHOW_PROC = 1 << 5,	/* -p column */
	SV_SHOW_WATCH = 1 << 6, /* watch columns: rates, epoll interest */
	SV_SHOW_NETNS = 1 << 7, /* -e with --all-netns: namespace, container */
	SV_SHOW_JSON_ONLY = 0,
};

/* A JSON key with its NUL: a longer one in the table does not compile. */
#define SV_FIELD_KEY_SIZE 32

struct sv_field {
	char key[SV_FIELD_KEY_SIZE]; /* JSON key */
	const char *obj;    /* enclosing JSON object, NULL at top level */
	const char *header; /* table heading */
	uint8_t group;	    /* enum sv_group */
	uint8_t show;	    /* enum sv_show */
	uint16_t arg;	    /* offset or index for shared readers */
	uint8_t size;	    /* bytes at arg, for tcp_info fields */
	const char *unit;
	const char *desc;
	/* Fills v and returns true when the field is known: reported by
	 * the kernel, or joined to the socket. */
	bool (*get)(const struct sv_row *r, const struct sv_field *f,
		    struct sv_val *v);
};

/* The heading of f on the table row of s: on a listener the kernel
 * fills tcp_info's unacked and sacked with the accept queue and its
 * limit, shown as accept_queue and backlog. */
const char *sv_field_header(const struct sv_field *f, const struct sv_sock *s);

/* A plain tcp_info number: arg is its offset, size its width.  Renderers
 * on the hot path read these directly instead of through get(). */
bool sv_field_is_tcpi(const struct sv_field *f);
/* Its value, when the kernel's payload held it. */
static inline bool sv_field_tcpi(const struct sv_sock *s,
				 const struct sv_field *f, uint64_t *v)
{
	const unsigned char *p = (const unsigned char *)&s->tcpi + f->arg;

	if (s->tcpi_len < f->arg + f->size)
		return false;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* 8 bytes read and masked where the struct has them: a switch on
	 * the width mispredicts field by field */
	if (f->arg + 8u <= sizeof(s->tcpi) && f->size && f->size <= 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		*v = x & (~(uint64_t)0 >> (64 - 8 * f->size));
		return true;
	}
#endif
	switch (f->size) {
	case 1:
		*v = *p;
		return true;
	case 2: {
		uint16_t x;

		memcpy(&x, p, 2);
		*v = x;
		return true;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, p, 4);
		*v = x;
		return true;
	}
	default: {
		uint64_t x;

		memcpy(&x, p, 8);
		*v = x;
		return true;
	}
	}
}

extern const struct sv_field sv_fields[];
extern const size_t sv_nfields;

/*
 * The n fields of table t in output order, as indices into t: the members
 * of one JSON object together, where its first member stands; the others
 * in their places.  JSON and the detail line nest by it, so where a field
 * stands in the table cannot split an object in two.
 */
void sv_fields_order(const struct sv_field *t, size_t n, uint16_t *order);

const char *sv_group_name(unsigned group);

/* Writes "addr:port", "[addr6]:port" or the escaped UNIX name. */
struct sv_strbuf;
void sv_endpoint_text(struct sv_strbuf *b, const struct sv_val *v);
/* inet_ntop text of an endpoint address; buf at least 46 bytes. */
const char *sv_addr_text(unsigned family, const uint8_t *addr, char *buf);

#endif
