/* SPDX-License-Identifier: MIT */
#ifndef SV_LIST_H
#define SV_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/capture.h"
#include "sys/diag.h"

/* What `list` was asked for, and the state of one run. */

struct list_opts {
	unsigned protos;   /* 1 << SV_PROTO_* */
	unsigned families; /* bit 0: inet, bit 1: inet6 */
	uint32_t states;
	unsigned show;	   /* SV_SHOW_* */
	int json;	   /* 0, SV_JSON_ARRAY + 1, SV_JSON_LINES + 1 */
	bool procs;	   /* -p */
	bool resolve;	   /* -r */
	const char *netns;
	int netns_pid;
	unsigned resolver_threads;
	unsigned resolve_timeout_ms;
	struct sv_filter *filter; /* trailing arguments or -F FILE */
	const char *save;	  /* --save FILE */
	const char *load;	  /* --load FILE */
};

struct list_run {
	struct sv_render *render;
	struct sv_links *links;
	bool links_tried;
	struct sv_proc_map *procs;
	bool show_procs;
	struct sv_resolver *resolver;
	const struct sv_filter *filter;
	bool check; /* the kernel's verdict is not final: check here too */
	bool kernel_ran; /* the kernel ran the filter's bytecode (live dump) */
	bool check_states; /* --load: the state selection is ours to do */
	uint32_t states;
	struct sv_capture_writer save;
	bool saving;
};

/* Dies with a clear message for an inconsistent or overrun dump. */
void sv_list_dump_error(unsigned proto, unsigned family, int err);

/* list_capture.c: --save and --load */
int sv_list_sock(struct sv_sock *s, void *arg);
void sv_list_save_begin(struct list_opts *lo, struct list_run *run,
			struct sv_diag *d);
void sv_list_save_end(struct list_opts *lo, struct list_run *run);
/* Replays a capture through cb as the dumps the options ask for. */
void sv_list_load(const struct list_opts *lo, struct list_run *run,
		  struct sv_diag *d, const struct sv_capture *cap,
		  sv_sock_cb cb);
void sv_list_load_tables(const struct list_opts *lo, struct list_run *run,
			 const struct sv_capture *cap);

#endif
