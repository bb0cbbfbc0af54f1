/* SPDX-License-Identifier: MIT */
#ifndef SV_RENDER_H
#define SV_RENDER_H

#include <stdbool.h>

#include "core/sock.h"
#include "out/outbuf.h"

/* A renderer knows sv_sock and the field table, nothing of netlink. */
struct sv_render {
	void (*sock)(struct sv_render *r, const struct sv_sock *s);
	void (*end)(struct sv_render *r);
	void (*free)(struct sv_render *r);
};

enum sv_json_style {
	SV_JSON_ARRAY, /* one array, streamed element by element */
	SV_JSON_LINES, /* one object per line */
};

struct sv_render *sv_json_new(struct sv_out *o, enum sv_json_style style);
/* show: enum sv_show mask choosing the columns and detail lines. */
struct sv_render *sv_table_new(struct sv_out *o, unsigned show);

/* One socket as a JSON object, no newline (shared by list and watch). */
void sv_json_sock_object(struct sv_out *o, const struct sv_sock *s);
/* Its members without the braces, into an object under way; only: the
 * top-level keys wanted (NULL-terminated), NULL for all.  *first tracks
 * whether a comma is due. */
void sv_json_sock_members(struct sv_out *o, const struct sv_sock *s,
			  const char *const *only, bool *first);
/* "key": with the comma a member needs. */
void sv_json_key(struct sv_out *o, const char *key, bool *first);

#endif
