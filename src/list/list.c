// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fields.h"
#include "core/options.h"
#include "core/util.h"
#include "filter/filter.h"
#include "list/cmd.h"
#include "list/list.h"
#include "out/outbuf.h"
#include "out/render.h"
#include "sys/capture.h"
#include "sys/containers.h"
#include "sys/diag.h"
#include "sys/links.h"
#include "sys/netns.h"
#include "sys/proc.h"
#include "sys/resolve.h"

/* A filter file is a short text: past this it is not one. */
#define FILTER_FILE_MAX (1 << 20)

static char *read_filter_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = malloc(FILTER_FILE_MAX + 1);
	size_t len;

	if (!f)
		sv_die("cannot read the filter file %s: %s", path,
		       strerror(errno));
	if (!text)
		sv_die("out of memory");
	len = fread(text, 1, FILTER_FILE_MAX + 1, f);
	if (ferror(f))
		sv_die("cannot read the filter file %s: %s", path,
		       strerror(errno));
	fclose(f);
	if (len > FILTER_FILE_MAX)
		sv_usage_die("list: the filter file %s is over %d bytes", path,
			     FILTER_FILE_MAX);
	if (memchr(text, '\0', len))
		sv_usage_die("list: the filter file %s holds a NUL byte at "
			     "offset %zu", path,
			     (size_t)((char *)memchr(text, '\0', len) - text));
	text[len] = '\0';
	/* an empty file is more likely a mistake than "every socket" */
	if (text[strspn(text, " \t\r\n")] == '\0')
		sv_usage_die("list: the filter file %s holds no filter", path);
	return text;
}

