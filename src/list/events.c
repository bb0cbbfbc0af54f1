// SPDX-License-Identifier: MIT
/*
 * list -E: sockets as the kernel destroys them, each with its final
 * record (ss -E).  The kernel announces destroyed TCP and UDP sockets on
 * sock_diag's multicast groups; nothing filters them there, so the
 * options and the filter are applied here, record by record.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fields.h"
#include "core/util.h"
#include "filter/filter.h"
#include "list/list.h"
#include "list/source.h"
#include "out/outbuf.h"
#include "out/render.h"
#include "sys/cgpath.h"
#include "sys/diag.h"
#include "sys/links.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct events_run {
	struct list_run run;
	const struct list_opts *lo;
	struct sv_out *out;
};

static bool wanted(const struct list_opts *lo, const struct sv_sock *s)
{
	if (!(lo->protos & (1u << s->proto)))
		return false;
	return (s->family == AF_INET && (lo->families & SV_FAM_INET)) ||
	       (s->family == AF_INET6 && (lo->families & SV_FAM_INET6));
}

/* One destroyed socket: through the list's joins and checks, then out
 * at once (the table's end() prints what it holds and keeps widths). */
static int on_destroyed(struct sv_sock *s, void *arg)
{
	struct events_run *e = arg;

	if (!wanted(e->lo, s))
		return 0;
	sv_list_sock(s, &e->run);
	e->run.render->end(e->run.render);
	sv_out_flush(e->out);
	return 0;
}

static void check_opts(const struct list_opts *lo)
{
	const unsigned inet = 1u << SV_PROTO_TCP | 1u << SV_PROTO_UDP;

	if (lo->load || lo->save || lo->all_netns || lo->summary ||
	    lo->resolve)
		sv_usage_die("list: -E follows the kernel as it goes: it takes "
			     "no %s",
			     lo->load	     ? "--load"
			     : lo->save	     ? "--save"
			     : lo->all_netns ? "--all-netns"
			     : lo->summary   ? "-s"
					     : "-r");
	/* the socket is gone with its last descriptor: no owner to show */
	if (lo->procs || (lo->filter && sv_filter_needs_procs(lo->filter)))
		sv_usage_die("list: -E: a destroyed socket has no owning "
			     "process (-p, pid, comm)");
	if (!(lo->protos & inet))
		sv_usage_die("list: -E: the kernel announces destroyed TCP and "
			     "UDP sockets only");
}

int sv_list_events(struct list_opts *lo)
{
	static struct sv_out out;
	struct events_run e = { .lo = lo, .out = &out };
	struct sigaction sa;
	struct pollfd p;
	int fd, err = 0;

	check_opts(lo);
	/* before the netlink socket: it stays in its namespace */
	sv_list_enter_netns(lo);
	fd = sv_diag_destroy_open();
	if (fd == -EPERM || fd == -EACCES)
		sv_die("cannot follow destroyed sockets: %s (the kernel's "
		       "destroy groups need CAP_NET_ADMIN)",
		       strerror(-fd));
	if (fd < 0)
		sv_die("cannot follow destroyed sockets: %s", strerror(-fd));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	sv_out_init(&out, STDOUT_FILENO);
	e.run.filter = lo->filter;
	e.run.check = lo->filter != NULL;
	e.run.check_states = true;
	e.run.states = lo->states;
	e.run.unix_types = lo->unix_types;
	e.run.want_cgpaths = lo->json || (lo->show & SV_SHOW_EXT);
	/* one object a line, whichever of --json and --jsonl */
	e.run.render = lo->json ? sv_json_new(&out, SV_JSON_LINES)
				: sv_table_new(&out, sv_list_table_show(lo));
	p.fd = fd;
	p.events = POLLIN;
	while (!stop) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			sv_die("poll: %s", strerror(errno));
		}
		err = sv_diag_destroy_read(fd, on_destroyed, &e);
		if (err == -ENOBUFS)
			sv_warn("the kernel dropped destroy messages (ENOBUFS): "
				"some sockets are missing");
		else if (err < 0)
			sv_die("cannot read destroy messages: %s",
			       strerror(-err));
	}
	sv_out_flush(&out);
	close(fd);
	e.run.render->free(e.run.render);
	sv_links_free(e.run.links);
	sv_cgpaths_free(e.run.cgpaths);
	sv_filter_free(lo->filter);
	return 0;
}
