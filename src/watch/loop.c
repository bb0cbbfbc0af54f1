// SPDX-License-Identifier: MIT
/*
 * The target's event loop and threadpool, from outside: a timer of ours
 * looks at the loop thread's system call every few milliseconds; each
 * tick ends with a last look at every libuv worker and the tick's sums.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/jsonstr.h"
#include "out/render.h"
#include "watch/loop.h"
#include "watch/watch.h"

bool sv_loop_is_worker(const char *comm)
{
	return !strcmp(comm, "libuv-worker");
}

bool sv_loop_worker_busy(const struct sv_task_call *c)
{
	return !(c->where == SV_CALL_SYSCALL && sv_syscall_is_futex(c->nr));
}

const char *sv_loop_call_text(const struct sv_task_call *c, char *buf,
			      size_t len)
{
	const char *name;

	if (c->where != SV_CALL_SYSCALL)
		return "cpu";
	name = sv_syscall_name(c->nr);
	if (name)
		return name;
	snprintf(buf, len, "nr %ld", c->nr);
	return buf;
}

unsigned sv_loop_permille(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	if (part > whole)
		part = whole;
	return (unsigned)((part * 1000 + whole / 2) / whole);
}

static void add_tenths(struct sv_strbuf *b, uint64_t v)
{
	sv_strbuf_addu(b, v / 10);
	sv_strbuf_addc(b, '.');
	sv_strbuf_addu(b, v % 10);
}

static void add_pct(struct sv_strbuf *b, unsigned permille)
{
	add_tenths(b, permille);
	sv_strbuf_addc(b, '%');
}

/* Busy workers by what they do: "poll 2, cpu 2", in first-seen order. */
static void add_busy_calls(const struct sv_loopwatch *lw, struct sv_strbuf *b)
{
	char buf[32], other[32];
	size_t i, j;
	bool any = false;

	for (i = 0; i < lw->nworkers; i++) {
		const struct sv_loop_worker *wk = &lw->workers[i];
		const char *text;
		unsigned n = 0;

		if (!wk->have_call || !sv_loop_worker_busy(&wk->call))
			continue;
		text = sv_loop_call_text(&wk->call, buf, sizeof(buf));
		for (j = 0; j < i; j++) {
			const struct sv_loop_worker *o = &lw->workers[j];

			if (o->have_call && sv_loop_worker_busy(&o->call) &&
			    !strcmp(sv_loop_call_text(&o->call, other,
						      sizeof(other)),
				    text))
				break;
		}
		if (j < i)
			continue; /* counted with the first like it */
		for (j = i; j < lw->nworkers; j++) {
			const struct sv_loop_worker *o = &lw->workers[j];

			n += o->have_call && sv_loop_worker_busy(&o->call) &&
			     !strcmp(sv_loop_call_text(&o->call, other,
						       sizeof(other)),
				     text);
		}
		sv_strbuf_adds(b, any ? ", " : ": ");
		sv_strbuf_adds(b, text);
		sv_strbuf_addc(b, ' ');
		sv_strbuf_addu(b, n);
		any = true;
	}
}

/* The mean number of busy workers over the tick's looks, in tenths. */
static uint64_t busy_mean_tenths(const struct sv_loop_report *r)
{
	if (!r->worker_samples)
		return 0;
	return (r->busy_sum * 10 + r->worker_samples / 2) / r->worker_samples;
}

static void add_pool_size(const struct sv_loop_report *r, struct sv_strbuf *b)
{
	sv_strbuf_adds(b, "size ");
	sv_strbuf_addu(b, r->pool_size);
	sv_strbuf_adds(b, r->pool_from_env ? " from UV_THREADPOOL_SIZE"
					   : " by default");
}

