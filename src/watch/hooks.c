// SPDX-License-Identifier: MIT
/*
 * Work beside the sockets: called once per tick before the tick's output,
 * and asked for header text.  This is where views of the target itself
 * (its loop thread, its threadpool) plug in.
 */
#include "watch/watch.h"

void sv_watch_hooks_tick(struct sv_watch *w)
{
	uint64_t now = uv_hrtime();

	/*
	 * Ticks also come between intervals (a new socket read at once);
	 * the loop's figures span one whole interval each, so those extra
	 * ticks add to the span under way.
	 */
	if (now - w->loopw.t0_ns < w->interval_ms * 1000000 * 9 / 10)
		return;
	sv_loop_tick(&w->loopw);
	if (sv_watch_event_wanted(w, "loop"))
		sv_watch_event_loop(w);
}

void sv_watch_hooks_header(struct sv_watch *w, struct sv_strbuf *b)
{
	sv_loop_header_text(&w->loopw, b);
	sv_strbuf_addc(b, '\n');
}
