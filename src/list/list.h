/* SPDX-License-Identifier: MIT */
#ifndef SV_LIST_H
#define SV_LIST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/row.h"
#include "core/imap.h"
#include "sys/capture.h"
#include "sys/diag.h"

/* What `list` was asked for, and the state of one run. */

/* list_opts.families */
#define SV_FAM_INET 1u
#define SV_FAM_INET6 2u
#define SV_FAM_UNIX 4u /* -f unix */
#define SV_FAM_LINK 8u /* -f link: packet sockets */
#define SV_FAM_NETLINK 16u /* -f netlink */

struct list_opts {
	unsigned protos;   /* 1 << SV_PROTO_* */
	unsigned families; /* SV_FAM_*; after parsing inet ones are set */
	unsigned unix_types; /* 1 << SOCK_* of the UNIX sockets wanted */
	unsigned packet_types; /* 1 << SOCK_* of the packet sockets wanted */
	uint32_t states;
	unsigned show;	   /* SV_SHOW_* */
	int json;	   /* 0, SV_JSON_ARRAY + 1, SV_JSON_LINES + 1 */
	bool procs;	   /* -p */
	bool resolve;	   /* -r */
	const char *netns;
	int netns_pid;
	bool all_netns; /* --all-netns */
	unsigned resolver_threads;
	unsigned resolve_timeout_ms;
	struct sv_filter *filter; /* trailing arguments or -F FILE */
	const char *save;	  /* --save FILE */
	const char *load;	  /* --load FILE */
	bool no_header;		  /* -H */
	bool oneline;		  /* -O */
	bool summary;		  /* -s */
	bool events;		  /* -E */
};

struct sv_netns_entry;

struct list_run {
	struct sv_render *render;
	struct sv_links *links;
	bool links_tried;
	struct sv_cgpaths *cgpaths; /* cgroup id -> path, on first use */
	bool cgpaths_tried;
	bool want_cgpaths; /* the output shows cgroup paths */
	struct sv_proc_map *procs;
	bool show_procs;
	/* the owners are scanned on threads during the dump (tables()
	 * starts it, sv_list_join_procs() waits) */
	bool defer_procs;
	struct sv_proc_scan *proc_scan;
	struct sv_resolver *resolver;
	const struct sv_filter *filter;
	bool check; /* the kernel's verdict is not final: check here too */
	bool kernel_ran; /* the kernel ran the filter's bytecode (live dump) */
	bool check_states; /* --load: the state selection is ours to do */
	uint32_t states;
	unsigned unix_types; /* UNIX sockets of these types (1 << SOCK_*) */
	unsigned packet_types; /* packet sockets of these types */
	/* netlink inodes seen: the kernel reports a socket bound to a
	 * multicast group twice (from its hash table and its mc_list) */
	struct sv_imap nl_seen;
	struct sv_capture_writer save;
	bool saving;
	bool soft; /* a dump error is kept in err, not fatal */
	bool bare; /* inet dumps ask for no extension (sv_diag_req.bare) */
	/* --all-netns: the namespace being read, and whether it is not
	 * ours (our interface names do not apply there) */
	const struct sv_netns_label *ns;
	bool foreign;
	/* --all-netns with JSON, -e or metrics: each socket's container,
	 * from its owners' cgroups (needs procs) */
	struct sv_containers *containers;
	/* told which namespace comes next (metrics labels its series) */
	void (*each_netns)(void *ctx, const struct sv_netns_entry *e);
	void *each_ctx;
	int err;
};

/* A command built on list's options (metrics, serve): its doc, whose
 * base chain reaches list's (core/options.c), and its default states. */
struct sv_cmd_doc;
struct sv_list_extra {
	const struct sv_cmd_doc *doc;
	uint32_t states; /* the default state selection */
	/* one of its own options: 0 when handled, -1 when not its own */
	int (*handle)(int c, const char *arg, void *ctx);
	void *ctx;
};

/* x: NULL for list itself.  Dies with a usage error. */
void sv_list_parse_opts(int argc, char **argv, struct list_opts *lo,
			const struct sv_list_extra *x);
struct list_source;
/* run->containers and the owners they need; freed by
 * sv_list_run_free_containers. */
int sv_list_want_containers(struct list_source *src,
			    const struct list_opts *lo, struct list_run *run,
			    bool note);
void sv_list_run_free_containers(struct list_run *run);
/* The socket passes filter f (pid and comm through run->procs). */
bool sv_list_match(const struct list_run *run, const struct sv_filter *f,
		   const struct sv_row *row);

/* events.c: -E, until SIGINT or SIGTERM. */
int sv_list_events(struct list_opts *lo);

/* query.c: -A QUERY and -f FAMILY; die with a usage error. */
void sv_list_query(struct list_opts *lo, const char *arg);
void sv_list_family(struct list_opts *lo, const char *arg);

/* The table's SV_SHOW_* and SV_TABLE_* flags the options ask for. */
unsigned sv_list_table_show(const struct list_opts *lo);
/* Joins s and renders it when it passes the filter (an sv_sock_cb). */
int sv_list_sock(struct sv_sock *s, void *arg);

#endif