void sv_loop_header_text(const struct sv_loopwatch *lw, struct sv_strbuf *b)
{
	const struct sv_loop_report *r = &lw->last;

	sv_strbuf_adds(b, "target loop: thread ");
	sv_strbuf_addu(b, (uint64_t)lw->pid);
	if (lw->call_err) {
		sv_strbuf_adds(b, " not readable (");
		sv_strbuf_adds(b, strerror(-lw->call_err));
		sv_strbuf_adds(b, ")");
	}
	if (!r->valid) {
		sv_strbuf_adds(b, ", measuring");
		return;
	}
	if (r->have_cpu) {
		sv_strbuf_adds(b, " cpu ");
		add_pct(b, sv_loop_permille(r->cpu_ns, r->span_ns));
	}
	if (r->have_runq) {
		sv_strbuf_adds(b, ", waiting for a cpu ");
		add_pct(b, sv_loop_permille(r->runq_ns, r->span_ns));
	}
	if (r->samples) {
		sv_strbuf_adds(b, ", in epoll ");
		add_pct(b, sv_loop_permille(r->in_epoll, r->samples));
	}
	sv_strbuf_adds(b, " | threadpool: ");
	if (!r->workers_known) {
		sv_strbuf_adds(b, "workers unknown, ");
		add_pool_size(r, b);
		return;
	}
	sv_strbuf_addu(b, r->busy);
	sv_strbuf_adds(b, " of ");
	sv_strbuf_addu(b, r->workers);
	sv_strbuf_adds(b, " workers busy (mean ");
	add_tenths(b, busy_mean_tenths(r));
	sv_strbuf_adds(b, "), ");
	add_pool_size(r, b);
	add_busy_calls(lw, b);
}

/* I/O: the looks */

static void sample_loop_thread(struct sv_loopwatch *lw)
{
	struct sv_task_call c;

	if (lw->call_fd >= 0 && sv_task_read_call(lw->call_fd, &c) == 0) {
		lw->cur.samples++;
		if (c.where == SV_CALL_SYSCALL &&
		    sv_syscall_is_epoll_wait(c.nr))
			lw->cur.in_epoll++;
	}
}

static void sample_workers(struct sv_loopwatch *lw)
{
	size_t i, busy = 0, looked = 0;

	for (i = 0; i < lw->nworkers; i++) {
		struct sv_loop_worker *wk = &lw->workers[i];

		wk->have_call = wk->fd >= 0 &&
				sv_task_read_call(wk->fd, &wk->call) == 0;
		if (!wk->have_call)
			continue;
		looked++;
		busy += sv_loop_worker_busy(&wk->call);
	}
	if (looked) {
		lw->cur.busy_sum += busy;
		lw->cur.worker_samples++;
	}
}

/* Workers at every fourth look: their mean needs fewer looks than the
 * loop thread's share of time in epoll, and there may be many. */
#define SV_LOOP_WORKER_EVERY 4

static void on_sample(uv_timer_t *t)
{
	struct sv_loopwatch *lw = t->data;

	sample_loop_thread(lw);
	if (++lw->looks % SV_LOOP_WORKER_EVERY == 0)
		sample_workers(lw);
}

static struct sv_loop_worker *find_worker(struct sv_loopwatch *lw, int tid)
{
	size_t i;

	for (i = 0; i < lw->nworkers; i++)
		if (lw->workers[i].tid == tid)
			return &lw->workers[i];
	return NULL;
}

