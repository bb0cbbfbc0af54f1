// SPDX-License-Identifier: MIT
/*
 * A libuv HTTP responder for the watch requests row: httpd PORT
 *
 * Every request (anything up to a blank line) gets the same 2-byte "ok"
 * answer on a keep-alive connection.  Prints "listening PID" once the
 * listener is up.  Node's HTTP server reaches about 17,000 requests/s on
 * this kind of 2-core machine with wrk on the other core; the row wants
 * 40,000, which one libuv loop in C reaches, so that is the target here.
 * It is a libuv process like node: one loop thread, level-triggered
 * epoll, the same reads and writes per request.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define REQ_MAX 8192

struct conn {
	uv_tcp_t tcp;		/* first: the handle is the connection */
	size_t len;
	char buf[REQ_MAX];
};

static const char answer[] = "HTTP/1.1 200 OK\r\n"
			     "Content-Type: text/plain\r\n"
			     "Content-Length: 2\r\n"
			     "\r\n"
			     "ok";

static void die(const char *what, int err)
{
	fprintf(stderr, "httpd: %s: %s\n", what, uv_strerror(err));
	exit(1);
}

static void on_closed(uv_handle_t *h)
{
	free(h);
}

static void on_written(uv_write_t *req, int status)
{
	if (status < 0 && !uv_is_closing((uv_handle_t *)req->handle))
		uv_close((uv_handle_t *)req->handle, on_closed);
	free(req);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = (struct conn *)h;

	(void)hint;
	b->base = c->buf + c->len;
	b->len = sizeof(c->buf) - c->len;
}

/* One answer for each complete request in the buffer; pipelined
 * requests get theirs in order. */
static int answer_requests(struct conn *c)
{
	static uv_buf_t out = { (char *)answer, sizeof(answer) - 1 };
	char *end;

	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end + 4 - c->buf);
		uv_write_t *req = malloc(sizeof(*req));
		int err;

		if (!req)
			return UV_ENOMEM;
		err = uv_write(req, (uv_stream_t *)&c->tcp, &out, 1,
			       on_written);
		if (err) {
			free(req);
			return err;
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	return c->len == sizeof(c->buf) ? UV_E2BIG : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = (struct conn *)s;

	(void)b;
	if (n == 0)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (!answer_requests(c))
			return;
	}
	if (!uv_is_closing((uv_handle_t *)s))
		uv_close((uv_handle_t *)s, on_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct conn *c;

	if (status < 0)
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	c->len = 0;
	if (uv_tcp_init(server->loop, &c->tcp)) {
		free(c);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read))
		uv_close((uv_handle_t *)&c->tcp, on_closed);
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_in addr;
	uv_tcp_t server;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: httpd PORT\n");
		return 2;
	}
	err = uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
	if (!err)
		err = uv_tcp_init(loop, &server);
	if (err)
		die("init", err);
	err = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&server, 1024, on_connection);
	if (err)
		die("listen", err);
	if (printf("listening %d\n", (int)getpid()) < 0 || fflush(stdout))
		return 1;
	return uv_run(loop, UV_RUN_DEFAULT);
}
