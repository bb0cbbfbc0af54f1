// SPDX-License-Identifier: MIT
/* `sockview metrics`: list's pipeline into the metrics renderer. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/options.h"
#include "core/util.h"
#include "filter/filter.h"
#include "list/cmd.h"
#include "list/list.h"
#include "list/metrics.h"
#include "list/source.h"
#include "out/outbuf.h"
#include "out/render.h"
#include "sys/links.h"
#include "sys/netns.h"
#include "sys/proc.h"

static int metrics_opt(int c, const char *arg, void *ctx)
{
	struct sv_metrics_opts *mo = ctx;
	struct sv_filter_error ferr;
	uint64_t v;

	switch (c) {
	case SV_OPT_TOP:
		if (sv_parse_u64(arg, 1, 10000, &v))
			sv_usage_die("metrics: --top takes 1 to 10000, not '%s'",
				     arg);
		mo->top = (unsigned)v;
		return 0;
	case SV_OPT_PER_SOCKET:
		if (sv_filter_parse_string(arg, &mo->per_socket, &ferr))
			sv_usage_die("metrics: --per-socket: %s", ferr.msg);
		return 0;
	case SV_OPT_MAX_SERIES:
		if (sv_parse_u64(arg, 1, 1000000, &v))
			sv_usage_die("metrics: --max-series takes 1 to "
				     "1000000, not '%s'",
				     arg);
		mo->max_series = (size_t)v;
		return 0;
	case SV_OPT_OPENMETRICS:
		mo->openmetrics = true;
		return 0;
	}
	return -1;
}

void sv_metrics_parse(int argc, char **argv, struct list_opts *lo,
		      struct sv_metrics_opts *mo, const struct sv_cmd_doc *doc,
		      int (*handle)(int c, const char *arg, void *ctx))
{
	struct sv_list_extra x = {
		.doc = doc ? doc : &sv_metrics_doc,
		.states = SV_STATES_ALL & ~SV_SF(SV_TCP_BOUND_INACTIVE),
		.handle = handle ? handle : metrics_opt,
		.ctx = mo,
	};

	sv_list_parse_opts(argc, argv, lo, &x);
	if (lo->events)
		sv_usage_die("metrics: -E does not apply to metrics");
	if (lo->json || lo->save || lo->resolve || lo->summary ||
	    lo->no_header || lo->oneline)
		sv_usage_die("metrics: %s does not apply to metrics",
			     lo->json	      ? "--json"
			     : lo->save	      ? "--save"
			     : lo->resolve    ? "-r"
			     : lo->summary    ? "-s"
			     : lo->no_header ? "-H"
					      : "-O");
	if (!!mo->per_socket != !!mo->max_series)
		sv_usage_die("metrics: --per-socket and --max-series go "
			     "together: per-socket series need a cap");
	if (lo->procs && !mo->top)
		mo->top = 10;
	if (mo->top)
		lo->procs = true;
}

int sv_metrics_opt(int c, const char *arg, void *ctx)
{
	return metrics_opt(c, arg, ctx);
}

static void each_netns(void *ctx, const struct sv_netns_entry *e)
{
	sv_metrics_netns(ctx, e->label.inode, e->label.name);
}

static bool per_socket(const struct sv_row *row, void *arg)
{
	const struct sv_metrics_job *j = arg;

	return sv_list_match(&j->run, j->mo->per_socket, row);
}

static double now(void);

/* list's per-socket work, within the scrape's budget: a dump past it
 * is cut short (checked every 256 sockets: a clock read is not free). */
static int budget_sock(struct sv_sock *s, void *arg)
{
	struct list_run *run = arg;
	struct sv_metrics_job *j = (struct sv_metrics_job *)(
		(char *)run - offsetof(struct sv_metrics_job, run));

	if (run->err)
		return run->err;
	if (!(++j->seen & 255) && now() > j->deadline) {
		run->err = -ETIMEDOUT;
		return run->err;
	}
	return sv_list_sock(s, arg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sv_metrics_job_init(struct sv_metrics_job *j, struct list_opts *lo,
			 struct sv_metrics_opts *mo)
{
	memset(j, 0, sizeof(*j));
	j->lo = lo;
	j->mo = mo;
	j->needs_procs = lo->procs ||
			 (lo->filter && sv_filter_needs_procs(lo->filter)) ||
			 (mo->per_socket && sv_filter_needs_procs(mo->per_socket));
}

/*
 * One exposition into o: /proc read again (a scrape sees the processes
 * of now), the kernel's dumps, the duration.  0, or -errno of the dump
 * that failed (nothing useful was written then).
 */
int sv_metrics_collect(struct sv_metrics_job *j, struct list_source *src,
		       struct sv_out *o, bool soft)
{
	struct list_run *run = &j->run;
	struct sv_metrics_conf conf = {
		.openmetrics = j->mo->openmetrics,
		.states = j->lo->states,
		.top = j->mo->top,
		.max_series = j->mo->max_series,
		.netns_info = j->lo->all_netns,
	};
	double t0 = now();
	uint64_t ino = 0;
	int err;

	memset(run, 0, sizeof(*run));
	run->filter = j->lo->filter;
	run->states = j->lo->states;
	run->unix_types = j->lo->unix_types;
	run->packet_types = j->lo->packet_types;
	run->soft = soft;
	if (j->mo->per_socket) {
		conf.per_socket = per_socket;
		conf.arg = j;
	}
	err = src->tables(src, j->lo, run, j->needs_procs, !soft);
	/* --all-netns: each socket's container, from its owners */
	if (!err && j->lo->all_netns)
		err = sv_list_want_containers(src, j->lo, run, !soft);
	if (err && !soft)
		sv_die("cannot read /proc: %s", strerror(-err));
	if (err)
		return err;
	run->render = sv_metrics_new(o, &conf);
	/* a capture does not say which namespace it came from */
	if (!src->live || sv_netns_self(&ino))
		ino = 0;
	j->seen = 0;
	j->deadline = t0 + j->budget_ms / 1000.0;
	if (j->lo->all_netns) {
		run->each_netns = each_netns;
		run->each_ctx = run->render;
	} else {
		sv_metrics_netns(run->render, ino, NULL);
	}
	src->dump(src, j->lo, run, j->budget_ms ? budget_sock : sv_list_sock,
		  soft ? 0 : LIST_DUMP_NOTE);
	err = run->err;
	if (!err) {
		j->last_duration = now() - t0;
		sv_metrics_duration(run->render, j->last_duration);
		run->render->end(run->render);
	}
	run->render->free(run->render);
	sv_links_free(run->links);
	sv_imap_free(&run->nl_seen);
	sv_proc_map_free(run->procs);
	sv_list_run_free_containers(run);
	return err;
}

int sv_cmd_metrics(int argc, char **argv)
{
	static struct sv_out out;
	struct list_opts lo;
	struct sv_metrics_opts mo = { 0 };
	struct sv_metrics_job job;
	struct list_source *src;

	sv_metrics_parse(argc, argv, &lo, &mo, NULL, NULL);
	src = sv_list_source_open(&lo);
	sv_out_init(&out, STDOUT_FILENO);
	sv_metrics_job_init(&job, &lo, &mo);
	sv_metrics_collect(&job, src, &out, false);
	sv_out_flush(&out);
	sv_filter_free(lo.filter);
	sv_filter_free(mo.per_socket);
	src->free(src);
	return 0;
}
