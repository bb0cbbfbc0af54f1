// SPDX-License-Identifier: MIT
/*
 * sockview watch PID: one libuv loop.  A timer starts each tick; the
 * sock_diag socket is non-blocking and polled, so replies are read in the
 * poll phase; readiness edges of the target's sockets arrive through an
 * epoll instance of ours, polled too; the target's exit through its pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/netns.h"
#include "watch/cmd.h"
#include "watch/watch.h"

uint64_t sv_watch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A clock step must not skew rates or periods. */
uint64_t sv_watch_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The one way to end: a signal, q, --count, --duration, the exit. */
void sv_watch_stop(struct sv_watch *w)
{
	w->stopping = true;
	uv_stop(w->loop);
}

/* callbacks */

static void on_stop_timer(uv_timer_t *t)
{
	sv_watch_stop(t->data);
}

static void on_target_exit(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)status;
	(void)events;
	w->wakeups++;
	if (w->stopping)
		return;
	/* the last edges first: they happened before the exit */
	sv_watch_drain_ready(w);
	sv_watch_event_exit(w);
	sv_watch_stop(w);
}

/* Wakeups the waiting thread queued come before what a tick says, and
 * before a dump's replies: they happened first. */
static void on_tick_timer(uv_timer_t *t)
{
	sv_watch_drain_ready(t->data);
	sv_watch_on_tick(t);
}

static void on_diag_reply(uv_poll_t *p, int status, int events)
{
	sv_watch_drain_ready(p->data);
	sv_watch_on_diag(p, status, events);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct sv_watch *w = s->data;

	if (signum == SIGWINCH) {
		if (w->mode == SV_WATCH_TERM)
			sv_watch_view_tick(w);
		return;
	}
	sv_watch_stop(w);
}

static void on_check(uv_check_t *c)
{
	struct sv_watch *w = c->data;

	w->iterations++;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char keys[64];

	(void)h;
	(void)size;
	*buf = uv_buf_init(keys, sizeof(keys));
}

static void on_key(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct sv_watch *w = s->data;
	ssize_t i;

	for (i = 0; i < n; i++) {
		if (buf->base[i] == 'q' || buf->base[i] == 3 /* ^C */) {
			sv_watch_stop(w);
		} else if (buf->base[i] == 's') {
			w->sort = (w->sort + 1) % 5;
			sv_watch_view_tick(w);
		}
	}
}

/* setup */

/*
 * A netlink socket answers for the namespace it was made in: both of
 * ours are made in the target's.  We stay there (name lookups of its
 * peers belong there too); /proc and pidfds do not care.
 */
static int enter_target_netns(struct sv_watch *w)
{
	const char *what;

	if (!w->netns || w->netns == sv_target_netns(getpid()))
		return 0;
	return sv_netns_enter_pid(w->pid, &what);
}

static void open_destroy(struct sv_watch *w)
{
	w->destroy_fd = sv_diag_destroy_open();
	if (w->destroy_fd < 0)
		sv_note("no sock_diag destroy messages here "
			"(%s): closes are seen in the fd table, without their "
			"final record, and connections accepted and closed "
			"between two looks are not seen",
			strerror(-w->destroy_fd));
}

/*
 * A handle that cannot start (out of file descriptors: the signal pipe,
 * epoll) would leave libuv asserting later; say why and stop instead.
 */
static void need(int err, const char *what)
{
	if (err)
		sv_die("cannot start the event loop's %s handle: %s", what,
		       uv_strerror(err));
}

/*
 * libuv aborts when its threadpool or signal pipe cannot get a file
 * descriptor, so make sure of a few dozen first: raise the soft limit
 * when the hard one allows, else say so and stop.
 */
#define WATCH_MIN_FDS 64

static void need_fds(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= WATCH_MIN_FDS)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < WATCH_MIN_FDS)
		sv_die("watch needs at least %d file descriptors; the limit "
		       "(RLIMIT_NOFILE) is %llu",
		       WATCH_MIN_FDS, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = WATCH_MIN_FDS;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		sv_die("cannot raise the file descriptor limit to %d: %s",
		       WATCH_MIN_FDS, strerror(errno));
}

