// SPDX-License-Identifier: MIT
/* What a tick shows: samples as NDJSON, or a table as text or full screen. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/escape.h"
#include "core/fields.h"
#include "out/render.h"
#include "sys/term.h"
#include "watch/watch.h"

static const char *const sort_names[] = { "fd", "Recv-Q", "Send-Q", "In/s",
					  "Out/s" };

/* Three lines: the target, its sockets, sockview's own loop; then what
 * the hooks add. */
static void header(struct sv_watch *w, struct sv_strbuf *b)
{
	const uint32_t *count = w->state_count; /* kept as replies come */
	char line[512];
	size_t i;
	int n;

	sv_strbuf_adds(b, "sockview watch: pid ");
	n = snprintf(line, sizeof(line), "%d (", w->pid);
	sv_strbuf_add(b, line, (size_t)n);
	sv_term_escape(b, w->comm, strlen(w->comm));
	n = snprintf(line, sizeof(line), ") netns %llu\n%zu sockets:",
		     (unsigned long long)w->netns, w->nsocks);
	sv_strbuf_add(b, line, (size_t)n);
	for (i = 0; i < SV_TCP_MAX_STATES; i++) {
		if (!count[i])
			continue;
		n = snprintf(line, sizeof(line), " %s %u", sv_state_short((unsigned)i),
			     count[i]);
		sv_strbuf_add(b, line, (size_t)n);
	}
	n = snprintf(line, sizeof(line), " | sorted by %s\n",
		     sort_names[w->sort % 5]);
	sv_strbuf_add(b, line, (size_t)n);
	n = snprintf(line, sizeof(line),
		     "loop: %llu iterations, %llu poll wakeups, threadpool %u, "
		     "lookups pending %zu%s\n",
		     (unsigned long long)w->iterations,
		     (unsigned long long)w->wakeups, w->threadpool,
		     w->names ? sv_resolver_pending(w->names) : (size_t)0,
		     w->ready_ok ? "" : ", readiness inferred");
	sv_strbuf_add(b, line, (size_t)n);
	sv_watch_hooks_header(w, b);
}

/* At most max rows: a screen shows a few dozen of 16,000 sockets.
 * Plain output has the rows --samples asks for: by default the sockets
 * whose numbers moved. */
static void table(struct sv_watch *w, struct wsock **v, size_t nv,
		  struct sv_out *o, size_t max)
{
	struct sv_render *r = sv_table_new(o, SV_SHOW_TIMER | SV_SHOW_WATCH);
	bool plain = w->mode == SV_WATCH_PLAIN;
	size_t i, n = 0;

	for (i = 0; i < nv && n < max; i++) {
		if (plain ? sv_watch_sample_due(w, v[i]) : v[i]->have) {
			r->sock(r, &(struct sv_row){ &v[i]->cur,
						     &v[i]->joins });
			n++;
		}
	}
	r->end(r);
	r->free(r);
}

/* Writes line truncated to cols display columns. */
static void put_clipped(struct sv_out *o, const char *p, size_t n, size_t cols)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++) {
		if (((unsigned char)p[i] & 0xc0) != 0x80) {
			if (w == cols)
				break;
			w++;
		}
	}
	sv_out_mem(o, p, i);
}

/* Rows of the terminal the socket table may use. */
size_t sv_watch_table_rows(void)
{
	unsigned rows = 24, cols = 80;

	sv_term_size(STDOUT_FILENO, &rows, &cols);
	return rows;
}

