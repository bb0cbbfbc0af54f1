/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_LOOP_H
#define SV_WATCH_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/strbuf.h"
#include "sys/tasks.h"

/*
 * The target's event loop and libuv threadpool, seen from /proc: the
 * loop thread (the thread group leader) is sampled every few
 * milliseconds, and each sample says whether it sat in epoll_wait (its
 * poll phase, idle); the threadpool's workers are the threads libuv 1.50
 * and later names "libuv-worker", and one waiting in futex(2) is idle.
 */

/* A few milliseconds: 200 looks a second give the share in epoll to
 * about half a percent over a one-second tick, at a small cost. */
#define SV_LOOP_SAMPLE_MS 5

struct sv_loop_worker {
	int tid;
	int fd; /* its syscall file, -1 when not readable */
	bool listed;
	bool have_call;
	struct sv_task_call call; /* at the latest sample */
};

/* One tick's figures. */
struct sv_loop_report {
	bool valid;
	uint64_t span_ns;
	uint64_t samples, in_epoll; /* looks at the loop thread */
	bool have_cpu, have_runq;
	uint64_t cpu_ns;  /* the loop thread's CPU time in the span */
	uint64_t runq_ns; /* its time runnable, waiting for a CPU */
	unsigned pool_size;
	bool pool_from_env;
	bool workers_known; /* named workers found */
	size_t workers, busy;
	uint64_t busy_sum, worker_samples; /* for the mean over the tick */
};

struct sv_loopwatch {
	int pid;
	uv_timer_t timer;
	bool timer_on;
	int call_fd;  /* the loop thread's syscall file */
	int call_err; /* why it cannot be read, 0 when it can */
	int cpu_fd;
	bool cpu_from_stat;
	uint64_t t0_ns;
	struct sv_task_time cpu0;
	bool have_cpu0;
	struct sv_loop_report cur;  /* the tick under way */
	struct sv_loop_report last; /* the last whole tick */
	struct sv_loop_worker *workers;
	size_t nworkers, capworkers;
	int *tids;
	size_t ntids, captids;
	uint64_t looks; /* timer callbacks so far */
};

/* Pure parts. */

bool sv_loop_is_worker(const char *comm);
/* A worker is idle only while it waits in futex(2) for work. */
bool sv_loop_worker_busy(const struct sv_task_call *c);
/* "cpu", a system call's name, or "nr N": what a busy worker does. */
const char *sv_loop_call_text(const struct sv_task_call *c, char *buf,
			      size_t len);
/* Percent of part in whole, in tenths: 975 is 97.5%. */
unsigned sv_loop_permille(uint64_t part, uint64_t whole);
/* The header's text for the last tick (no newline). */
void sv_loop_header_text(const struct sv_loopwatch *lw, struct sv_strbuf *b);

/* Driving it from watch's loop. */
int sv_loop_start(struct sv_loopwatch *lw, uv_loop_t *loop, int pid);
/* Ends the tick: a last look, then cur becomes last. */
void sv_loop_tick(struct sv_loopwatch *lw);
void sv_loop_free(struct sv_loopwatch *lw);

#endif
