// SPDX-License-Identifier: MIT
/*
 * list's first source: the kernel's sock_diag dumps, owners from /proc,
 * and --save, which writes what the kernel answered as it answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "filter/filter.h"
#include "list/source.h"
#include "out/outbuf.h"
#include "sys/capture.h"
#include "sys/diag.h"
#include "sys/links.h"
#include "sys/netns.h"
#include "sys/proc.h"

struct kernel_source {
	struct list_source src;
	struct sv_diag *d;
};

void sv_list_enter_netns(const struct list_opts *lo)
{
	const char *what = NULL;
	int err;

	if (lo->netns)
		err = sv_netns_enter_name(lo->netns, &what);
	else if (lo->netns_pid)
		err = sv_netns_enter_pid(lo->netns_pid, &what);
	else
		return;
	if (err == -EINVAL)
		sv_usage_die("list: --netns takes a name from /run/netns, not "
			     "'%s'",
			     lo->netns);
	if (err == -ENOENT && lo->netns)
		sv_die("network namespace '%s' not found (no %s)", lo->netns,
		       what);
	if (err == -ENOENT)
		sv_die("process %d not found (no %s)", lo->netns_pid, what);
	if (err == -EPERM || err == -EACCES)
		sv_die("not permitted to enter the network namespace %s: %s "
		       "(needs CAP_SYS_ADMIN)",
		       what, strerror(-err));
	if (err)
		sv_die("cannot enter the network namespace %s: %s", what,
		       strerror(-err));
}

/*
 * Threads that scan /proc beside the dump: the scan is mostly the
 * kernel's work, which they spread over the cores.  One core each, the
 * dump's thread keeping its own: that thread (the dump and the rows,
 * about 400 ms at 120,000 sockets) is the longer path, and a third
 * thread on two cores took a third of its core, so the scan's threads
 * waited for it.  The joining thread scans what is left.
 */
static unsigned proc_scan_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 2 ? (unsigned)(n - 1) : 1;
}

static void unreadable_note(const struct list_run *run, bool note)
{
	size_t n = sv_proc_map_unreadable(run->procs);

	if (n && note)
		sv_note("%zu process%s could not be read (not permitted); "
			"their sockets show no process",
			n, n == 1 ? "" : "es");
}

/* NULL: the kernel's iterator, or /proc when it cannot be had;
 * SOCKVIEW_OWNERS=proc asks for the walk of /proc itself. */
static const char *owners_root(void)
{
	const char *how = getenv("SOCKVIEW_OWNERS");

	return how && strcmp(how, "proc") == 0 ? "/proc" : NULL;
}

/* /proc is the pid namespace's, so owners are found whatever network
 * namespace their sockets live in. */
static int kernel_tables(struct list_source *src, const struct list_opts *lo,
			 struct list_run *run, bool procs, bool note)
{
	int err;

	(void)src;
	(void)lo;
	if (!procs)
		return 0;
	if (run->defer_procs)
		return sv_proc_scan_start(&run->proc_scan, owners_root(),
					  proc_scan_threads());
	err = sv_proc_map_build(&run->procs, owners_root());
	if (err)
		return err;
	unreadable_note(run, note);
	return 0;
}

int sv_list_join_procs(struct list_run *run, bool note)
{
	int err;

	if (!run->proc_scan)
		return 0;
	err = sv_proc_scan_join(run->proc_scan, &run->procs);
	run->proc_scan = NULL;
	if (!err)
		unreadable_note(run, note);
	return err;
}

/* What a dump's result means: a warning, death, or (serve) kept. */
static void dump_verdict(const struct sv_diag_req *req, int err,
			 struct list_run *run)
{
	if (run->soft && err < 0 && err != -ENOENT) {
		/* a server keeps serving: the caller reports it */
		if (!run->err)
			run->err = err;
		return;
	}
	if (err == -ENOENT && req->proto != SV_PROTO_RAW) {
		/* no sock_diag handler for this protocol in this kernel */
		sv_warn("the kernel cannot list %s sockets (no sock_diag "
			"support)",
			sv_proto_name(req->proto));
		return;
	}
	if (err == -EPERM && req->bytecode)
		sv_die("the kernel refused the filter: fwmark needs "
		       "CAP_NET_ADMIN");
	sv_list_dump_error(req->proto, req->family, err);
	if (err < 0)
		sv_die("cannot list %s%s sockets: %s", sv_proto_name(req->proto),
		       req->family == AF_INET6 ? "6" : "", strerror(-err));
}