static int cmp_worker(const void *a, const void *b)
{
	const struct sv_loop_worker *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Which threads are workers now: named ones, by their comm. */
static void refresh_workers(struct sv_loopwatch *lw)
{
	char comm[64];
	size_t i;

	if (sv_tasks_list(lw->pid, &lw->tids, &lw->ntids, &lw->captids))
		lw->ntids = 0;
	for (i = 0; i < lw->nworkers; i++)
		lw->workers[i].listed = false;
	for (i = 0; i < lw->ntids; i++) {
		int tid = lw->tids[i];
		struct sv_loop_worker *wk;

		if (tid == lw->pid ||
		    sv_task_comm(lw->pid, tid, comm, sizeof(comm)) ||
		    !sv_loop_is_worker(comm))
			continue;
		wk = find_worker(lw, tid);
		if (!wk) {
			if (sv_grow((void **)&lw->workers, &lw->capworkers,
				    lw->nworkers + 1, sizeof(*wk)))
				continue;
			wk = &lw->workers[lw->nworkers++];
			memset(wk, 0, sizeof(*wk));
			wk->tid = tid;
			wk->fd = sv_task_open_call(lw->pid, tid);
		}
		wk->listed = true;
	}
	for (i = lw->nworkers; i-- > 0;) {
		if (lw->workers[i].listed)
			continue;
		if (lw->workers[i].fd >= 0)
			close(lw->workers[i].fd);
		lw->workers[i] = lw->workers[--lw->nworkers];
	}
	if (lw->nworkers > 1)
		qsort(lw->workers, lw->nworkers, sizeof(*lw->workers),
		      cmp_worker);
}

static void read_pool_size(struct sv_loopwatch *lw)
{
	char val[32];
	int r = sv_proc_getenv(lw->pid, "UV_THREADPOOL_SIZE", val, sizeof(val));

	lw->cur.pool_from_env = r == 1;
	lw->cur.pool_size = sv_uv_threadpool_size(r == 1 ? val : NULL);
}

int sv_loop_start(struct sv_loopwatch *lw, uv_loop_t *loop, int pid)
{
	memset(lw, 0, sizeof(*lw));
	lw->pid = pid;
	lw->call_fd = sv_task_open_call(pid, pid);
	if (lw->call_fd >= 0) {
		struct sv_task_call c;

		/* the file opens for anyone; reading it needs ptrace rights */
		lw->call_err = sv_task_read_call(lw->call_fd, &c);
		if (lw->call_err) {
			close(lw->call_fd);
			lw->call_fd = -1;
		}
	} else {
		lw->call_err = lw->call_fd;
	}
	lw->cpu_fd = sv_task_open_cputime(pid, pid, &lw->cpu_from_stat);
	lw->have_cpu0 = lw->cpu_fd >= 0 &&
			sv_task_read_cputime(lw->cpu_fd, lw->cpu_from_stat,
					     &lw->cpu0) == 0;
	lw->t0_ns = uv_hrtime();
	read_pool_size(lw);
	refresh_workers(lw);
	if (uv_timer_init(loop, &lw->timer))
		return -ENOMEM;
	lw->timer.data = lw;
	lw->timer_on = true;
	return uv_timer_start(&lw->timer, on_sample, SV_LOOP_SAMPLE_MS,
			      SV_LOOP_SAMPLE_MS);
}

void sv_loop_tick(struct sv_loopwatch *lw)
{
	struct sv_loop_report *r = &lw->cur;
	struct sv_task_time t;
	uint64_t now;
	bool have_t;
	size_t i;

	refresh_workers(lw);
	sample_loop_thread(lw);
	sample_workers(lw); /* the workers' state at the tick */
	now = uv_hrtime();
	have_t = lw->cpu_fd >= 0 &&
		 sv_task_read_cputime(lw->cpu_fd, lw->cpu_from_stat, &t) == 0;
	r->span_ns = now - lw->t0_ns;
	r->have_cpu = have_t && lw->have_cpu0 && t.run_ns >= lw->cpu0.run_ns;
	r->cpu_ns = r->have_cpu ? t.run_ns - lw->cpu0.run_ns : 0;
	r->have_runq = r->have_cpu && t.have_wait && lw->cpu0.have_wait &&
		       t.wait_ns >= lw->cpu0.wait_ns;
	r->runq_ns = r->have_runq ? t.wait_ns - lw->cpu0.wait_ns : 0;
	r->workers_known = lw->nworkers > 0;
	r->workers = lw->nworkers;
	r->busy = 0;
	for (i = 0; i < lw->nworkers; i++)
		r->busy += lw->workers[i].have_call &&
			   sv_loop_worker_busy(&lw->workers[i].call);
	r->valid = true;
	lw->last = *r;

	memset(r, 0, sizeof(*r));
	r->pool_size = lw->last.pool_size;
	r->pool_from_env = lw->last.pool_from_env;
	lw->t0_ns = now;
	lw->cpu0 = t;
	lw->have_cpu0 = have_t;
}

void sv_loop_free(struct sv_loopwatch *lw)
{
	size_t i;

	if (lw->call_fd >= 0)
		close(lw->call_fd);
	if (lw->cpu_fd >= 0)
		close(lw->cpu_fd);
	lw->call_fd = lw->cpu_fd = -1;
	for (i = 0; i < lw->nworkers; i++)
		if (lw->workers[i].fd >= 0)
			close(lw->workers[i].fd);
	free(lw->workers);
	free(lw->tids);
	lw->workers = NULL;
	lw->tids = NULL;
	lw->nworkers = lw->ntids = 0;
}

/* NDJSON: one "loop" object per tick. */

/* A number in tenths as JSON: 975 is 97.5. */
static void json_tenths(struct sv_out *o, const char *key, uint64_t v,
			bool *first)
{
	sv_json_key(o, key, first);
	sv_out_u64(o, v / 10);
	sv_out_char(o, '.');
	sv_out_u64(o, v % 10);
}

static void json_pool(struct sv_out *o, const struct sv_loopwatch *lw)
{
	const struct sv_loop_report *r = &lw->last;
	char buf[32];
	bool first = true, f2;
	size_t i;

	sv_out_char(o, '{');
	sv_json_key(o, "size", &first);
	sv_out_u64(o, r->pool_size);
	sv_json_key(o, "size_from", &first);
	sv_out_str(o,
		   r->pool_from_env ? "\"UV_THREADPOOL_SIZE\"" : "\"default\"");
	sv_json_key(o, "workers", &first);
	if (!r->workers_known) {
		sv_out_str(o, "\"unknown\"}");
		return;
	}
	sv_out_u64(o, r->workers);
	sv_json_key(o, "busy", &first);
	sv_out_u64(o, r->busy);
	if (r->worker_samples)
		json_tenths(o, "busy_mean", busy_mean_tenths(r), &first);
	sv_json_key(o, "busy_in", &first);
	sv_out_char(o, '[');
	f2 = true;
	for (i = 0; i < lw->nworkers; i++) {
		const struct sv_loop_worker *wk = &lw->workers[i];
		const char *text;
		bool f3 = true;

		if (!wk->have_call || !sv_loop_worker_busy(&wk->call))
			continue;
		if (!f2)
			sv_out_char(o, ',');
		f2 = false;
		text = sv_loop_call_text(&wk->call, buf, sizeof(buf));
		sv_out_char(o, '{');
		sv_json_key(o, "tid", &f3);
		sv_out_u64(o, (uint64_t)wk->tid);
		sv_json_key(o, "call", &f3);
		sv_json_string(o, text, strlen(text));
		sv_out_char(o, '}');
	}
	sv_out_str(o, "]}");
}

void sv_watch_event_loop(struct sv_watch *w)
{
	const struct sv_loopwatch *lw = &w->loopw;
	const struct sv_loop_report *r = &lw->last;
	struct sv_out *o = &w->out;
	bool first;

	if (w->mode != SV_WATCH_JSON || !r->valid)
		return;
	sv_watch_json_begin(w, "loop", &first);
	sv_json_key(o, "tid", &first);
	sv_out_u64(o, (uint64_t)lw->pid);
	sv_json_key(o, "span_ms", &first);
	sv_out_u64(o, (r->span_ns + 500000) / 1000000);
	if (r->have_cpu)
		json_tenths(o, "cpu_pct",
			    sv_loop_permille(r->cpu_ns, r->span_ns), &first);
	if (r->have_runq)
		json_tenths(o, "runq_pct",
			    sv_loop_permille(r->runq_ns, r->span_ns), &first);
	if (r->samples) {
		sv_json_key(o, "samples", &first);
		sv_out_u64(o, r->samples);
		json_tenths(o, "epoll_pct",
			    sv_loop_permille(r->in_epoll, r->samples), &first);
	}
	sv_json_key(o, "threadpool", &first);
	json_pool(o, lw);
	sv_watch_json_end(w);
}