void sv_list_parse_opts(int argc, char **argv, struct list_opts *lo,
			const struct sv_list_extra *x)
{
	const char *filter_file = NULL;
	bool states_set = false;
	const char *query = NULL;
	struct sv_filter_error ferr;
	struct sv_getopt g;
	uint64_t v;
	double secs;
	char *end;
	int c;

	memset(lo, 0, sizeof(*lo));
	lo->states = x ? x->states : SV_STATES_CONNECTED;
	lo->resolve_timeout_ms = 2000;
	sv_getopt_init(&g, x ? x->doc : &sv_list_doc);
	while ((c = sv_getopt_next(&g, argc, argv)) != -1) {
		switch (c) {
		case 't':
			lo->protos |= 1u << SV_PROTO_TCP;
			break;
		case 'u':
			lo->protos |= 1u << SV_PROTO_UDP;
			break;
		case 'w':
			lo->protos |= 1u << SV_PROTO_RAW;
			break;
		case 'x':
			lo->protos |= 1u << SV_PROTO_UNIX;
			lo->unix_types |= 1u << SOCK_STREAM | 1u << SOCK_DGRAM |
					  1u << SOCK_SEQPACKET;
			break;
		case '4':
			lo->families |= SV_FAM_INET;
			break;
		case '6':
			lo->families |= SV_FAM_INET6;
			break;
		case 'f':
			sv_list_family(lo, optarg);
			break;
		case 'A':
			sv_list_query(lo, optarg);
			query = optarg;
			break;
		case 'a':
			lo->states = SV_STATES_ALL;
			states_set = true;
			break;
		case 'l':
			lo->states = SV_STATES_LISTENING;
			states_set = true;
			break;
		case 'H':
			lo->no_header = true;
			break;
		case 'O':
			lo->oneline = true;
			break;
		case 's':
			lo->summary = true;
			break;
		case 'V':
			printf("sockview %s\n", sv_version);
			exit(0);
		case 'n':
			lo->resolve = false;
			break;
		case 'r':
			lo->resolve = true;
			break;
		case 'p':
			lo->procs = true;
			break;
		case 'N':
			lo->netns = optarg;
			break;
		case SV_OPT_ALL_NETNS:
			lo->all_netns = true;
			break;
		case 'F':
			filter_file = optarg;
			break;
		case SV_OPT_SAVE:
			lo->save = optarg;
			break;
		case SV_OPT_LOAD:
			lo->load = optarg;
			break;
		case SV_OPT_NETNS_PID:
			if (sv_parse_u64(optarg, 1, INT32_MAX, &v))
				sv_usage_die("list: --netns-pid needs a process id, "
					     "not '%s'",
					     optarg);
			lo->netns_pid = (int)v;
			break;
		case SV_OPT_RESOLVER_THREADS:
			/* libuv's pool holds at most 1024, half for DNS */
			if (sv_parse_u64(optarg, 1, 512, &v))
				sv_usage_die("list: --resolver-threads takes 1 to "
					     "512, not '%s'",
					     optarg);
			lo->resolver_threads = (unsigned)v;
			break;
		case SV_OPT_RESOLVE_TIMEOUT:
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0) || secs > 3600)
				sv_usage_die("list: --resolve-timeout takes "
					     "seconds (more than 0, at most "
					     "3600), not '%s'",
					     optarg);
			lo->resolve_timeout_ms = (unsigned)(secs * 1000 + 0.5);
			break;
		case 'e':
			lo->show |= SV_SHOW_EXT;
			break;
		case 'm':
			lo->show |= SV_SHOW_MEM;
			break;
		case 'i':
			lo->show |= SV_SHOW_INFO;
			break;
		case 'o':
			lo->show |= SV_SHOW_TIMER;
			break;
		case SV_OPT_JSON:
			lo->json = SV_JSON_ARRAY + 1;
			break;
		case SV_OPT_JSONL:
			lo->json = SV_JSON_LINES + 1;
			break;
		default:
			/* the command's own options */
			if (x && !x->handle(c, optarg, x->ctx))
				break;
			sv_die("option '--%s' has no handler",
			       sv_opt_find(g.doc, c)->name);
		}
	}
	if (filter_file && optind < argc)
		sv_usage_die("list: a filter in -F %s and on the command line "
			     "('%s'): give one",
			     filter_file, argv[optind]);
	if (filter_file) {
		char *text = read_filter_file(filter_file);

		if (sv_filter_parse_string(text, &lo->filter, &ferr))
			sv_usage_die("list: %s: %s", filter_file, ferr.msg);
		free(text);
	} else if (optind < argc &&
		   sv_filter_parse_argv(argc - optind, argv + optind,
					&lo->filter, &ferr)) {
		sv_usage_die("list: %s", ferr.msg);
	}
	/* ss -s counts every socket, whatever its state */
	if (lo->summary && !states_set)
		lo->states = SV_STATES_ALL;
	if (query && !lo->protos)
		sv_usage_die("list: -A %s selects no table", query);
	if (lo->filter)
		lo->states = sv_filter_states(lo->filter, lo->states);
	/* A TCP socket bound but neither listening nor connecting is
	 * reported as closed, yet dumped only when the bound-inactive
	 * pseudo-state is asked for: ask whenever closed is, so that -a,
	 * -l, "state closed" and --load give one answer. */
	if (lo->states & SV_SF(SV_TCP_CLOSE))
		lo->states |= SV_SF(SV_TCP_BOUND_INACTIVE);
	else
		lo->states &= ~SV_SF(SV_TCP_BOUND_INACTIVE);
	if (lo->netns && lo->netns_pid)
		sv_usage_die("list: --netns and --netns-pid exclude each other");
	if (lo->all_netns && (lo->netns || lo->netns_pid || lo->load))
		sv_usage_die("list: --all-netns reads every namespace: it takes "
			     "no %s",
			     lo->load ? "--load" : "--netns or --netns-pid");
	if (lo->all_netns && lo->save)
		sv_usage_die("list: --save keeps one namespace's replies: it "
			     "does not go with --all-netns");
	if (lo->load && (lo->save || lo->netns || lo->netns_pid))
		sv_usage_die("list: --load reads a capture: it takes no %s",
			     lo->save ? "--save" : "namespace");

	if (!lo->protos) {
		unsigned inet = 1u << SV_PROTO_TCP | 1u << SV_PROTO_UDP |
				1u << SV_PROTO_RAW;

		/* ss habit: -4/-6 (-f inet, inet6) alone mean the inet
		 * tables, -f unix the UNIX one; nothing means all */
		if (!lo->families || (lo->families & (SV_FAM_INET | SV_FAM_INET6)))
			lo->protos |= inet;
		if (!lo->families || (lo->families & SV_FAM_UNIX))
			lo->protos |= 1u << SV_PROTO_UNIX;
	}
	if (!(lo->families & (SV_FAM_INET | SV_FAM_INET6)))
		lo->families |= SV_FAM_INET | SV_FAM_INET6;
	if (!lo->unix_types)
		lo->unix_types = 1u << SOCK_STREAM | 1u << SOCK_DGRAM |
				 1u << SOCK_SEQPACKET;
}

