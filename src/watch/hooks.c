// SPDX-License-Identifier: MIT
/*
 * Work beside the sockets: called once per tick before the tick's output,
 * and asked for header text.  This is where views of the target itself
 * (its loop thread, its threadpool) plug in.
 */
#include "watch/watch.h"

void sv_watch_hooks_tick(struct sv_watch *w)
{
	(void)w;
}

void sv_watch_hooks_header(struct sv_watch *w, struct sv_strbuf *b)
{
	(void)w;
	(void)b;
}