static void init_handles(struct sv_watch *w)
{
	w->tick_timer.data = w->look_timer.data = w->stop_timer.data = w;
	need(uv_timer_init(w->loop, &w->tick_timer), "timer");
	need(uv_timer_init(w->loop, &w->look_timer), "timer");
	need(uv_timer_init(w->loop, &w->stop_timer), "timer");
	need(uv_poll_init(w->loop, &w->diag_poll, sv_diag_fd(w->diag)), "poll");
	w->diag_poll.data = w;
	need(uv_poll_start(&w->diag_poll, UV_READABLE, on_diag_reply),
	     "poll");
	if (w->ready.pidfd >= 0) {
		need(uv_poll_init(w->loop, &w->pidfd_poll, w->ready.pidfd),
		     "poll");
		w->pidfd_poll.data = w;
		need(uv_poll_start(&w->pidfd_poll, UV_READABLE, on_target_exit),
		     "poll");
		need(sv_watch_ready_start(w), "readiness");
	}
	if (w->destroy_fd >= 0) {
		need(uv_poll_init(w->loop, &w->destroy_poll, w->destroy_fd),
		     "poll");
		w->destroy_poll.data = w;
		need(uv_poll_start(&w->destroy_poll, UV_READABLE,
			      sv_watch_on_destroy), "poll");
	}
	need(uv_signal_init(w->loop, &w->sigint), "signal");
	need(uv_signal_init(w->loop, &w->sigterm), "signal");
	need(uv_signal_init(w->loop, &w->sigwinch), "signal");
	w->sigint.data = w->sigterm.data = w->sigwinch.data = w;
	need(uv_signal_start(&w->sigint, on_signal, SIGINT), "signal");
	need(uv_signal_start(&w->sigterm, on_signal, SIGTERM), "signal");
	need(uv_signal_start(&w->sigwinch, on_signal, SIGWINCH), "signal");
	need(uv_check_init(w->loop, &w->check), "check");
	w->check.data = w;
	need(uv_check_start(&w->check, on_check), "check");
	if (w->mode == SV_WATCH_TERM && isatty(STDIN_FILENO) &&
	    uv_tty_init(w->loop, &w->tty_in, STDIN_FILENO, 1) == 0) {
		w->tty_in.data = w;
		w->tty_in_on = true;
		uv_tty_set_mode(&w->tty_in, UV_TTY_MODE_RAW);
		uv_read_start((uv_stream_t *)&w->tty_in, on_alloc, on_key);
	}
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, close_cb);
}

/* A thread id names a thread of some process: the sockets, the pidfd and
 * the exit are the process's, so watch that (and say so). */
static void follow_thread_group(struct sv_watch *w)
{
	int tgid = sv_target_tgid(w->pid);

	if (tgid == -ESRCH)
		sv_die("no process with pid %d", w->pid);
	if (tgid <= 0 || tgid == w->pid)
		return;
	sv_note("%d is a thread of process %d; watching "
		"process %d",
		w->pid, tgid, tgid);
	w->pid = tgid;
}

/*
 * The looks that time a close (a millisecond after a hangup, then up to
 * 16 ms apart) are timers of this thread: on a busy machine it waited for
 * a CPU longer than that.  At load 8-9 on 2 cores (50 keep-alive
 * connections to node), 24-39 of 50 closes were within 50 ms at nice 0
 * or -10, 44-50 at nice -20.  So it runs at nice -20 where permitted
 * (root, CAP_SYS_NICE, RLIMIT_NICE), unless it was started with a nice
 * value of its own.  Its CPU time stays what it is; it gets the CPU
 * sooner.
 */
#define WATCH_NICE (-20)

static void raise_priority(void)
{
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) != 0 || errno)
		return;
	/* not permitted: the same watch, later looks under load */
	(void)setpriority(PRIO_PROCESS, 0, WATCH_NICE);
}