/* The owners of s, when they were looked up: a socket without one has
 * an empty list, not an unknown one. */
static void join_procs(const struct list_run *run, const struct sv_sock *s,
		       struct sv_joins *j)
{
	static const struct sv_proc_ref none[1];

	if (!run->procs)
		return;
	j->procs = sv_proc_map_find(run->procs, s->inode, &j->nprocs);
	if (!j->procs)
		j->procs = none;
	if (run->show_procs)
		j->has |= SV_JOIN_PROCS;
}

/* What the kernel could not decide: pid, comm, uid, inode, UNIX and
 * /proc raw records.  A record no kernel filtered (a /proc line, a
 * loaded capture) cannot leave marks or autobound to the kernel. */
bool sv_list_match(const struct list_run *run, const struct sv_filter *f,
		   const struct sv_row *row)
{
	const struct sv_sock *s = row->s;

	/* only the run's own filter went to the kernel */
	if (f == run->filter && run->kernel_ran &&
	    !(s->has & SV_HAS_PROCNET))
		return sv_filter_match(f, s, row->j->procs, row->j->nprocs);
	return sv_filter_match_unchecked(f, s, row->j->procs, row->j->nprocs);
}

/* The first owner whose cgroup names a container: a socket passed to
 * a child keeps the container of whoever holds it first by pid. */
static const struct sv_container *owner_container(struct list_run *run,
						  const struct sv_joins *j)
{
	const struct sv_container *c;
	size_t i;

	for (i = 0; i < j->nprocs; i++) {
		c = sv_containers_get(run->containers, j->procs[i].pid);
		if (c)
			return c;
	}
	return NULL;
}

int sv_list_sock(struct sv_sock *s, void *arg)
{
	struct list_run *run = arg;
	struct sv_joins j = { 0 };
	struct sv_row row = { s, &j };

	j.netns = run->ns;
	join_procs(run, s, &j);
	if (run->containers)
		j.container = owner_container(run, &j);
	if (run->check && !sv_list_match(run, run->filter, &row))
		return 0;
	if (run->check_states && !(run->states & SV_SF(s->state)))
		return 0;
	/* -A unix_stream and the like: the kernel has no type filter */
	if (s->proto == SV_PROTO_UNIX && run->unix_types &&
	    (s->type >= 32 || !(run->unix_types & (1u << s->type))))
		return 0;
	/* device names come from one link cache, loaded only when some
	 * socket is bound to a device */
	if (s->ifindex && !run->foreign) {
		if (!run->links_tried) {
			run->links_tried = true;
			if (sv_links_load(&run->links))
				sv_warn("cannot read interface names");
		}
		j.ifname = sv_links_name(run->links, s->ifindex);
	}
	if (run->resolver && (s->has & SV_HAS_PORTS)) {
		int udp = s->proto == SV_PROTO_UDP;

		j.host[0] = sv_resolver_host(run->resolver, s->family,
					     s->local.addr);
		j.host[1] = sv_resolver_host(run->resolver, s->family,
					     s->peer.addr);
		if (s->proto != SV_PROTO_RAW) {
			j.service[0] = sv_service_name(s->local.port, udp);
			j.service[1] = sv_service_name(s->peer.port, udp);
		}
	}
	run->render->sock(run->render, &row);
	return 0;
}

static bool is_any(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, family == AF_INET ? 4 : 16);
}

