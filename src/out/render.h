/* SPDX-License-Identifier: MIT */
#ifndef SV_RENDER_H
#define SV_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/row.h"
#include "out/outbuf.h"

/* A renderer knows sv_sock, what is joined to it, and the field table;
 * nothing of netlink. */
struct sv_render {
	void (*sock)(struct sv_render *r, const struct sv_row *row);
	void (*end)(struct sv_render *r);
	void (*free)(struct sv_render *r);
};

enum sv_json_style {
	SV_JSON_ARRAY, /* one array, streamed element by element */
	SV_JSON_LINES, /* one object per line */
};

struct sv_render *sv_json_new(struct sv_out *o, enum sv_json_style style);
/* Table layout flags beside the enum sv_show bits of sv_table_new(). */
#define SV_TABLE_NO_HEADER (1u << 16) /* -H */
#define SV_TABLE_ONELINE (1u << 17)   /* -O: details on the row's line */

/* show: enum sv_show mask choosing the columns and detail lines, and
 * SV_TABLE_* flags. */
struct sv_render *sv_table_new(struct sv_out *o, unsigned show);

/*
 * -p, with the owners found while the rows come: the owners column,
 * when it is the last (its width pads nothing), is filled at end() from
 * the map wait(arg) returns then (NULL: no owners known).  false when
 * it is not last: the owners must be joined before the rows.
 */
struct sv_proc_map;
bool sv_table_defer_procs(struct sv_render *r,
			  const struct sv_proc_map *(*wait)(void *arg),
			  void *arg);

/* -s: counts per table, family and state, printed at end() as text or
 * one JSON object. */
struct sv_render *sv_summary_new(struct sv_out *o, bool json, unsigned protos);

/*
 * Metrics: sockets folded into one Prometheus text (0.0.4) or
 * OpenMetrics exposition, written at end().
 */
struct sv_metrics_conf {
	bool openmetrics; /* OpenMetrics 1.0 (# EOF), else text 0.0.4 */
	uint32_t states;  /* the states asked for: SYN-RECV counts need it */
	unsigned top;	  /* command names with most sockets, 0 = none */
	bool netns_info;  /* a sockview_netns_info series per namespace */
	/* per-socket series for the sockets it accepts, max_series at most */
	bool (*per_socket)(const struct sv_row *row, void *arg);
	void *arg;
	size_t max_series;
};

struct sv_strbuf;
struct sv_render *sv_metrics_new(struct sv_out *o,
				 const struct sv_metrics_conf *c);
/* The namespace of the sockets that follow (name from /run/netns). */
void sv_metrics_netns(struct sv_render *r, uint64_t inode, const char *name);
/* The time the collection took, reported at end(). */
void sv_metrics_duration(struct sv_render *r, double seconds);
/* name="value" with value escaped, after a comma unless b ends in '{'
 * or is empty. */
void sv_metrics_label(struct sv_strbuf *b, const char *name, const char *v,
		      size_t n);

/* One socket as a JSON object, no newline (shared by list and watch). */
void sv_json_sock_object(struct sv_out *o, const struct sv_row *row);
/* Its members without the braces, into an object under way; only: the
 * top-level keys wanted (an object's name, such as "tcp", gives all of
 * it; NULL-terminated, and static: the fields it names are found once
 * and kept by its address), NULL for all.  *first tracks whether a
 * comma is due. */
void sv_json_sock_members(struct sv_out *o, const struct sv_row *row,
			  const char *const *only, bool *first);
/* The same from another field table (the tests reorder it). */
struct sv_field;
struct sv_json_fields;
struct sv_json_fields *sv_json_fields_new(const struct sv_field *t, size_t n);
void sv_json_fields_free(struct sv_json_fields *jf);
void sv_json_sock_object_with(struct sv_out *o, const struct sv_json_fields *jf,
			      const struct sv_row *row);
/* "key": with the comma a member needs. */
void sv_json_key(struct sv_out *o, const char *key, bool *first);

#endif
