// SPDX-License-Identifier: MIT
/* --save and --load: a list run's raw replies, written and read back. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "filter/filter.h"
#include "list/list.h"
#include "out/outbuf.h"
#include "sys/links.h"
#include "sys/proc.h"
#include "sys/procnet.h"

static void tap(void *arg, const struct sv_diag_req *req, int internal,
		const void *buf, size_t len)
{
	struct sv_capture_writer *w = arg;
	unsigned char r[8] = { 0 };

	if (!req) {
		sv_capture_put(w, SV_CAP_NL, buf, len, NULL, 0);
		return;
	}
	r[0] = req->proto;
	r[1] = req->family;
	r[2] = (unsigned char)internal;
	sv_cap_put32(r + 4, req->states);
	sv_capture_put(w, SV_CAP_REQ, r, sizeof(r), NULL, 0);
}

static void save_raw_lines(struct sv_capture_writer *w, int family)
{
	const char *path =
		family == AF_INET ? "/proc/net/raw" : "/proc/net/raw6";
	unsigned char head[4] = { (unsigned char)family, 0, 0, 0 };
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		sv_capture_put(w, SV_CAP_RAW, head, sizeof(head), line,
			       strlen(line));
	fclose(f);
}

/* The output closed while the dump, and so the capture, was under way. */
static void save_broken(void *arg)
{
	const struct sv_capture_writer *w = arg;

	if (unlink(w->path) && errno != ENOENT)
		sv_die("%s: not saved whole (the output was closed before the "
		       "dump ended), and cannot be removed: %s",
		       w->path, strerror(errno));
	sv_die("%s: not saved: the output was closed before the dump ended",
	       w->path);
}

void sv_list_save_begin(struct list_opts *lo, struct list_run *run,
			struct sv_diag *d)
{
	size_t i;
	int err = sv_capture_create(&run->save, lo->save);

	if (err)
		sv_die("cannot create %s: %s", lo->save, strerror(-err));
	run->saving = true;
	sv_out_on_epipe(save_broken, &run->save);
	sv_diag_set_tap(d, tap, &run->save);

	/* the whole link table: a later --load may name any device */
	if (!run->links_tried) {
		run->links_tried = true;
		if (sv_links_load(&run->links))
			sv_warn("cannot read interface names");
	}
	for (i = 0; i < sv_links_count(run->links); i++) {
		unsigned char idx[4];
		unsigned index;
		const char *name = sv_links_at(run->links, i, &index);

		sv_cap_put32(idx, index);
		sv_capture_put(&run->save, SV_CAP_LINK, idx, sizeof(idx), name,
			       strlen(name));
	}
	for (i = 0; run->procs && i < sv_proc_map_count(run->procs); i++) {
		unsigned char rec[16];
		uint64_t ino;
		const struct sv_proc_ref *p = sv_proc_map_at(run->procs, i, &ino);

		sv_cap_put32(rec, (uint32_t)ino);
		sv_cap_put32(rec + 4, (uint32_t)(ino >> 32));
		sv_cap_put32(rec + 8, (uint32_t)p->pid);
		sv_cap_put32(rec + 12, (uint32_t)p->fd);
		sv_capture_put(&run->save, SV_CAP_PROC, rec, sizeof(rec),
			       p->comm, strlen(p->comm));
	}
	if (lo->protos & (1u << SV_PROTO_RAW)) {
		save_raw_lines(&run->save, AF_INET);
		save_raw_lines(&run->save, AF_INET6);
	}
}

void sv_list_save_end(struct list_opts *lo, struct list_run *run)
{
	int err = sv_capture_finish(&run->save);

	run->saving = false;
	sv_out_on_epipe(NULL, NULL);
	if (err)
		sv_die("cannot write %s: %s", lo->save, strerror(-err));
}

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

void sv_list_load_tables(const struct list_opts *lo, struct list_run *run,
			 const struct sv_capture *cap)
{
	bool want_procs = lo->procs ||
			  (lo->filter && sv_filter_needs_procs(lo->filter));
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
	if (want_procs && !nprocs)
		sv_note("%s holds no processes (it was saved without -p)",
			lo->load);
}

static bool wanted(const struct list_opts *lo, unsigned proto,
		   unsigned family)
{
	if (proto >= SV_PROTO_MAX || !(lo->protos & (1u << proto)))
		return false;
	if (proto == SV_PROTO_UNIX)
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

void sv_list_load(const struct list_opts *lo, struct list_run *run,
		  struct sv_diag *d, const struct sv_capture *cap,
		  sv_sock_cb cb)
{
	struct sv_capture_rec r;
	size_t off = 0;
	unsigned proto = SV_PROTO_MAX, family = 0;
	int internal = 0;

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
		err = sv_diag_replay(d, proto, internal, r.p, r.len, cb, run);
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