/* -r, first pass: every distinct address, to look them all up at once. */
static int collect_addr(struct sv_sock *s, void *arg)
{
	struct list_run *run = arg;
	struct sv_resolver *r = run->resolver;
	struct sv_joins j = { 0 };

	if (!(s->has & SV_HAS_PORTS))
		return 0;
	join_procs(run, s, &j);
	if (run->check && !sv_list_match(run, run->filter,
					 &(struct sv_row){ s, &j }))
		return 0;
	if (run->check_states && !(run->states & SV_SF(s->state)))
		return 0;
	if (!is_any(s->family, s->local.addr))
		sv_resolver_add(r, s->family, s->local.addr);
	if (!is_any(s->family, s->peer.addr))
		sv_resolver_add(r, s->family, s->peer.addr);
	return 0;
}

static void dump_one(struct sv_diag *d, const struct sv_diag_req *req,
		     sv_sock_cb cb, struct list_run *run)
{
	int err = sv_diag_dump(d, req, cb, run);

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
	if (lo->filter && req->proto != SV_PROTO_UNIX &&
	    sv_filter_bytecode(lo->filter, req->family, &bc, &len, &exact))
		sv_die("out of memory");
	req->bytecode = len ? bc : NULL;
	req->bytecode_len = len;
	run->kernel_ran = len > 0;
	/* raw sockets may come from /proc, which no bytecode filters */
	run->check = lo->filter &&
		     (!exact || !len || req->proto == SV_PROTO_RAW ||
		      req->proto == SV_PROTO_UNIX);
	dump_one(d, req, cb, run);
	free(bc);
}