int sv_cmd_watch(int argc, char **argv)
{
	static struct sv_watch w;
	int err;

	w.mode = isatty(STDOUT_FILENO) ? SV_WATCH_TERM : SV_WATCH_PLAIN;
	w.destroy_fd = -1;
	sv_watch_parse_opts(argc, argv, &w);
	need_fds();
	sv_watch_output_init(&w);
	follow_thread_group(&w);
	raise_priority();

	err = sv_target_info(w.pid, w.comm, sizeof(w.comm), &w.netns);
	if (err == -ESRCH)
		sv_die("no process with pid %d", w.pid);
	if (err)
		sv_die("cannot inspect process %d: %s", w.pid, strerror(-err));
	err = sv_target_scan(w.pid, &w.scan, NULL, 0);
	w.scan_fresh = err == 0;
	if (err == -ESRCH)
		sv_die("no process with pid %d", w.pid);
	if (err)
		sv_die("cannot inspect process %d: %s (its /proc/%d/fd is not "
		       "readable: the process belongs to another user or is not "
		       "dumpable; watching it needs root or ptrace permission)",
		       w.pid, strerror(-err), w.pid);
	err = sv_ready_open(&w.ready, w.pid);
	w.ready_ok = err == 0;
	if (err == -ENOSYS) {
		/* kernels before 5.3 (or valgrind) know no pidfd */
		sv_note("no pidfd_open here (%s); "
				"readiness is inferred from queue changes",
			strerror(-err));
	} else if (err) {
		sv_die("cannot open a pidfd for process %d: %s", w.pid,
		       strerror(-err));
	}
	err = enter_target_netns(&w);
	if (err)
		sv_die("cannot enter the network namespace of pid %d: %s",
		       w.pid, strerror(-err));
	err = sv_diag_open(&w.diag);
	if (err)
		sv_die("cannot open a sock_diag socket in the network namespace "
		       "of pid %d: %s",
		       w.pid, strerror(-err));
	open_destroy(&w);
	err = sv_diag_set_nonblock(w.diag);
	if (err)
		sv_die("sock_diag: %s", strerror(-err));

	w.threadpool = sv_uv_threadpool_size(getenv("UV_THREADPOOL_SIZE"));
	if (!w.numeric && sv_resolver_new(&w.names, 0, 0))
		w.names = NULL;
	w.loop = uv_default_loop();
	if (!w.loop)
		sv_die("cannot start the event loop (out of file descriptors?)");
	init_handles(&w);
	if (sv_loop_start(&w.loopw, w.loop, w.pid))
		sv_die("cannot start a timer: %s", strerror(ENOMEM));
	sv_watch_view_begin(&w);

	sv_watch_start_tick(&w);
	uv_timer_start(&w.tick_timer, on_tick_timer, w.interval_ms,
		       w.interval_ms);
	if (w.duration > 0)
		uv_timer_start(&w.stop_timer, on_stop_timer,
			       (uint64_t)(w.duration * 1000 + 0.5), 0);
	if (!w.stopping)
		uv_run(w.loop, UV_RUN_DEFAULT);
	sv_watch_ready_stop(&w);

	if (w.tty_in_on)
		uv_tty_reset_mode();
	sv_watch_view_end(&w);
	sv_watch_output_end(&w);
	if (w.names && w.asked_names) {
		/* libuv's threadpool ran lookups: it would join them, and
		 * glibc keeps per-thread resolver state there; the kernel
		 * frees all of it */
		_exit(w.exit_code);
	}
	uv_walk(w.loop, close_all, NULL);
	uv_run(w.loop, UV_RUN_DEFAULT);
	uv_loop_close(w.loop);
	sv_ready_close(&w.ready);
	sv_diag_close(w.diag);
	if (w.destroy_fd >= 0)
		close(w.destroy_fd);
	sv_target_scan_free(&w.scan);
	sv_resolver_free(w.names);
	sv_watch_socks_free(&w);
	sv_watch_tick_free(&w);
	sv_watch_events_free(&w);
	sv_loop_free(&w.loopw);
	return w.exit_code;
}
