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

static void header(struct sv_watch *w, struct sv_strbuf *b)
{
	unsigned count[SV_TCP_MAX_STATES] = { 0 };
	char line[512];
	size_t i;
	int n;

	for (i = 0; i < w->nsocks; i++)
		if (w->socks[i]->have && w->socks[i]->cur.state < SV_TCP_MAX_STATES)
			count[w->socks[i]->cur.state]++;
	sv_strbuf_adds(b, "sockview watch: pid ");
	n = snprintf(line, sizeof(line), "%d (", w->pid);
	sv_strbuf_add(b, line, (size_t)n);
	sv_term_escape(b, w->comm, strlen(w->comm));
	n = snprintf(line, sizeof(line), ") netns %llu | %zu sockets:",
		     (unsigned long long)w->netns, w->nsocks);
	sv_strbuf_add(b, line, (size_t)n);
	for (i = 0; i < SV_TCP_MAX_STATES; i++) {
		if (!count[i])
			continue;
		n = snprintf(line, sizeof(line), " %s %u", sv_state_short((unsigned)i),
			     count[i]);
		sv_strbuf_add(b, line, (size_t)n);
	}
	n = snprintf(line, sizeof(line),
		     " | loop: %llu iterations, %llu poll wakeups, threadpool %u, "
		     "lookups pending %zu%s\n",
		     (unsigned long long)w->iterations,
		     (unsigned long long)w->wakeups, w->threadpool,
		     w->names ? sv_resolver_pending(w->names) : (size_t)0,
		     w->ready_ok ? "" : ", readiness inferred");
	sv_strbuf_add(b, line, (size_t)n);
	sv_watch_hooks_header(w, b);
}

/* At most max rows: a screen shows a few dozen of 16,000 sockets. */
static void table(struct sv_watch *w, struct wsock **v, struct sv_out *o,
		  size_t max)
{
	struct sv_render *r = sv_table_new(o, SV_SHOW_TIMER | SV_SHOW_WATCH);
	size_t i, n = 0;

	for (i = 0; i < w->nsocks && n < max; i++) {
		if (v[i]->have) {
			r->sock(r, &v[i]->cur);
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

static void screen(struct sv_watch *w, struct wsock **v)
{
	unsigned trows = 24, tcols = 80;
	size_t rows, cols, used = 0, evrows, i;
	struct sv_out *tmp = malloc(sizeof(*tmp));
	const char *p, *end;

	if (!tmp)
		return;
	sv_term_size(STDOUT_FILENO, &trows, &tcols);
	rows = trows;
	cols = tcols;
	w->screen.len = 0;
	header(w, &w->screen);
	sv_out_init_mem(tmp, &w->screen);
	table(w, v, tmp, rows);
	sv_out_flush(tmp);
	free(tmp);

	/* the table takes what the latest events leave */
	evrows = w->event_count < rows / 3 ? w->event_count : rows / 3;
	sv_out_str(&w->out, "\033[H\033[2J");
	p = w->screen.p;
	end = p + w->screen.len;
	while (p < end && used + evrows + 1 < rows) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		put_clipped(&w->out, p, n, cols);
		sv_out_str(&w->out, "\r\n");
		used++;
		p = nl ? nl + 1 : end;
	}
	sv_out_str(&w->out, "-- events (q quits, s sorts) --\r\n");
	for (i = w->event_count - evrows; i < w->event_count; i++) {
		const char *line = sv_watch_event_line(w, i);

		put_clipped(&w->out, line, strlen(line), cols);
		sv_out_str(&w->out, i + 1 < w->event_count ? "\r\n" : "");
	}
	sv_out_flush(&w->out);
}

void sv_watch_view_tick(struct sv_watch *w)
{
	struct wsock **v = sv_watch_ordered(w);
	size_t i, shown;

	if (!v)
		return;
	/* names for what is shown: on screen, the rows that fit */
	shown = w->mode == SV_WATCH_TERM ? sv_watch_table_rows() : SIZE_MAX;
	for (i = 0; i < w->nsocks && i < shown; i++)
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
		table(w, v, &w->out, SIZE_MAX);
		sv_out_char(&w->out, '\n');
		sv_watch_flush(w);
		break;
	case SV_WATCH_TERM:
		screen(w, v);
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
