// SPDX-License-Identifier: MIT
/*
 * `sockview serve`: the metrics exposition over HTTP, computed per
 * scrape.  libmicrohttpd parses HTTP; it runs in its external-loop mode
 * with its epoll descriptor under a uv_poll of sockview's libuv loop,
 * and a uv_timer for the timeouts it asks for.  Nothing is read from
 * the network but GET requests for two fixed paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "core/options.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "filter/filter.h"
#include "list/list.h"
#include "list/metrics.h"
#include "list/source.h"
#include "out/outbuf.h"
#include "serve/cmd.h"
#include "serve/mhd.h"
#include "sys/diag.h"

struct serve {
	struct sv_metrics_opts mo;
	struct list_opts lo;
	struct sv_metrics_job job;
	const char *listen;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned budget_ms;
	unsigned max_conns;
	struct MHD_Daemon *mhd;
	uv_loop_t *loop;
	uv_poll_t poll;
	uv_timer_t timer;
	uv_signal_t sigint, sigterm;
	struct sv_out out;
	struct sv_strbuf body;
};

/* libmicrohttpd's functions, loaded as serve starts */
static const struct sv_mhd *lib;

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (loopback). */
static int parse_listen(const char *text, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(text, ':');
	uint64_t port;
	size_t n;

	if (!colon || sv_parse_u64(colon + 1, 1, 65535, &port))
		return -EINVAL;
	n = (size_t)(colon - text);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	if (!n)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

static int serve_opt(int c, const char *arg, void *ctx)
{
	struct serve *sv = (struct serve *)((char *)ctx -
					    offsetof(struct serve, mo));
	double secs;
	uint64_t v;
	char *end;

	switch (c) {
	case SV_OPT_LISTEN:
		sv->listen = arg;
		if (parse_listen(arg, &sv->addr, &sv->addrlen))
			sv_usage_die("serve: --listen takes ADDR:PORT or "
				     "[ADDR6]:PORT, not '%s'",
				     arg);
		return 0;
	case SV_OPT_SCRAPE_TIMEOUT:
		secs = strtod(arg, &end);
		if (end == arg || *end || !(secs > 0) || secs > 600)
			sv_usage_die("serve: --scrape-timeout takes seconds "
				     "(0 to 600), not '%s'",
				     arg);
		sv->budget_ms = (unsigned)(secs * 1000 + 0.5);
		if (!sv->budget_ms)
			sv->budget_ms = 1;
		return 0;
	case SV_OPT_MAX_CONNECTIONS:
		if (sv_parse_u64(arg, 1, 1024, &v))
			sv_usage_die("serve: --max-connections takes 1 to "
				     "1024, not '%s'",
				     arg);
		sv->max_conns = (unsigned)v;
		return 0;
	}
	return sv_metrics_opt(c, arg, ctx);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, void *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
		lib->MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	lib->MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		lib->MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = lib->MHD_queue_response(c, status, r);
	lib->MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status,
			    const char *msg)
{
	return reply(c, status, "text/plain; charset=utf-8", (void *)msg,
		     strlen(msg), MHD_RESPMEM_PERSISTENT);
}

/* OpenMetrics when the scraper lists it (Prometheus does, first). */
static bool wants_openmetrics(struct MHD_Connection *c)
{
	const char *accept = lib->MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	return accept && strstr(accept, "application/openmetrics-text");
}

/* The scraper's own timeout, less a margin, when shorter than ours. */
static unsigned budget(const struct serve *sv, struct MHD_Connection *c)
{
	const char *t = lib->MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
	double secs;
	char *end;

	if (!t)
		return sv->budget_ms;
	secs = strtod(t, &end);
	if (end == t || !(secs > 0) || secs * 1000 * 0.9 >= sv->budget_ms)
		return sv->budget_ms;
	secs = secs * 1000 * 0.9;
	return secs < 1 ? 1 : (unsigned)secs;
}

static enum MHD_Result scrape(struct serve *sv, struct MHD_Connection *c)
{
	struct list_source *src;
	bool om = wants_openmetrics(c);
	int err;

	sv->mo.openmetrics = om;
	sv->job.budget_ms = budget(sv, c);
	/* a fresh socket per scrape: one cut short leaves nothing behind */
	err = sv_list_source_kernel(&src);
	if (err)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot open a sock_diag socket\n");
	sv->body.len = 0;
	sv_out_init_mem(&sv->out, &sv->body);
	err = sv_metrics_collect(&sv->job, src, &sv->out, true);
	src->free(src);
	if (err == -ETIMEDOUT)
		return text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "the scrape took longer than its budget "
			    "(--scrape-timeout)\n");
	if (err)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the kernel's socket dump failed; scrape again\n");
	sv_out_flush(&sv->out);
	return reply(c, MHD_HTTP_OK,
		     om ? "application/openmetrics-text; version=1.0.0; "
			  "charset=utf-8"
			: "text/plain; version=0.0.4; charset=utf-8",
		     sv->body.p, sv->body.len, MHD_RESPMEM_MUST_COPY);
}

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>sockview</title></head>\n"
	"<body><h1>sockview</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct serve *sv = cls;
	static int seen;

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only GET and HEAD\n");
	/* a GET has no body: one that sends one is refused */
	if (!*state) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_size)
		return text(c, MHD_HTTP_BAD_REQUEST, "a GET has no body\n");
	if (!strcmp(url, "/metrics"))
		return scrape(sv, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			     (void *)index_html, sizeof(index_html) - 1,
			     MHD_RESPMEM_PERSISTENT);
	return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