static void dump_one(struct sv_diag *d, const struct sv_diag_req *req,
		     sv_sock_cb cb, struct list_run *run)
{
	dump_verdict(req, sv_diag_dump(d, req, cb, run), run);
}

/*
 * A dump the kernel marked inconsistent, or replies it dropped: what was
 * printed may miss or repeat sockets, so say so and fail rather than let
 * half a table pass for the whole.
 */
void sv_list_dump_error(unsigned proto, unsigned family, int err)
{
	const char *p = sv_proto_name(proto);
	const char *six = family == AF_INET6 ? "6" : "";

	if (err == -EINTR)
		sv_die("the %s%s socket table changed while the kernel dumped "
		       "it (NLM_F_DUMP_INTR): the list may miss or repeat "
		       "sockets; run again",
		       p, six);
	if (err == -ENOBUFS)
		sv_die("the kernel dropped %s%s replies (ENOBUFS): the list is "
		       "incomplete; run again",
		       p, six);
}

/* One request, with the filter compiled for the kernel where it can. */
static void dump_filtered(struct sv_diag *d, const struct list_opts *lo,
			  struct sv_diag_req *req, sv_sock_cb cb,
			  struct list_run *run)
{
	void *bc = NULL;
	size_t len = 0;
	bool exact = false;

	if (run->soft && run->err)
		return; /* a scrape already failed or ran out of time */
	if (lo->filter && sv_proto_inet(req->proto) &&
	    sv_filter_bytecode(lo->filter, req->family, &bc, &len, &exact))
		sv_die("out of memory");
	req->bytecode = len ? bc : NULL;
	req->bytecode_len = len;
	run->kernel_ran = len > 0;
	/* raw sockets may come from /proc, which no bytecode filters */
	run->check = lo->filter &&
		     (!exact || !len || req->proto == SV_PROTO_RAW ||
		      !sv_proto_inet(req->proto));
	dump_one(d, req, cb, run);
	free(bc);
}

/* netlink_diag and packet_diag take no state mask: the states asked
 * for are checked here. */
static void dump_stateless(struct sv_diag *d, const struct list_opts *lo,
			   unsigned proto, uint8_t family, sv_sock_cb cb,
			   struct list_run *run)
{
	struct sv_diag_req req = { .proto = (uint8_t)proto,
				   .family = family,
				   .states = lo->states };
	bool was = run->check_states;

	if (!(lo->protos & (1u << proto)))
		return;
	run->check_states = true;
	dump_filtered(d, lo, &req, cb, run);
	run->check_states = was;
}

/* Whether a protocol's IPv4 and IPv6 tables are dumped at once: both
 * wanted, no filter (whose bytecode differs by family), and no --save
 * (whose capture takes the requests and replies in order). */
static bool pairs(const struct list_opts *lo)
{
	unsigned inet = 1u << SV_PROTO_TCP | 1u << SV_PROTO_UDP |
			1u << SV_PROTO_MPTCP;
	unsigned both = SV_FAM_INET | SV_FAM_INET6;

	return !lo->filter && !lo->save && (lo->protos & inet) &&
	       (lo->families & both) == both;
}

/* Both families of one protocol at once (sv_diag_dump_pair): no
 * filter, so no bytecode and nothing for us to check. */
static void dump_pair(struct sv_diag *d, const struct list_opts *lo,
		      unsigned proto, sv_sock_cb cb, struct list_run *run)
{
	struct sv_diag_req req[2] = {
		{ .proto = (uint8_t)proto, .family = AF_INET,
		  .states = lo->states, .bare = run->bare },
		{ .proto = (uint8_t)proto, .family = AF_INET6,
		  .states = lo->states, .bare = run->bare },
	};
	int err[2];

	if (run->soft && run->err)
		return; /* a scrape already failed or ran out of time */
	run->kernel_ran = false;
	run->check = false;
	sv_diag_dump_pair(d, req, cb, run, err);
	dump_verdict(&req[0], err[0], run);
	dump_verdict(&req[1], err[1], run);
}