/* The lines of text, each ending in a newline, as (start, length). */
static size_t split(const struct sv_strbuf *b, const char **line,
		    size_t *len, size_t max)
{
	const char *p = b->p, *end = b->p + b->len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line[n] = p;
		len[n++] = k;
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* A header line wraps rather than lose its end; returns rows used. */
static size_t put_wrapped(struct sv_out *o, const char *p, size_t n,
			  size_t cols, size_t max_rows)
{
	size_t rows = 0;

	do {
		size_t i, c = 0;

		for (i = 0; i < n; i++) {
			if (((unsigned char)p[i] & 0xc0) != 0x80 && c++ == cols)
				break;
		}
		sv_out_mem(o, p, i);
		sv_out_str(o, "\r\n");
		p += i;
		n -= i;
		rows++;
	} while (n && rows < max_rows);
	return rows;
}

#define SCREEN_LINES_MAX 1024

/*
 * Header (wrapped, never clipped), the table, the latest events.  The
 * events get a third of what the header leaves when there are that many;
 * the table takes the rest and says how many rows did not fit; events
 * fill what the table leaves.
 */
static void screen(struct sv_watch *w, struct wsock **v, size_t nv)
{
	static const char *line[SCREEN_LINES_MAX];
	static size_t len[SCREEN_LINES_MAX];
	unsigned trows = 24, tcols = 80;
	size_t rows, cols, used = 0, nh, nt, shown, avail, evmin, evrows, i;
	size_t nhave = 0;
	bool cut;
	struct sv_strbuf hb = { 0 };
	struct sv_out *tmp = malloc(sizeof(*tmp));
	char more[96];

	if (!tmp)
		return;
	for (i = 0; i < SV_TCP_MAX_STATES; i++)
		nhave += w->state_count[i];
	sv_term_size(STDOUT_FILENO, &trows, &tcols);
	rows = trows;
	cols = tcols;
	header(w, &hb);
	w->screen.len = 0;
	sv_out_init_mem(tmp, &w->screen);
	table(w, v, nv, tmp, rows);
	sv_out_flush(tmp);
	free(tmp);

	sv_out_str(&w->out, "\033[H\033[2J");
	nh = split(&hb, line, len, SCREEN_LINES_MAX);
	for (i = 0; i < nh && used + 2 < rows; i++)
		used += put_wrapped(&w->out, line[i], len[i], cols,
				    rows - used - 2);
	sv_strbuf_free(&hb);
	avail = rows > used + 1 ? rows - used - 1 : 0;
	nt = split(&w->screen, line, len, SCREEN_LINES_MAX);
	evmin = avail / 3 < w->event_count ? avail / 3 : w->event_count;
	cut = nt > avail - evmin;
	shown = cut ? avail - evmin : nt;
	for (i = 0; i < shown; i++) {
		/* the table holds at most a screen of rows: the count of
		 * sockets with a reply says how many there are */
		size_t hidden = shown >= 2 && nhave > shown - 2
					? nhave - (shown - 2)
					: nt - shown + 1;

		if (cut && i + 1 == shown) {
			/* the last row that fits says what does not */
			snprintf(more, sizeof(more),
				 "... %zu more socket%s (sorted by %s; s sorts)",
				 hidden, hidden == 1 ? "" : "s",
				 sort_names[w->sort % 5]);
			put_clipped(&w->out, more, strlen(more), cols);
		} else {
			put_clipped(&w->out, line[i], len[i], cols);
		}
		sv_out_str(&w->out, "\r\n");
	}
	evrows = avail - shown;
	if (evrows > w->event_count)
		evrows = w->event_count;
	snprintf(more, sizeof(more), "-- events (q quits, s sorts: %s) --",
		 sort_names[w->sort % 5]);
	put_clipped(&w->out, more, strlen(more), cols);
	for (i = w->event_count - evrows; i < w->event_count; i++) {
		const char *ev = sv_watch_event_line(w, i);

		sv_out_str(&w->out, "\r\n");
		put_clipped(&w->out, ev, strlen(ev), cols);
	}
	sv_watch_flush(w);
}

void sv_watch_view_tick(struct sv_watch *w)
{
	struct wsock **v;
	size_t i, n;

	/* on screen, the rows that fit; plain, the sockets read this tick
	 * (only they can be due) */
	if (w->mode == SV_WATCH_TERM)
		v = sv_watch_ordered_top(w, sv_watch_table_rows(), &n);
	else
		v = sv_watch_ordered_read(w, &n);
	if (!v)
		return;
	/* names for what is shown */
	for (i = 0; i < n; i++)
		if (v[i]->have)
			sv_watch_join_names(w, v[i]);
	switch (w->mode) {
	case SV_WATCH_JSON:
		break; /* samples are events (events.c) */
	case SV_WATCH_PLAIN:
		if (!sv_watch_room(w, SV_CLASS_SAMPLE)) {
			w->dropped += w->nsocks; /* the table's rows */
			break;
		}
		w->screen.len = 0;
		header(w, &w->screen);
		sv_out_mem(&w->out, w->screen.p, w->screen.len);
		table(w, v, n, &w->out, SIZE_MAX);
		sv_out_char(&w->out, '\n');
		sv_watch_flush(w);
		break;
	case SV_WATCH_TERM:
		screen(w, v, n);
		break;
	}
	free(v);
}

void sv_watch_view_begin(struct sv_watch *w)
{
	if (w->mode != SV_WATCH_TERM)
		return;
	/* alternate screen, cursor hidden */
	sv_out_str(&w->out, "\033[?1049h\033[?25l");
	sv_out_flush(&w->out);
}

void sv_watch_view_end(struct sv_watch *w)
{
	if (w->mode == SV_WATCH_TERM) {
		sv_out_str(&w->out, "\033[?25h\033[?1049l");
		sv_out_flush(&w->out);
	}
	sv_strbuf_free(&w->screen);
}