static void arm_timer(struct serve *sv);

static void run_mhd(struct serve *sv)
{
	if (lib->MHD_run(sv->mhd) != MHD_YES)
		sv_warn("the HTTP server's loop failed once");
	arm_timer(sv);
}

static void on_timer(uv_timer_t *t)
{
	run_mhd(t->data);
}

/* MHD's next deadline (idle connections to time out), if it has one. */
static void arm_timer(struct serve *sv)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (lib->MHD_get_timeout(sv->mhd, &ms) == MHD_YES)
		uv_timer_start(&sv->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&sv->timer);
}

static void on_ready(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run_mhd(p->data);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	uv_stop(s->loop);
}

static void start(struct serve *sv)
{
	const union MHD_DaemonInfo *info;
	/* no MHD_USE_ERROR_LOG: clients must not write to our stderr */
	unsigned flags = MHD_USE_EPOLL;
	char where[80], addr[64];
	int fd;

	if (sv->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	sv->mhd = lib->MHD_start_daemon(
		flags, 0, NULL, NULL, handle, sv, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sv->addr, MHD_OPTION_CONNECTION_LIMIT,
		sv->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		sv->max_conns, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		/* the request line and headers must fit: 8 KiB */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 16u, MHD_OPTION_END);
	if (sv->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)&sv->addr)->sin6_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sv->addr)->sin_addr,
			  addr, sizeof(addr));
	snprintf(where, sizeof(where),
		 sv->addr.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
		 ntohs(((struct sockaddr_in *)&sv->addr)->sin_port));
	if (!sv->mhd)
		sv_die("cannot listen on %s (in use, or not an address of "
		       "this host?)",
		       where);
	info = lib->MHD_get_daemon_info(sv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	fd = info ? info->epoll_fd : -1;
	if (fd < 0)
		sv_die("the HTTP server has no epoll descriptor");
	sv->poll.data = sv;
	sv->timer.data = sv;
	if (uv_poll_init(sv->loop, &sv->poll, fd) ||
	    uv_poll_start(&sv->poll, UV_READABLE, on_ready) ||
	    uv_timer_init(sv->loop, &sv->timer))
		sv_die("cannot watch the HTTP server's descriptor");
	if (!is_loopback(&sv->addr))
		sv_note("listening on %s, not loopback: whoever reaches it "
			"reads this host's sockets",
			where);
	fprintf(stderr, "sockview: serving http://%s/metrics\n", where);
	arm_timer(sv);
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

int sv_cmd_serve(int argc, char **argv)
{
	static struct serve sv;

	sv.budget_ms = 5000;
	sv.max_conns = 16;
	sv_metrics_parse(argc, argv, &sv.lo, &sv.mo, &sv_serve_doc, serve_opt);
	if (sv.lo.load)
		sv_usage_die("serve: --load does not apply: a server reads "
			     "the kernel at each scrape");
	if (!sv.listen) {
		char def[32];

		snprintf(def, sizeof(def), "127.0.0.1:%d", SV_SERVE_PORT);
		if (parse_listen(def, &sv.addr, &sv.addrlen))
			sv_die("internal: default address");
	}
	lib = sv_mhd();
	sv_list_enter_netns(&sv.lo);
	sv_metrics_job_init(&sv.job, &sv.lo, &sv.mo);
	sv.loop = uv_default_loop();
	start(&sv);
	uv_signal_init(sv.loop, &sv.sigint);
	uv_signal_init(sv.loop, &sv.sigterm);
	uv_signal_start(&sv.sigint, on_signal, SIGINT);
	uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
	uv_run(sv.loop, UV_RUN_DEFAULT);

	uv_close((uv_handle_t *)&sv.poll, close_cb);
	uv_close((uv_handle_t *)&sv.timer, close_cb);
	uv_close((uv_handle_t *)&sv.sigint, close_cb);
	uv_close((uv_handle_t *)&sv.sigterm, close_cb);
	uv_run(sv.loop, UV_RUN_DEFAULT);
	lib->MHD_stop_daemon(sv.mhd);
	uv_loop_close(sv.loop);
	sv_strbuf_free(&sv.body);
	sv_filter_free(sv.lo.filter);
	sv_filter_free(sv.mo.per_socket);
	return 0;
}
