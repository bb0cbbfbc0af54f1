/* SPDX-License-Identifier: MIT */
#ifndef SV_LIST_METRICS_H
#define SV_LIST_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "list/list.h"
#include "out/outbuf.h"

/* What metrics (and serve) add to list's options. */
struct sv_metrics_opts {
	unsigned top;		     /* --top N; 0 = no per-command series */
	struct sv_filter *per_socket; /* --per-socket FILTER */
	size_t max_series;	     /* --max-series N */
	bool openmetrics;	     /* --openmetrics */
};

/* One command's collection, repeated per scrape by serve. */
struct sv_metrics_job {
	struct list_opts *lo;
	struct sv_metrics_opts *mo;
	bool needs_procs;
	struct list_run run; /* of the collection under way */
	double last_duration;
	unsigned budget_ms; /* 0: none */
	double deadline;
	size_t seen;
};

/* list's options, metrics' and those of doc (NULL: metrics itself),
 * whose base chain reaches metrics' (core/options.c); handle passes what
 * is not its own to sv_metrics_opt. */
struct sv_cmd_doc;
void sv_metrics_parse(int argc, char **argv, struct list_opts *lo,
		      struct sv_metrics_opts *mo, const struct sv_cmd_doc *doc,
		      int (*handle)(int c, const char *arg, void *ctx));
int sv_metrics_opt(int c, const char *arg, void *ctx);

void sv_metrics_job_init(struct sv_metrics_job *j, struct list_opts *lo,
			 struct sv_metrics_opts *mo);
/* One exposition into o.  soft: errors are returned (-errno), not
 * fatal, and the output is not written then. */
struct list_source;
int sv_metrics_collect(struct sv_metrics_job *j, struct list_source *src,
		       struct sv_out *o, bool soft);

#endif
