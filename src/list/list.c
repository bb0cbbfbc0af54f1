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
#include "list/source.h"
#include "out/outbuf.h"
#include "out/render.h"
#include "sys/containers.h"
#include "sys/cgpath.h"
#include "sys/links.h"
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
		case 'E':
			lo->events = true;
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
	/* a capture's devices are named by its own interface table */
	sv_filter_defer_devs(lo->load != NULL);
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
	/* ss -s counts every socket, whatever its state; a destroyed
	 * socket's last state is rarely a connected one */
	if ((lo->summary || lo->events) && !states_set)
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
		if (lo->families & SV_FAM_LINK)
			lo->protos |= 1u << SV_PROTO_PACKET;
		if (lo->families & SV_FAM_NETLINK)
			lo->protos |= 1u << SV_PROTO_NETLINK;
	}
	if (!(lo->families & (SV_FAM_INET | SV_FAM_INET6)))
		lo->families |= SV_FAM_INET | SV_FAM_INET6;
	if (!lo->unix_types)
		lo->unix_types = 1u << SOCK_STREAM | 1u << SOCK_DGRAM |
				 1u << SOCK_SEQPACKET;
	if (!lo->packet_types)
		lo->packet_types = 1u << SOCK_RAW | 1u << SOCK_DGRAM;
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
	if (run->check && !sv_list_match(run, run->filter, &row))
		return 0;
	if (run->check_states && !(run->states & SV_SF(s->state)))
		return 0;
	/* -A unix_stream and the like: the kernel has no type filter */
	if (s->proto == SV_PROTO_UNIX && run->unix_types &&
	    (s->type >= 32 || !(run->unix_types & (1u << s->type))))
		return 0;
	if (s->proto == SV_PROTO_PACKET && run->packet_types &&
	    (s->type >= 32 || !(run->packet_types & (1u << s->type))))
		return 0;
	if (s->proto == SV_PROTO_NETLINK && s->inode) {
		uint32_t seen;

		if (sv_imap_get(&run->nl_seen, s->inode, &seen))
			return 0;
		if (sv_imap_put(&run->nl_seen, s->inode, 1))
			sv_die("out of memory");
	}
	/* a cgroup file read only for the owners of sockets shown */
	if (run->containers)
		j.container = owner_container(run, &j);
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
	if ((s->has & SV_HAS_CGROUP) && run->want_cgpaths) {
		if (!run->cgpaths_tried) {
			int err = sv_cgpaths_load(&run->cgpaths, NULL);

			run->cgpaths_tried = true;
			if (err)
				sv_warn("cannot read the cgroup v2 hierarchy: "
					"%s; cgroup paths are left out",
					err == -ENOENT ? "no cgroup2 mount"
						       : strerror(-err));
		}
		j.cgroup_path = sv_cgpaths_find(run->cgpaths, s->cgroup_id);
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

/* run->containers, and the owners they are read from (procs). */
int sv_list_want_containers(struct list_source *src,
			    const struct list_opts *lo, struct list_run *run,
			    bool note)
{
	int err = 0;

	if (!run->procs)
		err = src->tables(src, lo, run, true, note);
	if (!err)
		run->containers = sv_containers_new();
	return err;
}

void sv_list_run_free_containers(struct list_run *run)
{
	sv_containers_free(run->containers);
	run->containers = NULL;
}

unsigned sv_list_table_show(const struct list_opts *lo)
{
	unsigned show = lo->show;

	if (lo->procs)
		show |= SV_SHOW_PROC;
	if (lo->all_netns && (lo->show & SV_SHOW_EXT))
		show |= SV_SHOW_NETNS;
	if (lo->no_header)
		show |= SV_TABLE_NO_HEADER;
	if (lo->oneline)
		show |= SV_TABLE_ONELINE;
	return show;
}

static struct sv_render *list_render(const struct list_opts *lo,
				     struct sv_out *out)
{
	if (lo->summary)
		return sv_summary_new(out, lo->json, lo->protos);
	if (lo->json)
		return sv_json_new(out, lo->json - 1);
	return sv_table_new(out, sv_list_table_show(lo));
}

static const struct sv_proc_map *wait_procs(void *arg)
{
	struct list_run *run = arg;
	int err = sv_list_join_procs(run, true);

	if (err)
		sv_die("cannot read the processes' sockets in /proc: %s",
		       strerror(-err));
	return run->procs;
}

/*
 * -p on a table: /proc is scanned on threads while the kernel dumps,
 * the owners filled in as the held rows are printed.  Not when anything
 * needs them sooner: a filter on pid or comm, --save (the capture holds
 * the map), containers, JSON (which streams its rows).
 */
static bool procs_later(const struct list_opts *lo,
			const struct list_source *src, struct list_run *run)
{
	if (!lo->procs || !src->live || lo->json || lo->summary ||
	    lo->save || lo->all_netns ||
	    (lo->filter && sv_filter_needs_procs(lo->filter)))
		return false;
	return sv_table_defer_procs(run->render, wait_procs, run);
}

/*
 * A table of the default columns, with or without -p's, needs nothing
 * but the kernel's base message (queues, state, addresses, inode) and
 * /proc: its dumps ask for no extension.  JSON carries every field, and
 * a capture may be shown later with any of them.
 */
static bool bare_table(const struct list_opts *lo)
{
	return !lo->json && !lo->summary && !lo->save &&
	       !(lo->show & ~(unsigned)SV_SHOW_BASE);
}

int sv_cmd_list(int argc, char **argv)
{
	static struct sv_out out;
	struct list_opts lo;
	struct list_run run = { 0 };
	struct list_source *src;
	bool pending = false, counts_only;
	int err;

	sv_list_parse_opts(argc, argv, &lo, NULL);
	if (lo.events)
		return sv_list_events(&lo);
	run.states = lo.states;
	run.unix_types = lo.unix_types;
	run.packet_types = lo.packet_types;
	src = sv_list_source_open(&lo);
	sv_out_init(&out, STDOUT_FILENO);

	run.filter = lo.filter;
	run.show_procs = lo.procs;
	run.bare = bare_table(&lo);
	run.render = list_render(&lo, &out);
	run.defer_procs = procs_later(&lo, src, &run);
	/* -s counts: owners, containers and names it would not show are
	 * not looked up (but a capture keeps what -p asked for) */
	counts_only = lo.summary && !lo.save;
	err = src->tables(src, &lo, &run,
			  (lo.procs && !counts_only) ||
				  (lo.filter && sv_filter_needs_procs(lo.filter)),
			  true);
	if (err)
		sv_die("cannot read the processes' sockets in /proc: %s",
		       strerror(-err));
	/* containers are shown only in JSON and under -e: the table alone
	 * reads no cgroup */
	if (lo.all_netns && !counts_only &&
	    (lo.json || (lo.show & SV_SHOW_EXT)))
		err = sv_list_want_containers(src, &lo, &run, true);
	if (err)
		sv_die("cannot read the processes' sockets in /proc: %s",
		       strerror(-err));
	if (lo.resolve && !counts_only) {
		err = sv_resolver_new(&run.resolver, lo.resolver_threads,
				      lo.resolve_timeout_ms);
		if (err)
			sv_die("cannot start the resolver: %s", strerror(-err));
		src->dump(src, &lo, &run, collect_addr, 0);
		sv_resolver_run(run.resolver);
		pending = sv_resolver_pending(run.resolver) > 0;
	}

	/* a capture's ids name another moment's (or host's) cgroups */
	run.want_cgpaths = !lo.summary && !lo.load &&
			   (lo.json || (lo.show & SV_SHOW_EXT));
	src->dump(src, &lo, &run, sv_list_sock,
		  LIST_DUMP_NOTE | (lo.save ? LIST_DUMP_SAVE : 0));
	run.render->end(run.render);
	sv_out_flush(&out);

	if (pending) {
		/* Lookups past the deadline still hold threadpool threads;
		 * libuv would join them at exit, so leave without waiting. */
		_exit(0);
	}
	run.render->free(run.render);
	sv_links_free(run.links);
	sv_imap_free(&run.nl_seen);
	sv_cgpaths_free(run.cgpaths);
	sv_proc_map_free(run.procs);
	sv_list_run_free_containers(&run);
	sv_resolver_free(run.resolver);
	sv_filter_free(lo.filter);
	src->free(src);
	return 0;
}
