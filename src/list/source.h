/* SPDX-License-Identifier: MIT */
#ifndef SV_LIST_SOURCE_H
#define SV_LIST_SOURCE_H

#include <stdbool.h>

#include "list/list.h"
#include "sys/diag.h"

/*
 * Where list's sockets come from: the kernel (source_kernel.c), or a
 * capture of its answers saved earlier (source_capture.c).  list, metrics
 * and serve drive either the same way: tables, then one or more dumps.
 */
enum {
	LIST_DUMP_SAVE = 1u << 0, /* this pass is recorded (--save) */
	LIST_DUMP_NOTE = 1u << 1, /* say what could not be read */
};

struct list_source {
	bool live; /* this host's sockets now, not a capture */
	/* The owners (when procs) and interface names the joins read;
	 * each collection reads them again.  note: say what is missing.
	 * 0, or -errno when /proc cannot be read. */
	int (*tables)(struct list_source *src, const struct list_opts *lo,
		      struct list_run *run, bool procs, bool note);
	/* Every socket the options ask for, to cb (its arg: run); how:
	 * LIST_DUMP_* bits. */
	void (*dump)(struct list_source *src, const struct list_opts *lo,
		     struct list_run *run, sv_sock_cb cb, unsigned how);
	void (*free)(struct list_source *src);
};

/* --netns / --netns-pid, before any netlink socket is opened. */
void sv_list_enter_netns(const struct list_opts *lo);
/* The kernel, in the namespace we are in: 0 or -errno. */
int sv_list_source_kernel(struct list_source **out);
/* A capture (--load); dies with the reason it cannot be read. */
struct list_source *sv_list_source_capture(const struct list_opts *lo);
/* The one the options name: a capture, or the kernel in the namespace
 * asked for.  Dies with a message when it cannot be opened. */
struct list_source *sv_list_source_open(const struct list_opts *lo);

/* The scan tables() started for run->defer_procs: run->procs once it
 * ends; note: say what could not be read.  0, or -errno. */
int sv_list_join_procs(struct list_run *run, bool note);

/* Dies with a clear message for an inconsistent or overrun dump. */
void sv_list_dump_error(unsigned proto, unsigned family, int err);

#endif
