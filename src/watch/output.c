// SPDX-License-Identifier: MIT
/*
 * Output that never stalls the loop.  Lines and NDJSON go into a queue in
 * memory, written without blocking whenever stdout takes them; a reader
 * that falls behind costs memory up to a bound, then samples, then single
 * readiness edges (folded into one line per socket with a count), never
 * opens, closes or state changes.  What was left out is counted in a
 * "dropped" member of the next line.  The terminal view writes directly:
 * a terminal keeps up, and it redraws whole screens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "watch/watch.h"

/* A pipe's own description, non-blocking, so that the flag does not
 * change the stdout other processes share with us. */
static int open_out(void)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st) < 0 || !S_ISFIFO(st.st_mode))
		return STDOUT_FILENO;
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? STDOUT_FILENO : fd;
}

void sv_watch_output_init(struct sv_watch *w)
{
	if (w->mode == SV_WATCH_TERM) {
		sv_out_init(&w->out, STDOUT_FILENO);
		w->out_fd = -1;
		return;
	}
	w->out_fd = open_out();
	sv_out_init_mem(&w->out, &w->q);
}

size_t sv_watch_queued(const struct sv_watch *w)
{
	return w->q.len - w->q_off + w->out.len;
}

static void on_writable(uv_poll_t *p, int status, int events)
{
	struct sv_watch *w = p->data;

	(void)status;
	(void)events;
	sv_watch_flush(w);
}

static void wait_writable(struct sv_watch *w, bool on)
{
	if (on == w->out_waiting || !w->loop)
		return;
	if (on && !w->out_poll_init) {
		if (uv_poll_init(w->loop, &w->out_poll, w->out_fd))
			return;
		w->out_poll.data = w;
		w->out_poll_init = true;
	}
	if (on)
		uv_poll_start(&w->out_poll, UV_WRITABLE, on_writable);
	else
		uv_poll_stop(&w->out_poll);
	w->out_waiting = on;
}

/* Writes what stdout takes now; 0, or -EAGAIN when some is left. */
static int write_some(struct sv_watch *w)
{
	while (w->q_off < w->q.len) {
		ssize_t n = write(w->out_fd, w->q.p + w->q_off,
				  w->q.len - w->q_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return -EAGAIN;
			if (errno == EPIPE)
				_exit(0); /* the reader went away: done */
			sv_die("write error: %s", strerror(errno));
		}
		w->q_off += (size_t)n;
	}
	w->q.len = w->q_off = 0;
	return 0;
}

void sv_watch_flush(struct sv_watch *w)
{
	sv_out_flush(&w->out);
	if (w->mode == SV_WATCH_TERM)
		return;
	if (write_some(w) == -EAGAIN) {
		/* keep the queue compact: what was written goes */
		if (w->q_off > (1u << 20) && w->q_off > w->q.len / 2) {
			memmove(w->q.p, w->q.p + w->q_off, w->q.len - w->q_off);
			w->q.len -= w->q_off;
			w->q_off = 0;
		}
		wait_writable(w, true);
		return;
	}
	wait_writable(w, false);
	if (w->held_edges)
		sv_watch_release_edges(w, false);
}

/* At the end everything queued is written, waiting as long as it takes. */
void sv_watch_output_end(struct sv_watch *w)
{
	int fl;

	sv_out_flush(&w->out);
	if (w->mode == SV_WATCH_TERM)
		return;
	fl = fcntl(w->out_fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(w->out_fd, F_SETFL, fl & ~O_NONBLOCK);
	write_some(w);
	sv_strbuf_free(&w->q);
	if (w->out_fd > STDOUT_FILENO)
		close(w->out_fd);
	w->out_fd = -1;
}

/* What may be queued: samples to half the bound, edges to all of it. */
bool sv_watch_room(const struct sv_watch *w, enum sv_watch_class c)
{
	size_t q;

	if (w->mode == SV_WATCH_TERM || c == SV_CLASS_VITAL)
		return true;
	q = sv_watch_queued(w);
	return c == SV_CLASS_SAMPLE ? q < SV_WATCH_OUT_BOUND / 2
				    : q < SV_WATCH_OUT_BOUND;
}
