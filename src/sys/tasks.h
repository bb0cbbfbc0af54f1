/* SPDX-License-Identifier: MIT */
#ifndef SV_TASKS_H
#define SV_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A process's threads from /proc/PID/task: their names, the system call
 * each one sits in, and the CPU time each used.  The parsers take the
 * text the kernel wrote, so they can be tested on recorded files.
 */

/* Where a thread was when /proc/PID/task/TID/syscall was read. */
enum sv_call_where {
	SV_CALL_RUNNING, /* on a CPU or runnable: "running" */
	SV_CALL_USER,	 /* stopped outside any system call: "-1 ..." */
	SV_CALL_SYSCALL, /* blocked in system call nr */
};

struct sv_task_call {
	enum sv_call_where where;
	long nr;       /* SV_CALL_SYSCALL only */
	uint64_t arg0; /* the first argument (a futex's address) */
};

/* 0, or -EINVAL when the text is not what the kernel writes there. */
int sv_task_call_parse(const char *text, size_t n, struct sv_task_call *c);

/* The name of system call nr on this architecture, NULL when the table
 * does not know it. */
const char *sv_syscall_name(long nr);

/* nr is epoll_wait, epoll_pwait or epoll_pwait2. */
bool sv_syscall_is_epoll_wait(long nr);
bool sv_syscall_is_futex(long nr);

/* A wchan file's text names the function of an epoll wait: the thread
 * sleeps in epoll_wait (a running thread's wchan is "0"). */
bool sv_wchan_is_epoll_wait(const char *text, size_t n);

/* A thread's time on a CPU, and waiting for one while runnable. */
struct sv_task_time {
	uint64_t run_ns;
	uint64_t wait_ns;
	bool have_wait;
};

/* /proc/.../schedstat: nanoseconds on a CPU, then waiting on a run
 * queue. */
int sv_task_schedstat_parse(const char *text, size_t n, struct sv_task_time *t);
/* utime + stime (clock ticks) from /proc/.../stat, whose comm field may
 * hold spaces and parentheses. */
int sv_task_stat_parse(const char *text, size_t n, uint64_t *ticks);

/* The value of name in an environ blob (NUL-separated NAME=value):
 * 1 and *val, *vlen, or 0 when absent. */
int sv_environ_find(const char *env, size_t n, const char *name,
		    const char **val, size_t *vlen);

/* I/O.  Each returns 0 or a negative errno. */

/* The thread ids of pid into *tids (grown as needed). */
int sv_tasks_list(int pid, int **tids, size_t *n, size_t *cap);
/* The thread's comm, NUL-terminated, newline stripped (untrusted). */
int sv_task_comm(int pid, int tid, char *comm, size_t len);
/* An open descriptor on the thread's syscall file, read again and again. */
int sv_task_open_call(int pid, int tid);
int sv_task_read_call(int fd, struct sv_task_call *c);
/* 1 when the thread sleeps in epoll_wait now (by its wchan), 0 when
 * not, or a negative errno. */
int sv_task_sleeps_in_epoll(int pid, int tid);
/* The same for its CPU time: schedstat (nanoseconds), or stat (clock
 * ticks, no run-queue wait) where the kernel has no schedstat;
 * *from_stat says which. */
int sv_task_open_cputime(int pid, int tid, bool *from_stat);
int sv_task_read_cputime(int fd, bool from_stat, struct sv_task_time *t);
/* The value of name in the process's initial environment, NUL-terminated;
 * 1 when found, 0 when not. */
int sv_proc_getenv(int pid, const char *name, char *val, size_t len);

#endif