/* Every request the options ask for, in ss's order. */
static void dump_all(struct sv_diag *d, const struct list_opts *lo,
		     sv_sock_cb cb, struct list_run *run)
{
	static const uint8_t inet_families[] = { AF_INET, AF_INET6 };
	static const uint8_t inet_protos[] = { SV_PROTO_TCP, SV_PROTO_MPTCP,
					       SV_PROTO_UDP, SV_PROTO_RAW };
	unsigned pi, p, fi;

	for (pi = 0; pi < sizeof(inet_protos); pi++) {
		p = inet_protos[pi];
		if (!(lo->protos & (1u << p)))
			continue;
		if (pairs(lo) && p != SV_PROTO_RAW) {
			dump_pair(d, lo, p, cb, run);
			continue;
		}
		for (fi = 0; fi < 2; fi++) {
			struct sv_diag_req req = {
				.proto = (uint8_t)p,
				.family = inet_families[fi],
				.states = lo->states,
				.bare = run->bare,
			};

			if (lo->families & (1u << fi))
				dump_filtered(d, lo, &req, cb, run);
		}
	}
	if (lo->protos & (1u << SV_PROTO_UNIX)) {
		struct sv_diag_req req = { .proto = SV_PROTO_UNIX,
					   .family = AF_UNIX,
					   .states = lo->states };

		dump_filtered(d, lo, &req, cb, run);
	}
	dump_stateless(d, lo, SV_PROTO_NETLINK, AF_NETLINK, cb, run);
	dump_stateless(d, lo, SV_PROTO_PACKET, AF_PACKET, cb, run);
}

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

static void save_begin(const struct list_opts *lo, struct list_run *run,
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

static void save_end(const struct list_opts *lo, struct list_run *run)
{
	int err = sv_capture_finish(&run->save);

	run->saving = false;
	sv_out_on_epipe(NULL, NULL);
	if (err)
		sv_die("cannot write %s: %s", lo->save, strerror(-err));
}

/*
 * --all-netns: one sock_diag socket per namespace, made by a worker
 * thread (sys/netns.c), then every dump from here.  run->each_netns is
 * told which namespace comes next.
 */
static void dump_all_netns(const struct list_opts *lo, struct list_run *run,
			   sv_sock_cb cb, bool note)
{
	struct sv_netns_set set;
	uint64_t self = 0;
	size_t i, denied = 0;
	int err = sv_netns_scan(&set);

	if (!err)
		err = sv_netns_open_diags(&set);
	if (err && !run->soft)
		sv_die("cannot list the network namespaces: %s", strerror(-err));
	if (err) {
		run->err = err;
		sv_netns_set_free(&set);
		return;
	}
	sv_netns_self(&self);
	for (i = 0; i < set.n; i++) {
		const struct sv_netns_entry *e = &set.e[i];

		if (!e->diag) {
			denied++;
			continue;
		}
		run->ns = &e->label;
		run->foreign = e->label.inode != self;
		if (run->each_netns)
			run->each_netns(run->each_ctx, e);
		dump_all(e->diag, lo, cb, run);
	}
	run->ns = NULL;
	run->foreign = false;
	if (note && (denied || set.unreadable))
		sv_note("%zu network namespace%s could not be entered (needs "
			"CAP_SYS_ADMIN) and the namespace of %zu process%s "
			"could not be read; their sockets are missing",
			denied, denied == 1 ? "" : "s", set.unreadable,
			set.unreadable == 1 ? "" : "es");
	sv_netns_set_free(&set);
}

static void kernel_dump(struct list_source *src, const struct list_opts *lo,
			struct list_run *run, sv_sock_cb cb, unsigned how)
{
	struct kernel_source *k = (struct kernel_source *)src;

	if (lo->all_netns) {
		dump_all_netns(lo, run, cb, how & LIST_DUMP_NOTE);
		return;
	}
	if (how & LIST_DUMP_SAVE)
		save_begin(lo, run, k->d);
	/* in the namespace k->d was made in; without a twin socket a
	 * protocol's two tables are read one after the other */
	if (pairs(lo))
		(void)sv_diag_open_twin(k->d);
	dump_all(k->d, lo, cb, run);
	if (how & LIST_DUMP_SAVE)
		save_end(lo, run);
}

static void kernel_free(struct list_source *src)
{
	struct kernel_source *k = (struct kernel_source *)src;

	sv_diag_close(k->d);
	free(k);
}

int sv_list_source_kernel(struct list_source **out)
{
	struct kernel_source *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	err = sv_diag_open(&k->d);
	if (err) {
		free(k);
		return err;
	}
	k->src.live = true;
	k->src.tables = kernel_tables;
	k->src.dump = kernel_dump;
	k->src.free = kernel_free;
	*out = &k->src;
	return 0;
}

struct list_source *sv_list_source_open(const struct list_opts *lo)
{
	struct list_source *src;
	int err;

	if (lo->load)
		return sv_list_source_capture(lo);
	/* before any netlink socket: a socket stays in its namespace */
	sv_list_enter_netns(lo);
	err = sv_list_source_kernel(&src);
	if (err)
		sv_die("cannot open a sock_diag netlink socket: %s",
		       strerror(-err));
	return src;
}
