// SPDX-License-Identifier: MIT
/*
 * Work beside the sockets: called once per tick before the tick's output,
 * and asked for header text.  This is where views of the target itself
 * (its loop thread, its threadpool) plug in.
 */
#include "watch/watch.h"

void sv_watch_hooks_tick(struct sv_watch *w)
{
	/* the target's loop over the interval that just ended */
	sv_loop_tick(&w->loopw);
	sv_watch_event_loop(w);
}

void sv_watch_hooks_header(struct sv_watch *w, struct sv_strbuf *b)
{
	sv_loop_header_text(&w->loopw, b);
	sv_strbuf_addc(b, '\n');
}
