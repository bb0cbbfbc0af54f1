// SPDX-License-Identifier: MIT
/*
 * list's second source: a capture written by --save, read back (--load)
 * and replayed as the dumps the options ask for, with the owners and
 * interface names saved beside it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "filter/filter.h"
#include "list/source.h"
#include "sys/capture.h"
#include "sys/diag.h"
#include "sys/links.h"
#include "sys/proc.h"
#include "sys/procnet.h"

struct capture_source {
	struct list_source src;
	struct sv_capture cap;
	struct sv_diag *d; /* offline: parses what is replayed */
};

/* A NUL-terminated copy of a record's text (names are not terminated). */
static char *text(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		sv_die("out of memory");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int capture_tables(struct list_source *src, const struct list_opts *lo,
			  struct list_run *run, bool want_procs, bool note)
{
	const struct sv_capture *cap = &((struct capture_source *)src)->cap;
	struct sv_capture_rec r;
	size_t off = 0, nprocs = 0;

	run->links = sv_links_new();
	run->links_tried = true; /* never this host's links */
	if (want_procs)
		run->procs = sv_proc_map_new();
	if (!run->links || (want_procs && !run->procs))
		sv_die("out of memory");
	while (sv_capture_next(cap, &off, &r) > 0) {
		char *name;

		if (r.type == SV_CAP_LINK && r.len >= 4) {
			name = text(r.p + 4, r.len - 4);
			sv_links_add(run->links, sv_cap_get32(r.p), name);
			free(name);
		} else if (r.type == SV_CAP_PROC && r.len >= 16 && run->procs) {
			uint64_t ino = sv_cap_get32(r.p) |
				       (uint64_t)sv_cap_get32(r.p + 4) << 32;
			uint32_t pid = sv_cap_get32(r.p + 8);
			uint32_t fd = sv_cap_get32(r.p + 12);

			/* what /proc can show: pid > 0, fd >= 0 */
			if (pid == 0 || pid > INT32_MAX || fd > INT32_MAX)
				sv_die("%s: a process record holds pid %" PRIu32
				       " fd %" PRIu32 ", which no process has: "
				       "the capture is damaged",
				       lo->load, pid, fd);
			name = text(r.p + 16, r.len - 16);
			sv_proc_map_add(run->procs, ino, (int)pid, (int)fd,
					name);
			free(name);
			nprocs++;
		}
	}
	if (run->procs && sv_proc_map_finish(run->procs))
		sv_die("out of memory");
	if (lo->filter) {
		struct sv_filter_error ferr;

		if (sv_filter_resolve_devs(lo->filter, run->links, &ferr))
			sv_usage_die("list: %s: %s", lo->load, ferr.msg);
	}
	if (want_procs && !nprocs && note)
		sv_note("%s holds no processes (it was saved without -p)",
			lo->load);
	return 0;
}

static bool wanted(const struct list_opts *lo, unsigned proto,
		   unsigned family)
{
	if (proto >= SV_PROTO_MAX || !(lo->protos & (1u << proto)))
		return false;
	if (!sv_proto_inet(proto))
		return true;
	return (family == AF_INET && (lo->families & 1)) ||
	       (family == AF_INET6 && (lo->families & 2));
}

/* The saving kernel had no raw_diag: its /proc lines stand in. */
static void load_raw_lines(const struct sv_capture *cap, int family,
			   sv_sock_cb cb, struct list_run *run)
{
	struct sv_capture_rec r;
	size_t off = 0;

	while (sv_capture_next(cap, &off, &r) > 0) {
		struct sv_sock s;
		char *line;

		if (r.type != SV_CAP_RAW || r.len < 4 || r.p[0] != family)
			continue;
		line = text(r.p + 4, r.len - 4);
		if (sv_procnet_raw_parse(line, family, &s) == 0)
			cb(&s, run);
		free(line);
	}
}

static void capture_dump(struct list_source *src, const struct list_opts *lo,
			 struct list_run *run, sv_sock_cb cb, unsigned how)
{
	struct capture_source *c = (struct capture_source *)src;
	const struct sv_capture *cap = &c->cap;
	struct sv_capture_rec r;
	size_t off = 0;
	unsigned proto = SV_PROTO_MAX, family = 0;
	int internal = 0;

	(void)how; /* --load takes no --save */
	/* no kernel filtered anything for this run: all of it is ours */
	run->check = lo->filter != NULL;
	run->kernel_ran = false;
	run->check_states = true;
	while (sv_capture_next(cap, &off, &r) > 0) {
		int err;

		if (r.type == SV_CAP_REQ && r.len >= 8) {
			proto = r.p[0];
			family = r.p[1];
			internal = r.p[2];
			continue;
		}
		if (r.type != SV_CAP_NL || proto >= SV_PROTO_MAX)
			continue;
		if (!internal && !wanted(lo, proto, family))
			continue;
		err = sv_diag_replay(c->d, proto, internal, r.p, r.len, cb, run);
		if (err == -ENOENT && proto == SV_PROTO_RAW) {
			load_raw_lines(cap, (int)family, cb, run);
			continue;
		}
		/* as it was when saved: an interrupted dump is reported */
		sv_list_dump_error(proto, family, err);
		/* EBADMSG is ours: a message too short to hold its header */
		if (err == -EBADMSG)
			sv_die("%s: a saved reply is malformed: the capture is "
			       "damaged", lo->load);
		if (err < 0 && err != -ENOENT)
			sv_die("%s: a saved reply says: %s", lo->load,
			       strerror(-err));
	}
}

static void capture_free(struct list_source *src)
{
	struct capture_source *c = (struct capture_source *)src;

	sv_diag_close(c->d);
	sv_capture_free(&c->cap);
	free(c);
}

struct list_source *sv_list_source_capture(const struct list_opts *lo)
{
	struct capture_source *c;
	struct sv_capture cap = { 0 };
	struct sv_diag *d;
	const char *why;
	int err;

	err = sv_capture_load(&cap, lo->load, &why);
	if (err)
		sv_die("cannot load %s: %s", lo->load,
		       why ? why : strerror(-err));
	if (sv_diag_new_offline(&d))
		sv_die("out of memory");
	c = sv_xcalloc(1, sizeof(*c));
	c->cap = cap;
	c->d = d;
	c->src.tables = capture_tables;
	c->src.dump = capture_dump;
	c->src.free = capture_free;
	return &c->src;
}