/* Every request the options ask for, in ss's order. */
static void dump_all(struct sv_diag *d, const struct list_opts *lo,
		     sv_sock_cb cb, struct list_run *run)
{
	static const uint8_t inet_families[] = { AF_INET, AF_INET6 };
	unsigned p, fi;

	for (p = 0; p < SV_PROTO_UNIX; p++) {
		if (!(lo->protos & (1u << p)))
			continue;
		for (fi = 0; fi < 2; fi++) {
			struct sv_diag_req req = {
				.proto = (uint8_t)p,
				.family = inet_families[fi],
				.states = lo->states,
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
}

/* The kernel's dumps, or a capture's replies. */
void sv_list_sources(struct sv_diag *d, const struct sv_capture *cap,
		    const struct list_opts *lo, sv_sock_cb cb,
		    struct list_run *run)
{
	if (cap->data)
		sv_list_load(lo, run, d, cap, cb);
	else
		dump_all(d, lo, cb, run);
}

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
 * --all-netns: one sock_diag socket per namespace, made by a worker
 * thread (sys/netns.c), then every dump from here.  each() is told
 * which namespace comes next.
 */
void sv_list_all_netns(const struct list_opts *lo, struct list_run *run,
		       sv_sock_cb cb, bool note,
		       void (*each)(void *ctx, const struct sv_netns_entry *e),
		       void *ctx)
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
		if (each)
			each(ctx, e);
		dump_all(e->diag, lo, cb, run);
	}
	run->ns = NULL;
	run->foreign = false;
	if (note && (denied || set.unreadable))
		fprintf(stderr,
			"sockview: note: %zu network namespace%s could not be "
			"entered (needs CAP_SYS_ADMIN) and the namespace of %zu "
			"process%s could not be read; their sockets are "
			"missing\n",
			denied, denied == 1 ? "" : "s", set.unreadable,
			set.unreadable == 1 ? "" : "es");
	sv_netns_set_free(&set);
}

/* /proc is the pid namespace's, so owners are found whatever network
 * namespace their sockets live in. */
int sv_list_scan_procs(struct list_run *run, bool note)
{
	size_t n;
	int err = sv_proc_map_build(&run->procs, NULL);

	if (err)
		return err;
	n = sv_proc_map_unreadable(run->procs);
	if (n && note)
		sv_note("%zu process%s could not be read (not permitted); "
			"their sockets show no process",
			n, n == 1 ? "" : "es");
	return 0;
}

int sv_list_want_containers(struct list_run *run, bool note)
{
	int err = 0;

	if (!run->procs)
		err = sv_list_scan_procs(run, note);
	if (!err)
		run->containers = sv_containers_new();
	return err;
}

void sv_list_run_free_containers(struct list_run *run)
{
	sv_containers_free(run->containers);
	run->containers = NULL;
}

static struct sv_render *list_render(const struct list_opts *lo,
				     struct sv_out *out)
{
	unsigned show = lo->show;

	if (lo->summary)
		return sv_summary_new(out, lo->json, lo->protos);
	if (lo->json)
		return sv_json_new(out, lo->json - 1);
	if (lo->procs)
		show |= SV_SHOW_PROC;
	if (lo->all_netns && (lo->show & SV_SHOW_EXT))
		show |= SV_SHOW_NETNS;
	if (lo->no_header)
		show |= SV_TABLE_NO_HEADER;
	if (lo->oneline)
		show |= SV_TABLE_ONELINE;
	return sv_table_new(out, show);
}

int sv_cmd_list(int argc, char **argv)
{
	static struct sv_out out;
	struct list_opts lo;
	struct list_run run = { 0 };
	struct sv_capture cap = { 0 };
	struct sv_diag *d;
	bool pending = false;
	int err;

	sv_list_parse_opts(argc, argv, &lo, NULL);
	run.states = lo.states;
	run.unix_types = lo.unix_types;
	if (lo.load) {
		const char *why;

		err = sv_capture_load(&cap, lo.load, &why);
		if (err)
			sv_die("cannot load %s: %s", lo.load,
			       why ? why : strerror(-err));
	}
	/* before any netlink socket: a socket stays in its namespace */
	sv_list_enter_netns(&lo);
	sv_out_init(&out, STDOUT_FILENO);

	run.filter = lo.filter;
	run.show_procs = lo.procs;
	if (cap.data) {
		sv_list_load_tables(&lo, &run, &cap);
	} else if (lo.procs ||
		   (lo.filter && sv_filter_needs_procs(lo.filter))) {
		err = sv_list_scan_procs(&run, true);
		if (err)
			sv_die("cannot read the processes' sockets in /proc: %s",
			       strerror(-err));
	}
	/* containers are shown only in JSON and under -e: the table alone
	 * reads no cgroup */
	if (lo.all_netns && (lo.json || (lo.show & SV_SHOW_EXT))) {
		err = sv_list_want_containers(&run, true);
		if (err)
			sv_die("cannot read the processes' sockets in /proc: %s",
			       strerror(-err));
	}
	err = cap.data ? sv_diag_new_offline(&d) : sv_diag_open(&d);
	if (err)
		sv_die("cannot open a sock_diag netlink socket: %s",
		       strerror(-err));
	if (lo.resolve) {
		err = sv_resolver_new(&run.resolver, lo.resolver_threads,
				      lo.resolve_timeout_ms);
		if (err)
			sv_die("cannot start the resolver: %s", strerror(-err));
		if (lo.all_netns)
			sv_list_all_netns(&lo, &run, collect_addr, false, NULL,
					  NULL);
		else
			sv_list_sources(d, &cap, &lo, collect_addr, &run);
		sv_resolver_run(run.resolver);
		pending = sv_resolver_pending(run.resolver) > 0;
	}

	run.render = list_render(&lo, &out);
	if (lo.save)
		sv_list_save_begin(&lo, &run, d);
	if (lo.all_netns)
		sv_list_all_netns(&lo, &run, sv_list_sock, true, NULL, NULL);
	else
		sv_list_sources(d, &cap, &lo, sv_list_sock, &run);
	if (lo.save)
		sv_list_save_end(&lo, &run);
	run.render->end(run.render);
	sv_out_flush(&out);

	if (pending) {
		/* Lookups past the deadline still hold threadpool threads;
		 * libuv would join them at exit, so leave without waiting. */
		_exit(0);
	}
	run.render->free(run.render);
	sv_links_free(run.links);
	sv_proc_map_free(run.procs);
	sv_list_run_free_containers(&run);
	sv_resolver_free(run.resolver);
	sv_filter_free(lo.filter);
	sv_diag_close(d);
	sv_capture_free(&cap);
	return 0;
}
